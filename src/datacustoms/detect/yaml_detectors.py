"""Pattern detectors declared in YAML, built exactly like the built-ins.

A file holds a list under ``detectors:`` (or a single mapping)::

    detectors:
      - kind: employee_no
        role: direct_identifier
        pattern: "E[0-9]{6}"
        header_words: [employee, 사번]
        min_share: 0.9
        priority: 60

The file is validated completely before any detector is built: an unknown field, a pattern RE2
cannot compile, or a role outside the five roles raises one :class:`PolicyError` line that names
the detector and the field. ``DetectorRegistry.with_yaml(path)`` returns a new registry with them;
a YAML detector may replace a built-in of the same kind, on purpose.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from datacustoms.detect.base import Detector
from datacustoms.errors import InputError, PolicyError
from datacustoms.model.findings import Role


class YamlDetectorSpec(BaseModel):
    """One declared pattern detector."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern=r"^[a-z][a-z0-9_:/\-]{0,63}$", description="snake_case kind name")
    role: Role
    pattern: str = Field(min_length=1, description="RE2 pattern matched against the whole value")
    header_words: list[str] = Field(default_factory=list)
    negative_words: list[str] = Field(default_factory=list)
    min_share: float = Field(default=0.8, gt=0, le=1)
    priority: int = Field(default=50, ge=0, le=100)
    needs_header: bool = False

    @field_validator("kind")
    @classmethod
    def _not_other(cls, value: str) -> str:
        if value == "other":
            raise ValueError("'other' means no finding; choose a name for what the column holds")
        return value

    @field_validator("pattern")
    @classmethod
    def _re2(cls, value: str) -> str:
        try:
            pc.match_substring_regex(pa.array([""]), f"^(?:{value})$")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ValueError(f"not an RE2 pattern ({str(exc).splitlines()[0]})") from None
        return value


class YamlDetectorFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    detectors: list[YamlDetectorSpec] = Field(min_length=1)


def _first_error(exc: ValidationError, path: Path, data: dict[str, Any]) -> PolicyError:
    """One line naming the detector and the field, with a 'Did you mean' for unknown fields."""
    errors = exc.errors()
    # an unknown field explains a "field required" next to it (a typo): report it first
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    location = [str(part) for part in error["loc"]]
    where = location[:]
    if len(location) >= 2 and location[0] == "detectors":
        index = int(location[1])
        kind = data["detectors"][index].get("kind") if isinstance(data["detectors"][index], dict) else None
        where = [f"detectors[{index}]" + (f" ({kind})" if kind else ""), *location[2:]]
    field = location[-1] if location else "?"
    hint = "see docs/detectors.md for the fields a YAML detector takes"
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(field, list(YamlDetectorSpec.model_fields), n=1)
        message = f"{path.name}: {'.'.join(where[:-1]) or 'top level'}: unknown field {field!r}"
        if close:
            hint = f"Did you mean {close[0]!r}?"
    else:
        message = f"{path.name}: {'.'.join(where)}: {error['msg'].removeprefix('Value error, ')}"
    return PolicyError(message, hint)


def parse_yaml_detectors(path: str | Path) -> list[YamlDetectorSpec]:
    """Read and validate a detector file (nothing is built until every detector is valid)."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{file} does not exist", "check the path of the detector file")
    from datacustoms.policy import load_yaml_file

    data = load_yaml_file(file, "detector file")
    if isinstance(data, dict) and "detectors" not in data:
        data = {"detectors": [data]}
    if not isinstance(data, dict) or not isinstance(data.get("detectors"), list):
        raise PolicyError(
            f"{file.name}: expected a mapping with a 'detectors' list", "see docs/detectors.md for an example"
        )
    try:
        specs = YamlDetectorFile.model_validate(data).detectors
    except ValidationError as exc:
        raise _first_error(exc, file, data) from None
    kinds = [spec.kind for spec in specs]
    duplicate = next((k for k in kinds if kinds.count(k) > 1), None)
    if duplicate:
        raise PolicyError(f"{file.name}: kind {duplicate!r} is declared twice", "give each detector its own kind")
    return specs


def detector_class(spec: YamlDetectorSpec) -> type[Detector]:
    """A Detector subclass for one spec (the same machinery as a hand-written detector)."""
    name = "Yaml_" + "".join(part.capitalize() for part in spec.kind.replace(":", "_").split("_"))
    attributes: dict[str, Any] = {
        "__doc__": f"Declared in YAML: {spec.kind}.",
        "kind": spec.kind,
        "role": spec.role,
        "pattern": spec.pattern,
        "header_words": tuple(spec.header_words),
        "negative_words": tuple(spec.negative_words),
        "min_share": spec.min_share,
        "priority": spec.priority,
        "needs_header": spec.needs_header,
    }
    return type(name, (Detector,), attributes)
