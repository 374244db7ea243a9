"""Value-based amount detection on public tables: which neutral-header numeric columns it claims.

python benchmarks/amount_false_positives.py

Every numeric column of the tables that ship inside scikit-learn, statsmodels and vega_datasets
(the ``bench`` extra) is renamed ``col<i>`` and detected, so only the values decide; the script
prints each column claimed as an ``amount`` with the rule that fired and the column's real name,
so a reader can judge which claims are money and which are false positives, and the count of
numeric columns looked at. The baseline is the header-only rule this detector replaced under a
neutral header: it claims nothing.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pyarrow as pa

from datacustoms.detect.registry import detect_arrow


def tables() -> Iterator[tuple[str, pa.Table]]:
    import sklearn.datasets as sk
    import statsmodels.datasets as sm
    from vega_datasets import local_data

    for name in ("load_diabetes", "load_iris", "load_wine", "load_breast_cancer", "load_linnerud"):
        frame = getattr(sk, name)(as_frame=True).frame
        yield f"sklearn {name.removeprefix('load_')}", pa.Table.from_pandas(frame, preserve_index=False)
    for name in sorted(sm.__all__):
        module = getattr(sm, name, None)
        if module is None or not hasattr(module, "load_pandas"):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = module.load_pandas().data
        yield f"statsmodels {name}", pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    for name in local_data.list_datasets():
        frame = getattr(local_data, name.replace("-", "_"))()
        yield f"vega {name}", pa.Table.from_pandas(frame, preserve_index=False)


def main() -> None:
    numeric = claimed = 0
    for name, table in tables():
        keep = [i for i, f in enumerate(table.schema) if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)]
        if not keep:
            continue
        sample = table.select(keep)
        real = sample.column_names
        findings = detect_arrow(sample.rename_columns([f"col{i}" for i in range(len(real))]))
        numeric += len(real)
        for column, finding in zip(real, findings, strict=True):
            if finding.kind == "amount":
                claimed += 1
                print(f"  {name}: {column!r} claimed as amount ({finding.details.get('value_rule')})")
    print(f"value-based amounts: {claimed} of {numeric} neutral-header numeric columns claimed; "
          "header-only baseline: 0 claimed")  # fmt: skip


if __name__ == "__main__":
    main()
