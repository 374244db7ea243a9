"""The ledger-local secret that keys the subject hashes.

Beside a SQLite ledger it lives in ``<ledger>.key`` (created with mode 0600, 32 random bytes as
hex); for any ledger it can come from the environment variable ``DATACUSTOMS_LEDGER_KEY`` (hex, at
least 16 bytes = 128 bits, R5), which is the only way for a PostgreSQL ledger shared by a team. The
ledger stores a key check value (an HMAC of a fixed label, never the key) so a wrong key is
refused instead of silently finding nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from datacustoms.errors import KeyMaterialError

KEY_ENV = "DATACUSTOMS_LEDGER_KEY"
MIN_KEY_BYTES = 16


def parse_key(text: str, where: str) -> bytes:
    """Decode a hex key and refuse one shorter than 128 bits (message never shows the key)."""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise KeyMaterialError(
            f"the ledger key in {where} is not hexadecimal",
            "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'",
        ) from None
    if len(key) < MIN_KEY_BYTES:
        raise KeyMaterialError(
            f"the ledger key in {where} has {len(key) * 8} bits; at least {MIN_KEY_BYTES * 8} are needed",
            "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'",
        )
    return key


def key_check_value(key: bytes) -> str:
    """A public fingerprint of the key: lets the ledger refuse a wrong key."""
    return hmac.new(key, b"datacustoms ledger key check", hashlib.sha256).hexdigest()[:16]


def key_file_for(sqlite_path: Path) -> Path:
    return sqlite_path.with_name(sqlite_path.name + ".key")


def load_key(sqlite_path: Path | None, create: bool) -> bytes:
    """The key from ``DATACUSTOMS_LEDGER_KEY``, else from the file beside a SQLite ledger."""
    env = os.environ.get(KEY_ENV)
    if env:
        return parse_key(env, KEY_ENV)
    if sqlite_path is None:
        raise KeyMaterialError(
            "a server ledger needs its subject-hash key from the environment",
            f"set {KEY_ENV} to a hex key of at least 32 characters, the same for everyone using this ledger",
        )
    path = key_file_for(sqlite_path)
    if not path.exists():
        if not create:
            raise KeyMaterialError(
                f"the ledger key file {path.name} is missing beside the ledger",
                f"restore it from backup or set {KEY_ENV}",
            )
        _create_key_file(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyMaterialError(
            f"the ledger key file {path.name} is readable by others (mode {mode:o})",
            f"run: chmod 600 {path}",
        )
    return parse_key(path.read_text(encoding="ascii"), path.name)


def _create_key_file(path: Path) -> None:
    """Create the key file exclusively with mode 0600; a concurrent creator wins, we read theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process created the key first: keep theirs
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
