"""``ledger exposure``: the cumulative figures of one recipient over time (R17)."""

from __future__ import annotations

import json
from typing import Any

import typer

from datacustoms.cli.common import console


def print_exposure(store: Any, recipient: str, k: int | None, as_json: bool) -> None:
    from datacustoms.ledger.exposure import history

    data = history(store, recipient, k)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    rows = data["transfers"]
    if not rows and not data["not_sketched"]:
        console.print(f"No sent transfer to {recipient} is recorded.")
        return
    lines = [f"cumulative exposure of {recipient} (R17; estimates from keyed samples of up to 1,024 people)",
             f"{'#':>5}  {'time (UTC)':<16}  {'rows':>10}  {'releases':>8}  {'people':>10}  {'linkable':>8}  "
             f"{'at risk':>7}  {'highest':>7}  {'k':>3}  {'bytes':>6}"]  # fmt: skip
    for r in rows:
        link = f"{r['linkable_share']:.0%}" if r["linkable_share"] is not None else "—"
        lines.append(f"{r['entry']:>5}  {str(r['time'])[:16].replace('T', ' '):<16}  {r['rows']:>10,}  "
                     f"{r['releases']:>8}  {r['people']:>10,.0f}  {link:>8}  {r['at_risk_share']:>7.1%}  "
                     f"{r['highest_risk']:>7.2f}  {r['k']:>3}  {r['fingerprint_bytes']:>6,}")  # fmt: skip
    if data["not_sketched"]:
        lines.append(f"not in the figures: {len(data['not_sketched'])} transfer(s) recorded without a fingerprint "
                     f"(entries {', '.join(map(str, data['not_sketched'][:10]))}) — they were sent before sketches "
                     "were recorded, so what they carried is unknown here")  # fmt: skip
    console.print("\n".join(lines), soft_wrap=True)
