"""False PASS verdicts of the risk checks: conservative candidates against detection-only QIs.

python benchmarks/false_pass.py [--out /tmp/false-pass]

Tables: the scenario's daily export (``datacustoms.synth``) and four public tables with people in
them whose data ships inside PyPI wheels (the ``bench`` extra): scikit-learn's diabetes patients
(``load_diabetes(scaled=False)``), statsmodels' ``fair`` (extramarital affairs survey, 6,366
women), statsmodels' ``anes96`` (American National Election Study 1996, 944 voters) and
vega_datasets' ``la-riots`` (the 63 people killed in the 1992 Los Angeles riots, from the Los
Angeles Times: first and last names, age, sex, race, date, street address or corner,
neighbourhood, latitude and longitude).

Besides the risk verdict, each line lists the direct identifiers detection found (rule R1): on
``la-riots`` the names and the address must fail R1, and the coordinates must be measured as
quasi-identifiers.

Ground truth, computed independently with Arrow group-bys: a table is risky when some combination
of up to 3 of its non-identifier columns has a class smaller than k = 5. A false PASS is a risk
verdict (R10 / R11 checks) of pass on a risky table.
"""

from __future__ import annotations

import argparse
import tempfile
from itertools import combinations
from pathlib import Path

import pyarrow as pa

import datacustoms
from datacustoms.io import read
from datacustoms.model.report import Report
from datacustoms.risk.profile import propose_columns
from datacustoms.risk.scope import candidate_columns

K = 5


def public_tables() -> dict[str, pa.Table]:
    from sklearn.datasets import load_diabetes
    from statsmodels.datasets import anes96, fair
    from vega_datasets import local_data

    diabetes = load_diabetes(scaled=False, as_frame=True).frame
    return {
        "sklearn diabetes": pa.Table.from_pandas(diabetes, preserve_index=False),
        "statsmodels fair": pa.Table.from_pandas(fair.load_pandas().data, preserve_index=False),
        "statsmodels anes96": pa.Table.from_pandas(anes96.load_pandas().data, preserve_index=False),
        "vega_datasets la-riots": pa.Table.from_pandas(local_data.la_riots(), preserve_index=False),
    }


def scenario_export(out: Path) -> pa.Table:
    from datacustoms.synth import generate_kakaopay

    manifest = generate_kakaopay(out, customers=2_000, days=1, seed=2018, force=True)
    return read(manifest.exports[0]).reader().read_all()


def risky(table: pa.Table, columns: list[str]) -> str | None:
    """The first combination of up to 3 columns with a class below K (None: none)."""
    for size in (1, 2, 3):
        for combo in combinations(columns, size):
            counts = table.group_by(list(combo)).aggregate([([], "count_all")]).column("count_all")
            if min(counts.to_pylist()) < K:
                return " + ".join(combo)
    return None


def risk_verdict(report: Report) -> str:
    return "fail" if any(c.status == "fail" and c.rule in ("R10", "R11") for c in report.checks) else "pass"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="folder for the scenario (default: temporary)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="false-pass-"))
    tables = {"scenario export": scenario_export(out), **public_tables()}
    false_new = false_old = 0
    for name, table in tables.items():
        new = datacustoms.inspect(table, attack=False, thresholds={"k": K})
        detected, sensitive = propose_columns(new.findings)
        old = datacustoms.inspect(table, attack=False, qi=detected, sensitive=sensitive, thresholds={"k": K},
                                  measure=bool(detected))  # fmt: skip
        truth = risky(table, candidate_columns(new.findings, sensitive))
        v_new, v_old = risk_verdict(new), risk_verdict(old)
        false_new += v_new == "pass" and truth is not None
        false_old += v_old == "pass" and truth is not None
        worst = new.combinations.worst[0].columns if new.combinations and new.combinations.worst else []
        direct = [f"{f.column} ({f.kind})" for f in new.findings if f.role == "direct_identifier"]
        print(f"{name}: {table.num_rows:,} rows; truth {'risky (' + truth + ')' if truth else 'safe'}; "
              f"detection-only QIs {detected or '—'} → {v_old.upper()}; candidates → {v_new.upper()}"
              f" (worst: {' + '.join(worst) or '—'}); R1 direct identifiers: {', '.join(direct) or '—'}")  # fmt: skip
    print(f"false PASS: {false_new} of {len(tables)} with candidate QIs, {false_old} of {len(tables)} detection-only")


if __name__ == "__main__":
    main()
