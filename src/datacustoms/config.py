"""Settings from a configuration file and the environment, below the command line.

Precedence, highest first: a command-line option, an environment variable
(``DATACUSTOMS_<NAME>``, e.g. ``DATACUSTOMS_MAX_AVERAGE_RISK``), the configuration file, the
built-in default. The file is the first ``datacustoms.toml`` (top-level keys) or
``pyproject.toml`` with a ``[tool.datacustoms]`` table found from the current directory upward;
``DATACUSTOMS_CONFIG`` names one explicitly. A bad file, key or value is a
:class:`~datacustoms.errors.ConfigError`: one line, exit code 2. See docs/configuration.md.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from datacustoms.errors import ConfigError, did_you_mean
from datacustoms.model.thresholds import Thresholds

ENV_PREFIX = "DATACUSTOMS_"
#: an explicit configuration file (instead of the search)
CONFIG_ENV = "DATACUSTOMS_CONFIG"
FILE_NAME = "datacustoms.toml"
#: settings that name a file: a relative path in the configuration file is relative to its folder
_PATHS = frozenset({"keystore", "ledger"})


def _positive_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a whole number")
    number = int(value)
    if str(number) != str(value).strip() or number < 1:
        raise ValueError("a whole number of at least 1")
    return number


def _share(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a number")
    number = float(value)
    if not math.isfinite(number) or not 0 < number <= 1:
        raise ValueError("a number in (0, 1]")
    return number


def _positive(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a number")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError("a positive number")
    return number


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a non-empty string")
    return value.strip()


_EXPECT: dict[Callable[[Any], Any], str] = {
    _positive_int: "a whole number of at least 1",
    _share: "a number in (0, 1]",
    _positive: "a positive number",
    _text: "a non-empty string",
}


@dataclass(frozen=True)
class Setting:
    """One setting: its name in the file, the Thresholds field it sets (if any), its parser, help."""

    name: str
    parse: Callable[[Any], Any]
    help: str
    threshold: str | None = None

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


#: every setting, by its name in the file (the environment variable is DATACUSTOMS_<NAME>)
SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("k", _positive_int, "R10: smallest equivalence class", "k"),
        Setting("max_risk", _share, "R11: highest prosecutor risk of a record", "max_risk"),
        Setting("max_average_risk", _share, "R11: highest average prosecutor risk", "avg_risk"),
        Setting("l", _positive_int, "R12: l-diversity of sensitive columns", "l"),
        Setting("c", _positive, "R12: c of recursive (c, l)-diversity", "c"),
        Setting("t", _share, "R12: highest t-closeness distance (unset: reported only)", "t"),
        Setting("dominance", _share, "R12: largest share of one sensitive value in a class", "dominance"),
        Setting("rare_below", _positive_int, "R13: a value rarer than this is rare (unset: k)", "rare_below"),
        Setting("near_unique", _share, "R13: distinct / rows above which a column is near-unique", "near_unique"),
        Setting("attack_budget", _positive, "seconds the reversal attack may spend (inspect, protect, transfer)"),
        Setting("keystore", _text, "the keystore file"),
        Setting("ledger", _text, "the ledger: a SQLite path or a SQLAlchemy URL"),
    )
}


@dataclass(frozen=True)
class Config:
    """The settings of the configuration file and the environment, each with where it came from."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    file: Path | None = None

    def get(self, name: str, cli: Any = None, default: Any = None) -> Any:
        """``cli`` when given, else the environment's or the file's value, else ``default``."""
        if cli is not None:
            return cli
        return self.values.get(name, default)

    def thresholds(self, base: Thresholds | None = None, **cli: Any) -> Thresholds:
        """``base`` (default: the measure stage's) with the file, environment and ``cli`` values on top.

        ``cli`` takes Thresholds field names (``k``, ``max_risk``, ``avg_risk`` …); None means not given.
        """
        chosen: dict[str, Any] = {}
        for s in SETTINGS.values():
            if s.threshold is not None and s.name in self.values:
                chosen[s.threshold] = self.values[s.name]
        chosen.update({name: value for name, value in cli.items() if value is not None})
        start = base or Thresholds()
        try:
            return Thresholds(**{**start.model_dump(), **chosen})
        except ValidationError as err:
            first = err.errors()[0]
            field_name = str(first["loc"][0]) if first.get("loc") else "threshold"
            name = next((s.name for s in SETTINGS.values() if s.threshold == field_name), field_name)
            raise ConfigError(f"invalid threshold {name}: {first['msg']}", self._where()) from None

    def _where(self) -> str:
        named = ", ".join(f"{n} from {src}" for n, src in sorted(self.sources.items()))
        return "give a valid value (see docs/configuration.md)" + (f"; configured: {named}" if named else "")


def find_config_file(start: Path | None = None) -> Path | None:
    """The first ``datacustoms.toml``, or ``pyproject.toml`` with ``[tool.datacustoms]``, from ``start`` up."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / FILE_NAME
        if own.is_file():
            return own
        project = folder / "pyproject.toml"
        if project.is_file() and "datacustoms" in _read_toml(project).get("tool", {}):
            return project
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as err:
        raise ConfigError(f"configuration file {path} cannot be read ({err.strerror})", "check its permissions") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"configuration file {path} is not valid TOML ({err})", "fix its syntax") from None


def _file_table(path: Path) -> dict[str, Any]:
    doc = _read_toml(path)
    if path.name != "pyproject.toml":
        return doc
    table = doc.get("tool", {}).get("datacustoms", {})
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.datacustoms] in {path} is not a table", "see docs/configuration.md")
    return table


def _parse(setting: Setting, value: Any, where: str) -> Any:
    try:
        return setting.parse(value)
    except (TypeError, ValueError):
        want = _EXPECT.get(setting.parse, "a valid value")
        raise ConfigError(f"{setting.name} in {where} must be {want}", "see docs/configuration.md") from None


def load_config(start: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """The configuration file's and the environment's settings (the environment wins)."""
    env = os.environ if environ is None else environ
    explicit = env.get(CONFIG_ENV)
    if explicit:
        path: Path | None = Path(explicit).expanduser()
        assert path is not None
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV} names {path}, which is not a file", "fix or unset it")
    else:
        path = find_config_file(start)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if path is not None:
        for name, value in _file_table(path).items():
            setting = SETTINGS.get(name)
            if setting is None:
                raise ConfigError(f"unknown setting {name!r} in {path}{did_you_mean(name, list(SETTINGS))}",
                                  "see docs/configuration.md for the settings")
            values[name] = _parse(setting, value, str(path))
            if name in _PATHS and "://" not in values[name]:  # relative to the file's folder
                values[name] = str(path.parent / Path(values[name]).expanduser())
            sources[name] = str(path)
    for setting in SETTINGS.values():
        raw = env.get(setting.env)
        if raw is not None and raw.strip():
            values[setting.name] = _parse(setting, raw.strip(), f"environment variable {setting.env}")
            sources[setting.name] = setting.env
    return Config(values=values, sources=sources, file=path)
