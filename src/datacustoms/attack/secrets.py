"""Known secrets: a salt or pepper the caller holds (from a leak, or the sender's own configuration).

A salted or keyed digest cannot be reversed blind, but it can once the salt is known:
``sha256(salt + phone)``, ``sha256(phone + salt)`` and ``HMAC-SHA256(salt, phone)`` are then as
enumerable as a plain hash. ``attack`` and ``inspect`` take ``--salt HEX|TEXT`` or
``--salt-file PATH`` with ``--salt-mode prefix|suffix|hmac|any``; the planner tries each salt in
those places next to the unsalted recipes.

The salt is a secret: recipes print it as "the given salt (16 bytes)", :class:`Salt` keeps it out
of its repr, and no error message quotes it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from datacustoms.attack.hashes.recipes import Salt
from datacustoms.errors import InputError, UsageError

SALT_MODES: dict[str, tuple[str, ...]] = {
    "prefix": ("prefix",),
    "suffix": ("suffix",),
    "hmac": ("hmac",),
    "any": ("prefix", "suffix", "hmac"),
}
#: the largest salt file read (a salt, a pepper or an HMAC key, not a data file)
MAX_SALT_FILE = 4096
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")


def _label(n: int, total: int, how: str, size: int) -> str:
    which = f"given salt #{n}" if total > 1 else "the given salt"
    return f"{which} ({how}, {size} bytes)"


def salt_bytes(text: str) -> list[tuple[str, bytes]]:
    """The byte strings a ``--salt`` value may mean: ``hex:…`` and ``text:…`` say which; a bare
    value that is valid hex is tried both ways (its bytes and its text); anything else is text."""
    if text.startswith("hex:"):
        body = text[4:].strip()
        if not _HEX.fullmatch(body):
            raise UsageError("--salt hex:… is not valid hex (an even number of 0-9 a-f digits)",
                             "check the value, or write text:… for a text salt")  # fmt: skip
        return [("hex", bytes.fromhex(body))]
    if text.startswith("text:"):
        return [("text", text[5:].encode("utf-8"))]
    if not text:
        raise UsageError("--salt is empty", "give the salt as hex:… or text:…, or --salt-file PATH")
    out = [("text", text.encode("utf-8"))]
    if _HEX.fullmatch(text):
        out.insert(0, ("hex", bytes.fromhex(text)))
    return out


def file_bytes(path: str) -> list[tuple[str, bytes]]:
    """A salt file's bytes as stored; a trailing line break is also tried stripped (editors add one)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"salt file {p.name} does not exist", "check the path given to --salt-file")
    if p.stat().st_size > MAX_SALT_FILE:
        raise InputError(f"salt file {p.name} is larger than {MAX_SALT_FILE} bytes",
                         "a salt file holds one salt, pepper or key")  # fmt: skip
    raw = p.read_bytes()
    if not raw:
        raise InputError(f"salt file {p.name} is empty", "write the salt into the file")
    stripped = raw.rstrip(b"\r\n")
    if stripped and stripped != raw:
        return [("file", stripped), ("file as stored", raw)]
    return [("file", raw)]


def known_salts(values: Sequence[str] = (), files: Sequence[str] = (), mode: str = "any") -> list[Salt]:
    """Salts the caller knows, each to be tried in the places ``mode`` names."""
    if mode not in SALT_MODES:
        raise UsageError(f"unknown salt mode {mode!r}", f"use one of {', '.join(SALT_MODES)}")
    found: list[tuple[str, bytes]] = [pair for v in values for pair in salt_bytes(v)]
    found += [pair for f in files for pair in file_bytes(f)]
    first_how: dict[bytes, str] = {}
    for how, value in found:
        first_how.setdefault(value, how)
    total = len(first_how)
    return [
        Salt(value, _label(i, total, how, len(value)), SALT_MODES[mode], known=True)
        for i, (value, how) in enumerate(first_how.items(), start=1)
    ]
