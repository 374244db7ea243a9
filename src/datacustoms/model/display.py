"""Small notebook displays shared by the result objects (``_repr_html_``): escaped, no styling files.

A notebook shows an object's ``_repr_html_`` instead of its ``repr``; these helpers build the few
elements every result uses (a verdict line, a table, a list) with every text escaped, so a column
name can never inject markup. Nothing here reads data values: callers pass counts, names, kinds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

COLOURS = {"pass": "#1a7f37", "fail": "#cf222e", "warn": "#9a6700"}


def verdict_html(verdict: str, title: str, detail: str) -> str:
    """``<b>FAIL</b> title — detail`` with the verdict coloured."""
    colour = COLOURS.get(verdict, "inherit")
    return (
        f'<p><b style="color:{colour}">{escape(verdict.upper())}</b> {escape(title)}'
        + (f" — {escape(detail)}" if detail else "")
        + "</p>"
    )


def table_html(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain HTML table; ``None`` shows as an empty cell, floats with three decimals."""

    def cell(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.3f}"
        return escape(str(value))

    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def list_html(items: Iterable[str]) -> str:
    """An unordered list, or nothing for no items."""
    rendered = "".join(f"<li>{escape(item)}</li>" for item in items)
    return f"<ul>{rendered}</ul>" if rendered else ""


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 column``, ``3 columns`` (``many`` for irregular plurals)."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"
