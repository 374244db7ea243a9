"""People-related kinds on public tables: what detection claims, with headers and with them hidden.

python benchmarks/detect_public_tables.py

Runs detection on every column of the tables that ship inside scikit-learn, statsmodels and
vega_datasets (the ``bench`` extra), once with the real headers and once with every header
renamed ``col<i>`` (only the values decide), and prints each column claimed as a name, an
address, a coordinate, a health or an amount kind, with the value rule that fired. A reader can
judge each claim against the column's real name; the summary counts the value-only claims of
the value-based amount rule among the numeric columns, beside the header-only baseline (which
claims nothing under a neutral header).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pyarrow as pa

from datacustoms.detect.registry import detect_arrow

KINDS = {"person_name", "street_address", "kr_address", "latitude", "longitude", "geo_point", "diagnosis_code",
         "health", "amount"}  # fmt: skip


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


def is_number(field: pa.Field) -> bool:
    return bool(pa.types.is_integer(field.type) or pa.types.is_floating(field.type))


def main() -> None:
    columns = numeric = amounts = 0
    for name, table in tables():
        sample = table.slice(0, 20_000)
        real = sample.column_names
        columns += len(real)
        numeric += sum(1 for f in sample.schema if is_number(f))
        hidden = sample.rename_columns([f"col{i}" for i in range(len(real))])
        for label, found in (("header", detect_arrow(sample)), ("hidden", detect_arrow(hidden))):
            for column, finding in zip(real, found, strict=True):
                if finding.kind not in KINDS:
                    continue
                rule = finding.details.get("value_rule")
                amounts += label == "hidden" and finding.kind == "amount"
                print(f"  {name}: {column!r} ({label}) → {finding.kind}{f' ({rule})' if rule else ''}")
    print(f"{columns} columns in all; value-based amounts with headers hidden: {amounts} of {numeric} numeric "
          "columns claimed (header-only baseline: 0)")  # fmt: skip


if __name__ == "__main__":
    main()
