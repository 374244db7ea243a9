"""``datacustoms demo``: generate the Kakao Pay scenario and tell its story with real figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from datacustoms.cli import options as opt
from datacustoms.cli.common import console, handle_errors


def register(app: typer.Typer) -> None:
    @app.command("demo")
    @handle_errors
    def demo_cmd(
        out: Path = typer.Option(Path("datacustoms-demo"), "--out", help="Folder for the generated files and reports."),
        customers: int = typer.Option(2_000, "--customers", help="Customers in the scenario."),
        days: int = typer.Option(3, "--days", help="Daily exports to generate."),
        seed: int = typer.Option(2018, "--seed", help="Seed: the same seed gives the same data."),
        budget: Annotated[float, opt.attack_budget("Seconds the reversal may spend per column.")] = 60.0,
        force: bool = typer.Option(False, "--force", help="Replace an earlier demo in --out."),
    ) -> None:
        """Run the whole loop on synthetic data shaped like the Kakao Pay → Alipay transfer."""
        from datacustoms.flows.demo import run_demo

        # a folder that holds an earlier demo is replaced; any other non-empty folder is refused
        force = force or ((out / "manifest.json").is_file() and (out / "export-report.json").is_file())
        run_demo(out, customers=customers, days=days, seed=seed, budget=budget, force=force,
                 say=lambda line: console.print(line, markup=False))  # fmt: skip
