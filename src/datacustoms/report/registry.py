"""Which function renders which result in which format: the one place a new format is added.

A result kind (``report`` for ``inspect``, ``attack`` for ``attack``) maps format names to a
``"module:function"`` (or the function itself) that turns the result into text. Renderers import
on first use, so asking for JSON never loads Jinja. The commands offer exactly the formats listed
here, read when the command runs: a new format is a renderer module plus one line below.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from datacustoms.errors import UsageError, did_you_mean

Renderer = Callable[[Any], str]

#: result kind -> format name -> "module:function" (or the renderer itself)
RENDERERS: dict[str, dict[str, str | Renderer]] = {
    "report": {
        "text": "datacustoms.report.text:render",
        "json": "datacustoms.report.json:report_json",
        "html": "datacustoms.report.html:render_html",
        "markdown": "datacustoms.report.markdown:render_markdown",
    },
    "attack": {
        "text": "datacustoms.attack.text:render_report",
        "json": "datacustoms.report.json:model_json",
        "sarif": "datacustoms.report.ci:render_sarif",
        "junit": "datacustoms.report.ci:render_junit",
    },
}
RENDERERS["report"].update(sarif="datacustoms.report.ci:render_sarif", junit="datacustoms.report.ci:render_junit")

#: the commands whose result is a :class:`datacustoms.report.ci.Checked` (text, JSON and HTML made by the command)
_CHECKED = "datacustoms.report.ci:render_"
for _kind, _formats in {
    "transfer": ("text", "json", "html", "sarif", "junit"),
    "protect": ("text", "json", "html", "sarif", "junit"),
    "risk": ("text", "json", "html", "sarif", "junit"),
    "unicity": ("text", "json", "html", "sarif", "junit"),
    "ledger list": ("text", "json"),
    "ledger lookup": ("text", "json"),
}.items():
    RENDERERS[_kind] = {f: _CHECKED + f for f in _formats}


def formats(kind: str) -> list[str]:
    """The format names ``kind`` can be rendered in, in the order the help lists them."""
    return list(RENDERERS[kind])


def renderer(kind: str, fmt: str) -> Renderer:
    """The function rendering a ``kind`` result as ``fmt``."""
    target = RENDERERS[kind].get(fmt)
    if target is None:
        raise UsageError(f"unknown format {fmt!r}.{did_you_mean(fmt, RENDERERS[kind])}",
                         f"use one of: {', '.join(RENDERERS[kind])}")
    if callable(target):
        return target
    module, function = target.split(":")
    render: Renderer = getattr(import_module(module), function)
    return render


def render(kind: str, fmt: str, result: Any) -> str:
    """``result`` rendered as ``fmt``."""
    return renderer(kind, fmt)(result)
