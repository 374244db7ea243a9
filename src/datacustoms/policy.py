"""The protection policy: a YAML file, validated completely before any data is touched.

A policy names the transfer (recipient, country, purpose, legal basis, role — kept for the
record, R24), the thresholds the output must meet (k, maximum risk, l), the key, and one action
per column. Loading goes through :func:`load_policy` / :func:`parse_policy`, which turn every
problem into one :class:`~datacustoms.errors.PolicyError` naming the column and, where a name was
misspelt, "Did you mean …?". :meth:`Policy.check_columns` then checks the policy against a
table's columns (unknown columns, columns the policy does not mention) — still before reading a
row. ``docs/policy.schema.json`` is generated from these classes (:func:`policy_json_schema`).

Columns the policy does not mention are refused by default (``default_action: refuse``): a new
column added upstream must never leave silently. ``default_action: drop`` or ``keep`` opts out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from datacustoms.errors import ColumnError, PolicyError, did_you_mean
from datacustoms.model.thresholds import POLICY_DEFAULTS, POLICY_FIELDS, Thresholds

POLICY_VERSION = "1"

#: actions that need key material
KEYED_ACTIONS = frozenset({"pseudonymize", "tokenize", "fpe", "shift_dates"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Drop(_Strict):
    """Remove the column from the output."""

    action: Literal["drop"] = "drop"


class Keep(_Strict):
    """Send the column unchanged."""

    action: Literal["keep"] = "keep"
    why: str | None = Field(default=None, description="why the purpose needs this column in clear (R29)")


class Pseudonymize(_Strict):
    """Keyed pseudonym: HMAC-SHA-256 under a key derived for this recipient and purpose (R2, R4, R8)."""

    action: Literal["pseudonymize"] = "pseudonymize"
    encoding: Literal["hex", "base64url", "base32"] = "hex"
    bits: int = Field(default=128, description="pseudonym length in bits: 128–256, a multiple of 8")
    normalize: Literal["none", "trim", "lower", "digits"] = Field(
        default="trim",
        description="applied before keying so that '010-1234-5678' and '01012345678' give one pseudonym with 'digits'",
    )
    why: str | None = Field(default=None, description="why the recipient needs a join key (R9)")
    rotate: Literal["never", "daily", "monthly", "per_transfer"] = Field(
        default="never",
        description="never: one pseudonym per person in every release (joinable; cumulative risk R17 must pass); "
        "daily / monthly / per_transfer: a key per epoch, derived with HKDF from the master key, so releases "
        "of different epochs do not link",
    )

    @field_validator("bits")
    @classmethod
    def _bits(cls, bits: int) -> int:
        if bits < 128 or bits > 256 or bits % 8:
            raise ValueError(
                f"bits must be between 128 and 256 and a multiple of 8 (got {bits}); "
                "shorter pseudonyms collide and can be brute-forced"
            )
        return bits


class Tokenize(_Strict):
    """Reversible token: deterministic authenticated encryption (AES-SIV); only the key holder reveals."""

    action: Literal["tokenize"] = "tokenize"
    why: str | None = Field(default=None, description="why the value must be recoverable")


class Fpe(_Strict):
    """Format-preserving encryption (FF1, NIST SP 800-38G) over a declared alphabet."""

    action: Literal["fpe"] = "fpe"
    alphabet: str = Field(
        default="0123456789",
        description="characters that are encrypted; any other character (e.g. '-') stays in place",
    )
    keep_prefix: int = Field(default=0, ge=0, description="leading alphabet characters left in clear (e.g. 3 for 010)")
    why: str | None = None

    @field_validator("alphabet")
    @classmethod
    def _alphabet(cls, alphabet: str) -> str:
        if len(alphabet) < 2 or len(set(alphabet)) != len(alphabet):
            raise ValueError("alphabet needs at least 2 distinct characters, each once")
        return alphabet


class Generalize(_Strict):
    """Coarsen a value: dates, ages, numbers, prefixes, or an ARX-format hierarchy file."""

    action: Literal["generalize"] = "generalize"
    method: Literal["date", "age", "number", "prefix", "hierarchy"]
    to: Literal["month", "quarter", "year"] | None = Field(default=None, description="method: date")
    width: int | float | None = Field(default=None, gt=0, description="method: age or number — band width")
    top: int | float | None = Field(default=None, description="method: age — values ≥ top become 'top+'")
    edges: list[int | float] | None = Field(default=None, description="method: number — explicit bin edges")
    keep: int | None = Field(default=None, ge=0, description="method: prefix — characters kept")
    file: str | None = Field(default=None, description="method: hierarchy — ARX CSV `value;l1;…;*`")
    level: int | None = Field(default=None, ge=0, description="method: hierarchy — 0 is the value itself")
    date_format: str | None = Field(default=None, description="strptime format of text dates (default ISO)")

    @model_validator(mode="after")
    def _options(self) -> Generalize:
        need: dict[str, tuple[str, ...]] = {
            "date": ("to",),
            "age": (),
            "number": (),
            "prefix": ("keep",),
            "hierarchy": ("file", "level"),
        }
        missing = [name for name in need[self.method] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"method {self.method!r} needs {', '.join(missing)}")
        if self.method == "number" and (self.width is None) == (self.edges is None):
            raise ValueError("method 'number' needs exactly one of width or edges")
        if self.edges is not None and sorted(set(self.edges)) != list(self.edges):
            raise ValueError("edges must be strictly increasing")
        return self


class Mask(_Strict):
    """Replace characters by ``char``, keeping ``keep_first`` and ``keep_last`` characters.

    ``010-1234-5678`` with ``keep_first: 3`` and ``keep_last: 4`` → ``010-****-5678`` (separators
    stay unless ``separators: false``). A mask is for display, not protection: the kept characters
    leak (R7). Values no longer than ``keep_first + keep_last`` are masked entirely.
    """

    action: Literal["mask"] = "mask"
    keep_first: int = Field(default=0, ge=0)
    keep_last: int = Field(default=4, ge=0)
    char: str = Field(default="*", min_length=1, max_length=1)
    separators: bool = Field(
        default=True, description="only letters and digits are masked and counted; other characters stay"
    )


class ShiftDates(_Strict):
    """Shift dates by a keyed per-subject offset in [-max_days, +max_days] (never 0 unless max_days=0).

    The offset is derived from HMAC(key, subject value), so one subject's dates keep their
    intervals and order while the calendar dates move.
    """

    action: Literal["shift_dates"] = "shift_dates"
    subject: str = Field(description="column that identifies the subject (the offset is per subject)")
    max_days: int = Field(default=30, ge=1, le=3650)
    date_format: str | None = None


Action = Drop | Keep | Pseudonymize | Tokenize | Fpe | Generalize | Mask | ShiftDates
ColumnAction = Annotated[Action, Field(discriminator="action")]
ACTION_MODELS: dict[str, type[BaseModel]] = {
    "drop": Drop,
    "keep": Keep,
    "pseudonymize": Pseudonymize,
    "tokenize": Tokenize,
    "fpe": Fpe,
    "generalize": Generalize,
    "mask": Mask,
    "shift_dates": ShiftDates,
}


class Suppression(_Strict):
    """Drop records in classes smaller than k, but never more than ``max_share`` of the rows."""

    max_share: float = Field(default=0.05, ge=0, le=1)


class Policy(_Strict):
    """One transfer's protection policy."""

    version: str = POLICY_VERSION
    recipient: str = Field(min_length=1)
    recipient_country: str | None = Field(default=None, description="ISO 3166 alpha-2, e.g. KR, CN, US")
    purpose: str = Field(min_length=1)
    legal_basis: str | None = None
    role: Literal["processor", "controller", "joint"] | None = Field(
        default=None, description="the recipient's role, kept for the record (R24, R27)"
    )
    thresholds: Thresholds = Field(
        default=POLICY_DEFAULTS,
        description="what the output must meet (k, max_risk, l); engineering defaults (R10–R12), not law",
    )
    key: str | None = Field(
        default=None, description="keystore key name, or env:NAME for a key in an environment variable"
    )
    default_action: Literal["refuse", "drop", "keep"] = Field(
        default="refuse", description="what happens to input columns the policy does not mention"
    )
    quasi_identifiers: list[str] | None = Field(
        default=None, description="columns that form equivalence classes; default: the generalised ones"
    )
    sensitive: list[str] = Field(default_factory=list, description="columns checked for l-diversity")
    suppression: Suppression | None = None
    columns: dict[str, ColumnAction]
    record: dict[str, Any] | None = Field(
        default=None,
        description="the transfer record's fields (R24, R27, R34, R36); validated by `datacustoms transfer`, "
        "see docs/ledger.md; `protect` keeps it for the record only",
    )

    # where relative hierarchy files are resolved (the policy file's folder); not part of the schema
    base_dir: str | None = Field(default=None, exclude=True, json_schema_extra={"hidden": True})
    # the policy file's line of each entry ("columns.NAME", "quasi_identifiers", "default_action"),
    # so reports can say which line decided; not part of the schema
    lines: dict[str, int] = Field(default_factory=dict, exclude=True, json_schema_extra={"hidden": True})

    @field_validator("thresholds", mode="before")
    @classmethod
    def _thresholds(cls, value: Any) -> Any:
        """A policy sets k, max_risk and l; what it leaves out comes from POLICY_DEFAULTS, not the measure's."""
        if not isinstance(value, dict):
            return value
        for name in value:
            if name in Thresholds.model_fields and name not in POLICY_FIELDS:
                raise ValueError(f"{name!r} is not a policy threshold (a policy sets k, max_risk and l)")
        return {**POLICY_DEFAULTS.model_dump(), **value}

    def qi_columns(self) -> list[str]:
        """The quasi-identifiers: as declared, else every generalised column (in policy order)."""
        if self.quasi_identifiers is not None:
            return list(self.quasi_identifiers)
        return [name for name, act in self.columns.items() if isinstance(act, Generalize)]

    def qi_reasons(self, input_columns: list[str]) -> dict[str, str]:
        """Why each input column outside :meth:`qi_columns` is not a quasi-identifier, with its line."""
        qi = set(self.qi_columns())
        reasons: dict[str, str] = {}
        for column in input_columns:
            if column in qi:
                continue
            if self.quasi_identifiers is not None:
                where, why = "quasi_identifiers", "quasi_identifiers does not list it"
            elif column in self.columns:
                where = f"columns.{column}"
                why = f"action {self.columns[column].action}; without quasi_identifiers only generalised columns count"
            else:
                where, why = "default_action", f"not listed; default_action {self.default_action}"
            line = self.lines.get(where)
            reasons[column] = f"declared non-QI by {f'policy line {line}' if line else 'the policy'} ({why})"
        return reasons

    def needs_key(self) -> bool:
        return any(act.action in KEYED_ACTIONS for act in self.columns.values())

    def resolve_file(self, name: str) -> Path:
        """A hierarchy path as written in the policy, relative to the policy's folder."""
        path = Path(name)
        if not path.is_absolute() and self.base_dir:
            path = Path(self.base_dir) / path
        return path

    def output_columns(self, input_columns: list[str]) -> list[str]:
        """Input columns that survive, in input order."""
        return [c for c in input_columns if self.action_for(c).action != "drop"]

    def action_for(self, column: str) -> Action:
        act = self.columns.get(column)
        if act is not None:
            return act
        return Drop() if self.default_action == "drop" else Keep()

    def check_columns(self, input_columns: list[str]) -> None:
        """Check the policy against a table's columns, before reading any row."""
        available = list(input_columns)
        for name in self.columns:
            if name not in available:
                raise ColumnError(name, available, what="policy column")
        for name, act in self.columns.items():
            if isinstance(act, ShiftDates) and act.subject not in available:
                raise PolicyError(
                    f"column {name!r}: shift_dates subject {act.subject!r} is not in the input."
                    + did_you_mean(act.subject, available),
                    "name the column that identifies the person",
                )
        for group, names in (
            ("quasi_identifiers", self.quasi_identifiers or []),
            ("sensitive", self.sensitive),
        ):
            for name in names:
                if name not in available:
                    raise ColumnError(name, available, what=f"{group} column")
                if self.action_for(name).action == "drop":
                    raise PolicyError(f"{group} column {name!r} is dropped", f"remove it from {group}")
        unmentioned = [c for c in available if c not in self.columns]
        if unmentioned and self.default_action == "refuse":
            listed = ", ".join(unmentioned[:20]) + (" …" if len(unmentioned) > 20 else "")
            raise PolicyError(
                f"the policy does not say what to do with {len(unmentioned)} input column(s): {listed}",
                "add them under columns: (drop, keep, …) or set default_action: drop",
            )


def _first_error(exc: ValidationError, where: str) -> PolicyError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()))
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        field = str(err["loc"][-1]) if err.get("loc") else "?"
        return PolicyError(f"{where}: unknown option {field!r}", "remove it or check the spelling in docs/policy.md")
    if err.get("type") == "missing":
        return PolicyError(f"{where}: {loc} is required", "add it to the policy")
    return PolicyError(f"{where}: {loc + ': ' if loc else ''}{msg}", "fix the policy (see docs/policy.md)")


def parse_policy(data: Any, *, base_dir: str | Path | None = None, lines: dict[str, int] | None = None) -> Policy:
    """Validate a policy given as a mapping (the parsed YAML); ``lines`` as :func:`policy_lines` gives."""
    if not isinstance(data, dict):
        raise PolicyError("a policy must be a mapping with recipient, purpose and columns", "see docs/policy.md")
    top_fields = set(Policy.model_fields) - {"base_dir", "lines"}
    for name in data:
        if name not in top_fields:
            raise PolicyError(
                f"unknown policy field {name!r}.{did_you_mean(str(name), top_fields)}",
                "see docs/policy.md for the fields",
            )
    columns = data.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise PolicyError("the policy has no columns: mapping", "list each column with its action")
    parsed: dict[str, BaseModel] = {}
    for name, spec in columns.items():
        if isinstance(spec, str):
            spec = {"action": spec}
        if not isinstance(spec, dict) or "action" not in spec:
            raise PolicyError(f"column {name!r}: no action", f"use one of {', '.join(ACTION_MODELS)}")
        action = spec["action"]
        model = ACTION_MODELS.get(str(action))
        if model is None:
            raise PolicyError(
                f"column {name!r}: unknown action {action!r}.{did_you_mean(str(action), ACTION_MODELS)}",
                f"use one of {', '.join(ACTION_MODELS)}",
            )
        try:
            parsed[str(name)] = model.model_validate(spec)
        except ValidationError as exc:
            raise _first_error(exc, f"column {name!r}") from None
    body = {k: v for k, v in data.items() if k != "columns"}
    try:
        policy = Policy.model_validate(
            {**body, "columns": parsed, "base_dir": str(base_dir) if base_dir is not None else None, "lines": lines or {}}
        )
    except ValidationError as exc:
        raise _first_error(exc, "policy") from None
    if policy.needs_key() and not policy.key:
        keyed = [n for n, a in policy.columns.items() if a.action in KEYED_ACTIONS]
        raise PolicyError(
            f"column {keyed[0]!r} needs a key but the policy names none",
            "add key: <keystore name> or key: env:NAME (create one with `datacustoms keys create`)",
        )
    for name, act in policy.columns.items():
        if isinstance(act, Generalize) and act.method == "hierarchy" and act.file is not None:
            path = policy.resolve_file(act.file)
            if not path.is_file():
                raise PolicyError(f"column {name!r}: hierarchy file {act.file!r} not found", "check the path")
    return policy


class StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing what it would otherwise accept silently.

    A key given twice (a later ``name: keep`` would override ``name: drop``) and a date that
    does not exist (``2027-13-45``, which the safe loader turns into a traceback) are errors
    naming the line.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:  # an unhashable key: the safe loader reports it
                continue
            if first != key_node.start_mark.line + 1:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice (first at line {first})", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, "not a valid date (use YYYY-MM-DD)", node.start_mark
            ) from None


StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)
StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_yaml_map)  # type: ignore[type-var]


def load_yaml_file(path: str | Path, what: str = "policy file") -> Any:
    """Parse a YAML file strictly (see :class:`StrictLoader`): one PolicyError line on any problem."""
    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"{what} {str(path)!r} not found", "check the path")
    raw = path.read_bytes()
    try:
        if b"\x00" in raw:
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "NUL byte")
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PolicyError(f"{path.name} is not a YAML text file (binary or not UTF-8)", "check the path") from None
    return load_yaml_text(text, path.name)


def load_yaml_text(text: str, name: str = "the policy text") -> Any:
    """Parse YAML text strictly (see :class:`StrictLoader`); ``name`` is what the one-line error calls it."""
    try:
        return yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) if isinstance(err, yaml.constructor.ConstructorError) else None
        detail = f": {problem}" if problem else ""
        raise PolicyError(f"{name} is not valid YAML{where}{detail}", "fix the file") from None
    except RecursionError:
        raise PolicyError(f"{name} is nested too deeply", "fix the file") from None


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy YAML file."""
    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"policy file {str(path)!r} not found", "check the path or run `datacustoms policy suggest`")
    data = load_yaml_file(path)  # strict: duplicate keys, impossible dates, binary files
    text = path.read_bytes().decode("utf-8-sig")
    return parse_policy(data, base_dir=path.parent.resolve(), lines=policy_lines(text))


def policy_lines(text: str) -> dict[str, int]:
    """1-based line of each top-level key, of each ``columns`` entry (``columns.NAME``) and of each
    ``quasi_identifiers`` item (``quasi_identifiers.NAME``) in a policy's YAML text."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        name = str(key.value)
        lines[name] = key.start_mark.line + 1
        children = value.value if isinstance(value, yaml.MappingNode | yaml.SequenceNode) else []
        for child in children:
            node = child[0] if isinstance(child, tuple) else child
            if isinstance(node, yaml.ScalarNode):
                lines.setdefault(f"{name}.{node.value}", node.start_mark.line + 1)
    return lines


def dump_policy(policy: Policy) -> str:
    """The policy as YAML, only non-default options, columns in order."""
    data = policy.model_dump(mode="json", exclude_defaults=True, exclude={"base_dir", "lines"})
    data["recipient"] = policy.recipient
    data["purpose"] = policy.purpose
    data["thresholds"] = policy.thresholds.model_dump(mode="json", include=set(POLICY_FIELDS), exclude_none=True)
    if policy.suppression is not None:
        data["suppression"] = policy.suppression.model_dump(mode="json")
    columns: dict[str, Any] = {}
    for name, act in policy.columns.items():
        spec = act.model_dump(mode="json", exclude_defaults=True)
        spec = {"action": act.action, **spec}
        columns[name] = spec
    data["columns"] = columns
    order = [f for f in Policy.model_fields if f in data]
    return yaml.safe_dump({f: data[f] for f in order}, sort_keys=False, allow_unicode=True)


def _policy_thresholds_schema(schema: dict[str, Any]) -> None:
    """Show the thresholds a policy may set, with the policy's defaults (the type has more)."""
    defaults = POLICY_DEFAULTS.model_dump(mode="json", include=set(POLICY_FIELDS))
    spec = schema["$defs"]["Thresholds"]
    spec["properties"] = {name: {**prop, "default": defaults[name]}
                          for name, prop in spec["properties"].items() if name in POLICY_FIELDS}
    schema["properties"]["thresholds"]["default"] = defaults


def policy_json_schema() -> dict[str, Any]:
    """The JSON Schema of the policy file (what ``docs/policy.schema.json`` holds)."""
    schema = Policy.model_json_schema(mode="validation")
    schema.get("properties", {}).pop("base_dir", None)
    schema.get("properties", {}).pop("lines", None)
    _policy_thresholds_schema(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "datacustoms policy"
    return schema


def policy_json_schema_text() -> str:
    return json.dumps(policy_json_schema(), indent=2, ensure_ascii=False) + "\n"
