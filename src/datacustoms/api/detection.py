"""An editable detection: analyse → edit → protect, as Presidio's structured engine does.

``datacustoms.detect(df)`` returns a :class:`Detection`: each column's kind, role, score and
evidence, from one random sample and the same detectors as ``datacustoms inspect``. Correct it
where the sample misled (``set_kind``, ``set_role``), mark columns to leave out (``drop``), then
turn it into a policy (``suggest_policy``: the rules of ``datacustoms policy suggest`` applied to
the edited findings) or hand it straight to ``datacustoms.protect(df, detection)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, get_args

import pyarrow as pa

from datacustoms.detect import DetectorRegistry, builtin_registry, detect_columns
from datacustoms.errors import ColumnError, UsageError, did_you_mean
from datacustoms.model.display import plural, table_html
from datacustoms.model.findings import ColumnFinding, Role
from datacustoms.policy import Drop, Policy
from datacustoms.protect.suggest import Suggestion, suggest_policy
from datacustoms.table import Table

ROLES: tuple[str, ...] = get_args(Role)
ROLE_WORDS = {"direct_identifier": "direct identifier", "pseudonym": "pseudonym", "quasi_identifier": "quasi-identifier",
              "sensitive": "sensitive column", "other": "other column"}  # fmt: skip
#: the columns of :meth:`Detection.to_table`, in order
DETECTION_COLUMNS = ("column", "kind", "role", "score", "edited", "dropped", "null_share", "distinct_sampled",
                     "detectors", "uncertain")  # fmt: skip


@dataclass
class Detection:
    """What each column of ``table`` is; edit it in place (each edit returns the detection)."""

    table: Table
    findings: list[ColumnFinding]
    registry: DetectorRegistry = field(default_factory=builtin_registry)
    dropped: list[str] = field(default_factory=list)
    edited: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.findings]

    def __getitem__(self, column: str) -> ColumnFinding:
        for f in self.findings:
            if f.column == column:
                return f
        raise ColumnError(column, self.columns)

    def __iter__(self) -> Iterator[ColumnFinding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    # -- edits ------------------------------------------------------------------------------

    def set_kind(self, column: str, kind: str, role: str | None = None) -> Detection:
        """Say what ``column`` holds; its role follows the kind's detector unless ``role`` is given.

        ``kind`` is a detector's kind (``kr_mobile``, ``email``, ``age``, …), ``digest`` or
        ``digest:…``, ``other``, or any name of your own together with a ``role``.
        """
        finding = self[column]
        chosen = self._role(role) if role is not None else self._kind_role(kind)
        self._edit(column, f"kind {finding.kind} → {kind}")
        finding.kind, finding.role, finding.score, finding.uncertain = kind, chosen, 1.0, None
        return self

    def set_role(self, column: str, role: str) -> Detection:
        """Say what part ``column`` plays: ``direct_identifier``, ``pseudonym``, ``quasi_identifier``,
        ``sensitive`` or ``other``."""
        finding = self[column]
        chosen = self._role(role)
        self._edit(column, f"role {finding.role} → {chosen}")
        finding.role, finding.uncertain = chosen, None
        return self

    def drop(self, *columns: str) -> Detection:
        """Leave ``columns`` out of the output (the suggested policy drops them)."""
        for column in columns:
            self[column]
            if column not in self.dropped:
                self.dropped.append(column)
        return self

    def _edit(self, column: str, what: str) -> None:
        before = self.edited.get(column)
        self.edited[column] = f"{before}; {what}" if before else what

    def _role(self, role: str) -> Role:
        if role not in ROLES:
            raise UsageError(f"unknown role {role!r}.{did_you_mean(role, ROLES)}", f"use one of {', '.join(ROLES)}")
        return role  # type: ignore[return-value]

    def _kind_role(self, kind: str) -> Role:
        if kind == "other":
            return "other"
        if kind.startswith("digest:"):
            return "pseudonym"
        detector = self.registry.by_kind.get(kind)
        if detector is None:
            known = [*self.registry.by_kind, "other"]
            raise UsageError(
                f"unknown kind {kind!r}.{did_you_mean(kind, known)}",
                "use a detector's kind, or give the role too: set_kind(column, kind, role=...)",
            )
        return detector.role

    # -- what the detection gives ------------------------------------------------------------

    def suggestion(
        self,
        *,
        k: int = 5,
        max_suppression: float = 0.05,
        recipient: str | None = None,
        purpose: str | None = None,
        join_keys: list[str] | None = None,
        key: str = "env:DATACUSTOMS_KEY",
        hierarchies: str | Path | None = None,
    ) -> Suggestion:
        """The policy ``datacustoms policy suggest`` would write for the edited findings, with reasons."""
        kept = [c for c in self.columns if c not in self.dropped]
        found = suggest_policy(
            _select(self.table, kept),
            k=k,
            max_suppression=max_suppression,
            hierarchies=hierarchies,
            recipient=recipient,
            purpose=purpose,
            join_keys=join_keys,
            key=key,
            findings=[f for f in self.findings if f.column not in self.dropped],
        )
        columns = {c: found.policy.columns[c] if c in found.policy.columns else Drop() for c in self.columns}
        found.policy = found.policy.model_copy(update={"columns": columns})
        found.reasons.update({c: "drop — dropped from the detection" for c in self.dropped})
        return found

    def suggest_policy(self, **options: Any) -> Policy:
        """The suggested policy alone (options as :meth:`suggestion`)."""
        return self.suggestion(**options).policy

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "column": f.column,
                "kind": f.kind,
                "role": f.role,
                "score": f.score,
                "edited": self.edited.get(f.column),
                "dropped": f.column in self.dropped,
                "null_share": f.null_share,
                "distinct_sampled": f.distinct_sampled,
                "detectors": ",".join(e.detector for e in f.evidence),
                "uncertain": f.uncertain,
            }
            for f in self.findings
        ]

    def to_table(self) -> pa.Table:
        """The detection as a ``pyarrow.Table`` (columns: :data:`DETECTION_COLUMNS`)."""
        rows = self.rows()
        types = {"score": pa.float64(), "null_share": pa.float64(), "distinct_sampled": pa.int64(),
                 "dropped": pa.bool_()}  # fmt: skip
        return pa.table({c: pa.array([r[c] for r in rows], types.get(c, pa.string())) for c in DETECTION_COLUMNS})

    def to_pandas(self) -> Any:
        """The detection as a ``pandas.DataFrame`` (needs pandas)."""
        return self.to_table().to_pandas()

    def summary(self) -> str:
        roles: list[str] = [f.role for f in self.findings if f.column not in self.dropped]
        counts = ", ".join(plural(roles.count(r), ROLE_WORDS[r]) for r in ROLES if roles.count(r))
        edits = f"; {len(self.edited)} edited" if self.edited else ""
        dropped = f", {len(self.dropped)} dropped" if self.dropped else ""
        return f"{plural(len(self.findings), 'column')} — {counts or 'none'}{edits}{dropped}"

    def __repr__(self) -> str:
        return f"<Detection of {self.table.name}: {self.summary()}>"

    def _repr_html_(self) -> str:
        shown = DETECTION_COLUMNS[:6]
        head = f"<p>detection of {escape(self.table.name)}: {escape(self.summary())}</p>"
        return head + table_html(shown, ([r[c] for c in shown] for r in self.rows()))


def _select(table: Table, columns: list[str]) -> Table:
    """The same source, only ``columns`` (a view: nothing is read here)."""
    if columns == table.column_names:
        return table
    schema = pa.schema([table.schema.field(c) for c in columns])
    return Table(
        name=table.name,
        schema=schema,
        open_batches=lambda: table.batches(columns),
        source=table.source,
        format=table.format,
        num_rows_hint=table.num_rows_hint,
        notes=list(table.notes),
    )


def detect(
    data: Any,
    *,
    sample_rows: int = 20_000,
    registry: DetectorRegistry | None = None,
    **read_options: Any,
) -> Detection:
    """Detect every column of ``data`` (a frame, an Arrow table, a path or a SQL URL with ``table=``)."""
    from datacustoms.io import read

    table = read(data, **read_options)
    if sample_rows < 1:
        raise UsageError(f"sample_rows={sample_rows} would look at no rows", "give a positive number, e.g. 20000")
    chosen = registry or builtin_registry()
    return Detection(table, detect_columns(table, sample_rows, registry=chosen), chosen)
