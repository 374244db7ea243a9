"""The options the commands share, defined once: names, short forms, defaults and help.

A command declares ``output: Output = None`` (or ``Annotated[Path, output(..., required=True)]``
where its help must say more); the engine options become one :class:`~datacustoms.engines.base.Engine`
through :func:`engine_from`. A command module adds only its own options and its messages.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer

from datacustoms.engines import DEFAULT_SPARK_MASTER, parse_spark_conf, resolve_engine
from datacustoms.errors import UsageError

if TYPE_CHECKING:
    from datacustoms.engines.base import Engine
    from datacustoms.model.thresholds import Thresholds

LEDGER_HELP = "Ledger location: a SQLite path or a SQLAlchemy URL (default: $DATACUSTOMS_LEDGER or ~/.local/share/datacustoms/ledger.db)."
KEYSTORE_HELP = "Keystore file (default: $DATACUSTOMS_KEYSTORE, else ~/.config/datacustoms/keystore.json)."


FORMAT = ("--format", "-f")


class Format(StrEnum):
    """Every summary format a command may offer; each command lists the ones it renders."""

    text = "text"
    json = "json"
    html = "html"
    csv = "csv"


def format_option(*allowed: Format, help: str | None = None) -> Any:
    """``--format`` / ``-f``, limited to ``allowed`` (the first is the default the command declares)."""
    names = [f.value for f in allowed]
    text = help or f"Output format: {', '.join(names[:-1])} or {names[-1]}."
    return typer.Option(*FORMAT, help=text, click_type=click.Choice(names))


class RegisteredFormat(click.Choice):
    """The formats registered for a result kind, read from the renderer registry when asked."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__([])

    @property  # type: ignore[override]
    def choices(self) -> list[str]:
        from datacustoms.report.registry import formats

        return formats(self.kind)

    @choices.setter
    def choices(self, value: Any) -> None:  # click.Choice sets it in __init__; the registry decides
        pass


def rendered_format_option(kind: str, help: str = "Output format: text, json, html, sarif (SARIF 2.1.0) or junit "
                           "(JUnit XML), as far as the command offers them.") -> Any:
    """``--format`` / ``-f`` offering every renderer registered for ``kind`` (a new renderer needs no change here)."""
    return typer.Option(*FORMAT, help=help, click_type=RegisteredFormat(kind))


def refuse_html_on_terminal(fmt: str, output: Path | None) -> None:
    """An HTML page is not printed to a terminal: the one message suggesting a file."""
    import sys

    if fmt == "html" and output is None and sys.stdout.isatty():
        raise UsageError("--format html would print a whole page to the terminal",
                         "write it to a file: -o report.html (transfer: --report report.html)")


OUTPUT = ("--output", "-o")


def output(help: str = "Write here (atomically) instead of stdout.") -> Any:
    """``--output`` / ``-o`` for ``Annotated[...]`` (required when the parameter has no default)."""
    return typer.Option(*OUTPUT, help=help)


def required_output(help: str) -> Any:
    """``--output`` / ``-o`` as a required parameter's default (``output: Path = required_output(...)``)."""
    return typer.Option(..., *OUTPUT, help=help)


def policy(help: str = "The policy YAML file.") -> Any:
    """``--policy`` / ``-p`` (always required)."""
    return typer.Option("--policy", "-p", help=help)


#: the attack budget when neither the option, DATACUSTOMS_ATTACK_BUDGET nor the configuration file sets one
DEFAULT_ATTACK_BUDGET = 30.0


def attack_budget(help: str = "Seconds the reversal attack may spend per column.") -> Any:
    """``--attack-budget`` in seconds (None: the configuration's, else 30; see :func:`resolve_attack_budget`)."""
    return typer.Option("--attack-budget", help=f"{help} (default: configuration, else 30)")


def resolve_attack_budget(seconds: float | None) -> float:
    """The option's budget, else DATACUSTOMS_ATTACK_BUDGET or the configuration file's, else 30; checked positive."""
    from datacustoms.config import load_config

    chosen = float(load_config().get("attack_budget", seconds, DEFAULT_ATTACK_BUDGET))
    check_attack_budget(chosen)
    return chosen


K = Annotated[int | None, typer.Option(
    "--k", help="Minimum equivalence-class size (R10), at least 2 (default: configuration, else 5).")]
MaxRisk = Annotated[float | None, typer.Option(
    "--max-risk", help="Highest acceptable prosecutor risk (R11), in (0, 1] (default: configuration, else 0.09).")]
MaxAverageRisk = Annotated[float | None, typer.Option(
    "--max-average-risk", "--avg-risk",
    help="Highest acceptable average prosecutor risk (R11), in (0, 1] (default: configuration, else 0.075).")]


def measure_limits(k: int | None, max_risk: float | None, avg_risk: float | None, **more: Any) -> Thresholds:
    """The measure stage's limits: options given, else environment, else configuration file, else R10–R13 defaults.

    Vacuous k or highest risk are refused first, with the option's own message.
    """
    from datacustoms.config import load_config
    from datacustoms.flows.inspect import refuse_vacuous
    from datacustoms.model.thresholds import Thresholds

    config = load_config()
    base = Thresholds()
    refuse_vacuous(config.get("k", k, base.k), config.get("max_risk", max_risk, base.max_risk))
    return config.thresholds(k=k, max_risk=max_risk, avg_risk=avg_risk, **more)


def engine(help: str = "embedded (this process) or spark.") -> Any:
    """``--engine embedded|spark`` (resolved with the Spark options by :func:`engine_from`)."""
    return typer.Option("--engine", help=help)


Output = Annotated[Path | None, output()]
Quiet = Annotated[bool, typer.Option(
    "--quiet", "-q", help="No progress on stderr (it is shown for long steps: a bar on a terminal, plain lines otherwise).")]
Ledger = Annotated[str | None, typer.Option("--ledger", help=LEDGER_HELP)]
Keystore = Annotated[Path | None, typer.Option("--keystore", help=KEYSTORE_HELP)]
CreateKey = Annotated[bool, typer.Option(
    "--create-key", help="Create the policy's keystore key (keystore:NAME) first when it does not exist yet.")]
NoAttack = Annotated[bool, typer.Option("--no-attack", help="Skip the reversal attack in the proof.")]
SparkMaster = Annotated[str, typer.Option("--spark-master", help="Spark master URL for --engine spark.")]
SparkConf = Annotated[
    list[str] | None,
    typer.Option("--spark-conf", help="A Spark setting KEY=VALUE for --engine spark (repeatable)."),
]


class SaltMode(StrEnum):
    """Where a known salt goes in the recipe."""

    prefix = "prefix"
    suffix = "suffix"
    hmac = "hmac"
    any = "any"


SALT_HELP = (
    "A salt or HMAC key you know (leaked, or the sender's own): hex:…, text:…, or a bare value (tried as hex "
    "and as text when it is valid hex); repeatable. Prefer --salt-file: a command line is visible to other "
    "users of the machine."
)
Salt = Annotated[list[str] | None, typer.Option("--salt", help=SALT_HELP)]
SaltFile = Annotated[
    list[str] | None,
    typer.Option("--salt-file", help="A file holding one known salt or HMAC key (bytes as stored); repeatable."),
]
SaltModeOption = Annotated[
    SaltMode, typer.Option("--salt-mode", help="Where the known salt goes: prefix, suffix, hmac (the key) or any.")
]


def known_salts(salt: list[str] | None, salt_file: list[str] | None, mode: SaltMode) -> list[Any]:
    """The ``--salt``/``--salt-file``/``--salt-mode`` options as the attack's salts."""
    from datacustoms.attack.secrets import known_salts as parse

    return list(parse(salt or (), salt_file or (), mode.value))


def check_attack_budget(seconds: float) -> None:
    """The one message for a budget that allows no attack."""
    if seconds <= 0:
        raise UsageError("--attack-budget must be positive", "e.g. --attack-budget 30")


def engine_from(name: str, master: str = DEFAULT_SPARK_MASTER, conf: list[str] | None = None) -> Engine:
    """The engine the ``--engine``, ``--spark-master`` and ``--spark-conf`` options name, ready to use."""
    return resolve_engine(name, master=master, conf=parse_spark_conf(conf, name))


def split_list(value: str | None) -> list[str] | None:
    """A comma-separated option as a list (None when not given or empty)."""
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def create_policy_key(policy_path: Path, keystore: Path | None) -> None:
    """``--create-key``: create the keystore key the policy names when it is missing (a note on stderr)."""
    import sys

    import yaml

    from datacustoms.protect.keys import Keystore

    try:
        data = yaml.safe_load(policy_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return  # the command reports an unreadable policy itself
    ref = data.get("key") if isinstance(data, dict) else None
    if not isinstance(ref, str):
        return
    if ref.startswith("env:"):
        raise UsageError(
            f"--create-key creates keystore keys, but the policy's key is {ref}",
            f"export {ref[4:]}=<64 hex digits>, or set `key: keystore:NAME` in the policy",
        )
    store = Keystore(keystore)
    info = store.ensure(ref.removeprefix("keystore:"))
    if info is not None:
        print(f"created key {info.name} version {info.version}: {info.id} in {store.path}", file=sys.stderr)
