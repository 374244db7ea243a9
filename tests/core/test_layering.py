"""The floors of docs/architecture.md hold: a package imports only packages on lower floors."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "datacustoms"

#: package (or top-level module) -> floor; the table in docs/architecture.md
FLOORS: dict[str, int] = {
    "errors": 0, "model": 0, "table": 0, "_callable": 0,
    "io": 1, "kinds": 1, "policy": 1, "config": 1, "_spark_daemon": 1,
    "detect": 2, "attack": 2, "risk": 2, "synth": 2,
    "protect": 3, "report": 3,
    "ledger": 4, "engines": 4,
    "flows": 5,
    "service": 6, "api": 6,
    "cli": 7, "launch": 8, "__main__": 9,
}  # fmt: skip


def _imports(path: Path) -> set[str]:
    """The datacustoms packages a module imports (absolute and relative imports)."""
    rel = path.relative_to(SRC.parent).with_suffix("").parts
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(rel[: len(rel) - node.level + (1 if path.name == "__init__.py" else 0)])
                names = [".".join([*base, *([node.module] if node.module else [])])]
            else:
                names = [node.module or ""]
        found.update(n.split(".")[1] for n in names if n.startswith("datacustoms.") and n.count(".") >= 1)
    return found


def test_every_package_has_a_floor() -> None:
    packages = {p.stem if p.is_file() else p.name for p in SRC.iterdir() if p.suffix == ".py" or p.is_dir()}
    packages -= {"__init__", "__pycache__", "templates"}
    assert packages <= set(FLOORS), f"packages without a floor in docs/architecture.md: {sorted(packages - set(FLOORS))}"


def test_no_package_imports_one_on_its_floor_or_above() -> None:
    upward = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).parts
        if rel == ("__init__.py",):
            continue  # the package's lazy public names
        me = Path(rel[0]).stem
        for target in _imports(path) - {me}:
            if FLOORS[target] >= FLOORS[me]:
                upward.append(f"{path.relative_to(SRC)} imports {target} (floor {FLOORS[me]} → {FLOORS[target]})")
    assert not upward, "\n".join(sorted(upward))


def test_the_doc_lists_the_same_floors() -> None:
    doc = (SRC.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name in FLOORS:
        if name != "__main__":
            assert f"`{name}`" in doc, f"docs/architecture.md does not name `{name}`"
