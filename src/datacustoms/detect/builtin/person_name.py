"""Person names in Latin script (``Maria Garcia``, ``KIM MINJUN``, first- and last-name columns).

Values decide through the dictionaries and the shape rule of :mod:`datacustoms.kinds.names`:

* under a name header (``first_name``, ``last_name``, ``full_name``, ``name``, ``holder`` …) 60% of
  the distinct values must be names, single known words included (a last-name column);
* without one, 80% must be full names (two or more words, a known given name first) and the
  column must be varied (at least 20 distinct values, mostly unique), since a few ``Morgan
  Stanley``-like company names or ``Paris`` hotels do not make a column of people.

A header that names a thing (``product_name``, ``user_name``, ``file_name``, ``company_name``)
is no name header: its values must pass the stricter rule.
"""

from __future__ import annotations

from datacustoms.detect.base import HEADER_RELIEF, ColumnSample, SpecDetector, header_has
from datacustoms.kinds import names
from datacustoms.kinds.builtin import PERSON_NAME
from datacustoms.model.findings import ColumnFinding

MIN_VARIED = 20
PROBE = 200  # values looked at first: a column with few names among them is not read further


class PersonName(SpecDetector, spec=PERSON_NAME):
    def match(self, sample: ColumnSample) -> ColumnFinding | None:
        considered = len(sample.distinct)
        if considered == 0:
            return None
        hint = header_has(sample.name, self.header_words)
        negative = header_has(sample.name, self.negative_words)
        if negative is not None:
            hint = None
        candidates = self.candidates(sample)
        if len(candidates) / considered < self.min_share - HEADER_RELIEF:
            return None
        probe = candidates[:PROBE]
        if sum(1 for v in probe if names.is_full_name(v) or names.is_single_name(v)) < 0.4 * len(probe):
            return None
        full = [v for v in candidates if names.is_full_name(v)]
        if hint is not None:
            chosen = set(full)
            valid = full + [v for v in candidates if v not in chosen and names.is_single_name(v)]
            if len(valid) < 2 or len(valid) / considered < self.min_share - HEADER_RELIEF:
                return None
        else:
            valid = full
            varied = len(valid) >= MIN_VARIED and sample.repeat_ratio <= 3.0
            if not varied or len(valid) / considered < self.min_share:
                return None
        share = len(valid) / considered
        note = f"header word {negative!r} names a thing: full names required" if negative else None
        finding = self.finding(sample, valid, share, share, hint, note=note)
        finding.details = {"full_name_share": round(len(full) / considered, 4)}
        return finding
