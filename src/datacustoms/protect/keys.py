"""Key management: the keystore, keys from the environment, weak-key refusal, the audit log.

* The keystore is one JSON file (default ``~/.config/datacustoms/keystore.json``, or the path in
  ``DATACUSTOMS_KEYSTORE``) holding 256-bit master keys from the OS CSPRNG. It is created with
  mode 0600 and replaced atomically on every change; datacustoms refuses to read it when group or
  others have any permission on it (R18: keys never travel with the data).
* A key can also come from an environment variable (``env:NAME``), as hex or base64 of at least
  128 bits. Words, dates, column names and other passphrases are refused (R5).
* Rotation adds a new version of a named key and retires the old one, which stays readable so
  existing tokens can be re-keyed or revealed (R21).
* Every reveal, key creation and rotation is appended to a hash-chained JSONL audit log beside
  the keystore (R20): who, when, why, how many rows, which key IDs — never key material or values.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import contextlib
import datetime as dt
import getpass
import hashlib
import json
import math
import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datacustoms.errors import KeyMaterialError, LedgerTampered, UsageError
from datacustoms.protect.crypto import MIN_KEY_BYTES, key_id
from datacustoms.protect.keywrap import is_sealed, open_doc, passphrase, seal_doc

ENV_KEYSTORE = "DATACUSTOMS_KEYSTORE"
DEFAULT_KEYSTORE = Path("~/.config/datacustoms/keystore.json")
KEYSTORE_FORMAT = "datacustoms-keystore"
KEY_BYTES = 32
#: an active key older than this is flagged by ``keys list`` (R21)
ROTATE_AFTER_DAYS = 365
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_CREATE_HINT = "generate one with `datacustoms keys create NAME` (256 bits from the OS CSPRNG)"

# -- weak key material (R5) --------------------------------------------------------------------

#: common passwords and words people put in keys; a match covering most of a key refuses it
_WORDS = frozenset(
    """
    password passwd passphrase secret secrets letmein welcome admin administrator root login
    qwerty qwertyuiop asdf asdfgh asdfghjkl zxcvbn iloveyou monkey dragon master shadow sunshine
    princess football baseball soccer hockey batman superman trustno1 whatever freedom
    starwars pokemon computer internet default changeme change test testing example sample
    demo temp temporary hello world abcd abcdef abcdefg abcdefgh 1234 12345 123456 1234567
    12345678 123456789 1234567890 0000 1111 2222 9999 aaaa zzzz
    correct horse battery staple love lovely summer winter spring autumn fall monday friday
    sunday january february march april june july august september october november december
    company corp corporation bank pay kakao kakaopay alipay apple naver samsung google amazon
    korea korean seoul busan china beijing shanghai data datacustoms custom customs privacy
    private public secure security crypto cipher encrypt encryption decrypt hash hashing salt
    salted pepper token tokenize pseudonym pseudonymize anonymous anonymize key keys master
    masterkey apikey access accesskey server client customer customers user users member
    members account accounts phone mobile email mail name address birth birthday date
    number id identifier score risk report export import partner vendor production prod
    staging develop development dev local localhost system systems service office manager
    """.split()  # noqa: SIM905
)
_DATE_PATTERNS = (
    re.compile(r"(19|20)\d\d[-./_ ]?(0[1-9]|1[0-2])[-./_ ]?(0[1-9]|[12]\d|3[01])"),  # 2024-01-31
    re.compile(r"(0[1-9]|[12]\d|3[01])[-./_ ]?(0[1-9]|1[0-2])[-./_ ]?(19|20)\d\d"),  # 31.01.2024
    re.compile(r"(0[1-9]|1[0-2])[-./_ ]?(0[1-9]|[12]\d|3[01])[-./_ ]?(19|20)\d\d"),  # 01/31/2024
)
_HEX = re.compile(r"[0-9a-fA-F]+")
_B64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")


def _normalise(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _class_bits(text: str) -> float:
    """Bits per character of the smallest character class that covers ``text``."""
    if _HEX.fullmatch(text):
        size = 10 if text.isdigit() else 16
    else:
        size = 0
        size += 26 if re.search(r"[a-z]", text) else 0
        size += 26 if re.search(r"[A-Z]", text) else 0
        size += 10 if re.search(r"[0-9]", text) else 0
        size += 33 if re.search(r"[^A-Za-z0-9]", text) else 0
    return math.log2(max(size, 2))


def _period(text: str) -> int:
    """Length of the shortest block whose repetition spells ``text`` (``abcabcab`` → 3)."""
    n = len(text)
    for p in range(1, n // 2 + 1):
        if all(text[i] == text[i - p] for i in range(p, n)):
            return p
    return n


def _coverage(text: str, column_names: Iterable[str]) -> tuple[dict[str, int], int]:
    """Characters of ``text`` covered by words, dates, column names or runs: per kind, and in all."""
    low = text.lower()
    kinds: dict[str, set[int]] = {"a dictionary word": set(), "a date": set(), "a column name": set()}
    for word in _WORDS:
        if len(word) < 4:
            continue
        start = low.find(word)
        while start >= 0:
            kinds["a dictionary word"].update(range(start, start + len(word)))
            start = low.find(word, start + 1)
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(low):
            kinds["a date"].update(range(m.start(), m.end()))
    for column in column_names:
        for col in {column.lower(), _normalise(column)}:  # "phone_number" and "phonenumber"
            if len(col) < 3:
                continue
            start = low.find(col)
            while start >= 0:
                kinds["a column name"].update(range(start, start + len(col)))
                start = low.find(col, start + 1)
    # counting and keyboard runs: 1234, abcd, 9876
    runs: set[int] = set()
    i = 0
    while i < len(low):
        j = i
        while (
            j + 1 < len(low)
            and abs(ord(low[j + 1]) - ord(low[j])) == 1
            and (j == i or ord(low[j + 1]) - ord(low[j]) == ord(low[j]) - ord(low[j - 1]))
        ):
            j += 1
        if j - i + 1 >= 4:
            runs.update(range(i, j + 1))
        i = j + 1
    kinds["a counting sequence"] = runs
    union = set().union(*kinds.values())
    return {kind: len(chars) for kind, chars in kinds.items()}, len(union)


def text_weakness(text: str, column_names: Iterable[str] = ()) -> str | None:
    """Why ``text`` is not acceptable key material, or None. Never quotes the text.

    Refuses what people type instead of keys: a word or common password, a date, a column name of
    the table being protected, counting sequences, repetitions, and anything whose character
    classes give fewer than 128 bits. Genuine random hex of 32+ digits or base64 of 16+ bytes passes.
    """
    names = [c for c in column_names if c]
    stripped = text.strip()
    if len(stripped) > 1024:
        return "is too long to be a key (over 1,024 characters)"
    norm = _normalise(stripped)
    if any(norm == _normalise(c) for c in names if _normalise(c)):
        return "is a column name of this table"
    if any(p.fullmatch(stripped.lower()) for p in _DATE_PATTERNS):
        return "is a date"
    if norm in _WORDS:
        return "is a dictionary word"
    if len(stripped) >= 16 and len(set(stripped)) < 8:
        return "repeats too few distinct characters"
    covered, total = _coverage(stripped, names)
    if stripped and total * 2 >= len(stripped):
        return f"is mostly {max(covered, key=lambda k: covered[k])}"
    bits = _period(stripped) * _class_bits(stripped)
    if bits < MIN_KEY_BYTES * 8:
        return (
            f"has about {int(bits)} bits of entropy by its length and characters "
            "(at least 128 are required)"
        )
    return None


def check_key_material(key: bytes, *, column_names: Iterable[str] = (), what: str = "key") -> None:
    """Refuse a key under 128 bits, or one that is really a passphrase (R5); never echo it."""
    if len(key) < MIN_KEY_BYTES:
        raise KeyMaterialError(f"the {what} has {len(key) * 8} bits; at least 128 are required", _CREATE_HINT)
    if all(32 <= b < 127 for b in key):  # printable text: a passphrase, judge it as text
        reason = text_weakness(key.decode("ascii"), column_names)
        if reason:
            raise KeyMaterialError(f"the {what} looks like a passphrase that {reason}", _CREATE_HINT)
    if len(set(key)) < min(8, len(key) // 2):
        raise KeyMaterialError(f"the {what} repeats too few distinct bytes to be random", _CREATE_HINT)


def parse_key_text(text: str, *, column_names: Iterable[str] = (), what: str = "key") -> bytes:
    """Decode key text (hex, or base64 / base64url; optional ``hex:`` / ``base64:`` prefix).

    The text itself is checked first (a word typed as "base64" is still a word), then the decoded
    bytes. Messages name ``what`` (e.g. "environment variable DC_KEY"), never the value.
    """
    raw = text.strip()
    kind = None
    for prefix in ("hex:", "base64:"):
        if raw.lower().startswith(prefix):
            kind, raw = prefix[:-1], raw[len(prefix) :]
    if not raw:
        raise KeyMaterialError(f"the {what} is empty", _CREATE_HINT)
    reason = text_weakness(raw, column_names)
    if reason:
        raise KeyMaterialError(f"the {what} {reason}; it is not a random key", _CREATE_HINT)
    key: bytes | None = None
    if kind in (None, "hex") and _HEX.fullmatch(raw) and len(raw) % 2 == 0:
        key = bytes.fromhex(raw)
    elif kind in (None, "base64") and _B64.fullmatch(raw):
        with contextlib.suppress(binascii.Error, ValueError):
            padded = raw + "=" * (-len(raw) % 4)
            key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    if key is None:
        raise KeyMaterialError(
            f"the {what} is not hex or base64 key material (a passphrase is not a key)",
            "use 64 hex digits, e.g. from `openssl rand -hex 32`, or " + _CREATE_HINT,
        )
    check_key_material(key, column_names=column_names, what=what)
    return key


# -- master keys --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MasterKey:
    """A master key and where it came from. ``material`` never appears in ``repr``."""

    name: str
    id: str
    material: bytes = field(repr=False)
    source: str = "keystore"
    version: int | None = None
    status: str = "active"


@dataclass(frozen=True)
class KeyInfo:
    """What ``keys list`` shows about one key version: everything but the material."""

    name: str
    version: int
    id: str
    created: str
    status: str
    rotated_from: str | None = None
    retired: str | None = None

    def age_days(self, now: dt.datetime | None = None) -> float:
        created = dt.datetime.fromisoformat(self.created)
        return ((now or _now()) - created).total_seconds() / 86400


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def key_from_env(variable: str, *, column_names: Iterable[str] = ()) -> MasterKey:
    """The master key in environment variable ``variable`` (hex or base64, ≥ 128 bits)."""
    value = os.environ.get(variable)
    if value is None or not value.strip():
        raise KeyMaterialError(
            f"environment variable {variable} is not set",
            f"export {variable}=<64 hex digits>, e.g. from `openssl rand -hex 32`",
        )
    material = parse_key_text(
        value, column_names=column_names, what=f"key in environment variable {variable}"
    )
    return MasterKey(name=f"env:{variable}", id=key_id(material), material=material, source="env")


def default_keystore_path() -> Path:
    """``$DATACUSTOMS_KEYSTORE``, else the configuration file's ``keystore``, else ``~/.config/datacustoms/keystore.json``."""
    from datacustoms.config import load_config

    chosen = load_config().get("keystore")
    return Path(chosen).expanduser() if chosen else DEFAULT_KEYSTORE.expanduser()


def resolve_master_key(
    ref: str, *, keystore: str | os.PathLike[str] | None = None, column_names: Iterable[str] = ()
) -> MasterKey:
    """The active master key for a policy's key reference, with its name, ID and source.

    ``env:NAME`` reads an environment variable; ``keystore:NAME`` or a bare ``NAME`` reads the
    active version of that key in the keystore (``keystore`` path, else the default). Pass the
    table's ``column_names`` so a column name typed as a key is refused (R5).
    """
    if ref.startswith("env:"):
        return key_from_env(ref[4:], column_names=column_names)
    name = ref.removeprefix("keystore:")
    return Keystore(keystore).active(name)


def resolve_key(
    ref: str, *, keystore: str | os.PathLike[str] | None = None, column_names: Iterable[str] = ()
) -> bytes:
    """The material of :func:`resolve_master_key` (validated), for ``derive_key``."""
    return resolve_master_key(ref, keystore=keystore, column_names=column_names).material


def resolve_key_versions(
    ref: str, *, keystore: str | os.PathLike[str] | None = None, column_names: Iterable[str] = ()
) -> list[MasterKey]:
    """Every version of a key, active first then retired newest first (for reveal and re-keying)."""
    if ref.startswith("env:"):
        return [key_from_env(ref[4:], column_names=column_names)]
    return Keystore(keystore).versions(ref.removeprefix("keystore:"))


# -- the keystore file --------------------------------------------------------------------------


def _check_private(path: Path) -> None:
    """Refuse a keystore that group or others may read, write or list."""
    if os.name != "posix":
        return
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise KeyMaterialError(f"keystore {path} is not a regular file", "point --keystore at a file")
    if st.st_mode & 0o077:
        raise KeyMaterialError(
            f"keystore {path} is accessible to group or others (mode {stat.S_IMODE(st.st_mode):04o})",
            f"run `chmod 600 {path}` and check who could have copied it",
        )


def _write_private(path: Path, text: str, *, exclusive: bool) -> None:
    """Write ``text`` to a new 0600 file beside ``path``, then move it into place atomically.

    ``exclusive`` creation links the temporary file to ``path`` (fails if it exists); updates
    rename over it. Nothing half-written is ever visible under ``path``.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if exclusive:
            os.link(tmp, path)
            tmp.unlink()
        else:
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock beside ``path`` for read-modify-write cycles."""
    lock = path.with_name(f".{path.name}.lock")
    fd = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - not POSIX
            pass
        yield
    finally:
        os.close(fd)


class Keystore:
    """A JSON file of named, versioned 256-bit master keys, private to its owner."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_keystore_path()

    @property
    def audit(self) -> AuditLog:
        """The audit log beside this keystore."""
        return AuditLog.beside(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"format": KEYSTORE_FORMAT, "version": 1, "keys": []}
        _check_private(self.path)
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise KeyMaterialError(
                f"keystore {self.path} cannot be read ({type(err).__name__})",
                "restore it from your backup; a keystore is a JSON file written by `datacustoms keys`",
            ) from None
        if (
            not isinstance(doc, dict)
            or doc.get("format") != KEYSTORE_FORMAT
            or not isinstance(doc.get("keys"), list)
        ):
            raise KeyMaterialError(
                f"{self.path} is not a datacustoms keystore",
                "pass --keystore with the file `keys create` wrote",
            )
        return open_doc(doc, str(self.path)) if is_sealed(doc) else doc

    def _save(self, doc: dict[str, Any], *, new: bool) -> None:
        """Store ``doc``: re-wrapped when encrypted; a new keystore is encrypted when a passphrase is set."""
        secret = passphrase(required=False) if new and not is_sealed(doc) else None
        stored = seal_doc(doc, secret)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_private(self.path, json.dumps(stored, indent=2) + "\n", exclusive=new)

    def encrypt(self) -> None:
        """Convert a plain keystore to envelope encryption under the configured passphrase."""
        with self._lock():
            if not self.path.exists():
                raise KeyMaterialError(f"no keystore at {self.path}", "create a key first with `datacustoms keys create`")
            doc = self._load()
            if is_sealed(doc):
                raise KeyMaterialError(f"keystore {self.path} is already encrypted", "nothing to do")
            secret = passphrase(required=True)
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_private(self.path, json.dumps(seal_doc(doc, secret), indent=2) + "\n", exclusive=False)
        self.audit.append("keystore_encrypt", keys=len(doc["keys"]))

    @staticmethod
    def _info(rec: dict[str, Any]) -> KeyInfo:
        return KeyInfo(
            name=rec["name"],
            version=int(rec["version"]),
            id=rec["id"],
            created=rec["created"],
            status=rec["status"],
            rotated_from=rec.get("rotated_from"),
            retired=rec.get("retired"),
        )

    @staticmethod
    def _master(rec: dict[str, Any]) -> MasterKey:
        material = bytes.fromhex(rec["key"])
        if len(material) < MIN_KEY_BYTES or key_id(material) != rec["id"]:
            raise KeyMaterialError(
                f"key {rec['name']!r} version {rec['version']} in the keystore is damaged "
                "(its ID does not match)",
                "restore the keystore from your backup",
            )
        return MasterKey(
            name=rec["name"],
            id=rec["id"],
            material=material,
            version=int(rec["version"]),
            status=rec["status"],
        )

    def list(self) -> builtins.list[KeyInfo]:
        """Every key version, by name then version; no material."""
        doc = self._load()
        return sorted((self._info(r) for r in doc["keys"]), key=lambda k: (k.name, k.version))

    def _records(self, doc: dict[str, Any], name: str) -> builtins.list[dict[str, Any]]:
        recs = [r for r in doc["keys"] if r.get("name") == name]
        if not recs:
            from datacustoms.errors import did_you_mean

            names = sorted({r.get("name", "") for r in doc["keys"]})
            raise KeyMaterialError(
                f"no key named {name!r} in keystore {self.path}{did_you_mean(name, names)}",
                f"create it with `datacustoms keys create {name}` (or pass --create-key to protect / transfer)",
            )
        return sorted(recs, key=lambda r: int(r["version"]), reverse=True)

    def create(self, name: str) -> KeyInfo:
        """Add a new 256-bit key from the OS CSPRNG under ``name``; refuses an existing name."""
        if not _NAME.fullmatch(name):
            raise UsageError(
                f"key name {name!r} is not valid", "use letters, digits, '.', '_' or '-' (up to 64)"
            )
        with self._lock():
            doc = self._load()
            new = not self.path.exists()
            if any(r.get("name") == name for r in doc["keys"]):
                raise KeyMaterialError(
                    f"a key named {name!r} already exists", f"rotate it with `datacustoms keys rotate {name}`"
                )
            material = secrets.token_bytes(KEY_BYTES)
            rec = {
                "name": name,
                "version": 1,
                "id": key_id(material),
                "created": _now().isoformat(),
                "rotated_from": None,
                "status": "active",
                "key": material.hex(),
            }
            doc["keys"].append(rec)
            self._save(doc, new=new)
        self.audit.append("key_create", key_name=name, key_id=rec["id"], key_version=1)
        return self._info(rec)

    def ensure(self, name: str) -> KeyInfo | None:
        """Create ``name`` when the keystore has no key of that name; the new key's info, else None."""
        if self.path.exists() and any(k.name == name for k in self.list()):
            return None
        return self.create(name)

    def rotate(self, name: str) -> KeyInfo:
        """Add a new version of ``name`` and retire the active one (kept, to re-key and reveal)."""
        with self._lock():
            doc = self._load()
            recs = self._records(doc, name)
            now = _now().isoformat()
            previous = next((r for r in recs if r["status"] == "active"), recs[0])
            for r in recs:
                if r["status"] == "active":
                    r["status"] = "retired"
                    r["retired"] = now
            material = secrets.token_bytes(KEY_BYTES)
            rec = {
                "name": name,
                "version": int(recs[0]["version"]) + 1,
                "id": key_id(material),
                "created": now,
                "rotated_from": previous["id"],
                "status": "active",
                "key": material.hex(),
            }
            doc["keys"].append(rec)
            self._save(doc, new=False)
        self.audit.append(
            "key_rotate",
            key_name=name,
            key_id=rec["id"],
            key_version=rec["version"],
            rotated_from=previous["id"],
        )
        return self._info(rec)

    def active(self, name: str) -> MasterKey:
        """The active version of ``name``."""
        recs = self._records(self._load(), name)
        active = [r for r in recs if r["status"] == "active"]
        if not active:
            raise KeyMaterialError(
                f"key {name!r} has no active version", f"rotate it with `datacustoms keys rotate {name}`"
            )
        return self._master(active[0])

    def versions(self, name: str) -> builtins.list[MasterKey]:
        """Every version of ``name``: active first, then retired, newest first."""
        recs = self._records(self._load(), name)
        recs.sort(key=lambda r: (r["status"] != "active", -int(r["version"])))
        return [self._master(r) for r in recs]

    def by_id(self, kid: str) -> MasterKey:
        """The key version whose ID is ``kid`` (active or retired)."""
        for rec in self._load()["keys"]:
            if rec.get("id") == kid:
                return self._master(rec)
        raise KeyMaterialError(f"no key with ID {kid} in keystore {self.path}", "run `datacustoms keys list`")

    def _lock(self) -> contextlib.AbstractContextManager[None]:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _locked(self.path)


# -- the audit log (R20) ------------------------------------------------------------------------

GENESIS = "0" * 64


def _entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def _who() -> str:
    """The operating-system account running the process (not $USER, which anyone can set)."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):  # not POSIX, or no passwd entry (containers)
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"


@dataclass
class AuditLog:
    """An append-only JSONL log; each line carries the hash of the one before (a hash chain)."""

    path: Path

    @classmethod
    def beside(cls, keystore_path: str | os.PathLike[str]) -> AuditLog:
        """``keystore.json`` → ``keystore.audit.jsonl`` in the same folder."""
        p = Path(keystore_path).expanduser()
        return cls(p.with_name(p.stem + ".audit.jsonl"))

    def _last(self) -> dict[str, Any] | None:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                chunk = 4096
                while True:
                    start = max(0, size - chunk)
                    fh.seek(start)
                    tail = fh.read(size - start)
                    lines = tail.rstrip(b"\n").split(b"\n")
                    if len(lines) > 1 or start == 0:
                        last = lines[-1]
                        break
                    chunk *= 4
        except FileNotFoundError:
            return None
        if not last.strip():
            return None
        try:
            got = json.loads(last)
        except ValueError:  # not JSON, or not even UTF-8 (a garbage file)
            raise LedgerTampered(
                f"the last line of audit log {self.path} is not JSON",
                "check it with `datacustoms keys audit`",
            ) from None
        return got if isinstance(got, dict) else None

    def append(self, action: str, **fields: Any) -> dict[str, Any]:
        """Append one event (who and when are filled in) and return it with its chain hash.

        Callers pass counts, column names, key names and key IDs; never values or key material.
        """
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _locked(self.path):
            last = self._last()
            entry: dict[str, Any] = {
                "seq": (int(last["seq"]) + 1) if last else 1,
                "at": _now().isoformat(),
                "who": _who(),
                "action": action,
                **fields,
                "prev": last["hash"] if last else GENESIS,
            }
            entry["hash"] = _entry_hash(entry)
            line = (json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for n, line in enumerate(self.path.read_bytes().splitlines(), 1):
            try:
                got = json.loads(line)
            except ValueError:  # not JSON, or not even UTF-8 (a garbage file)
                got = None
            if not isinstance(got, dict):
                raise LedgerTampered(f"line {n} of audit log {self.path} is not a JSON object",
                                     "restore it from a backup and investigate")
            out.append(got)
        return out

    def verify(self) -> int:
        """Check every line's hash and link; return the number of entries or raise LedgerTampered."""
        prev = GENESIS
        entries = self.entries()
        for n, entry in enumerate(entries, 1):
            if entry.get("prev") != prev or entry.get("hash") != _entry_hash(entry) or entry.get("seq") != n:
                raise LedgerTampered(
                    f"audit log {self.path} was modified at line {n}",
                    "restore it from a backup and investigate",
                )
            prev = entry["hash"]
        return len(entries)


# -- keys must not travel with the data (R18) ---------------------------------------------------


def key_encodings(key: bytes) -> list[str]:
    """The text forms a key is usually written in: hex, base64 and base64url (unpadded)."""
    std = base64.b64encode(key).decode("ascii").rstrip("=")
    url = base64.urlsafe_b64encode(key).decode("ascii").rstrip("=")
    return sorted({key.hex(), std, url})


def find_key_material(batches: Iterable[Any], keys: Iterable[bytes]) -> dict[str, int]:
    """Count, per column, the cells that contain any of ``keys`` as hex or base64 (R18).

    Run it on an export before it leaves, with the master key and the derived keys that made
    it. Hex matches in either case. Returns counts only; an empty dict means no key was found.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    patterns = []
    for key in keys:
        for form in key_encodings(bytes(key)):
            patterns.append("(?i:" + re.escape(form) + ")" if _HEX.fullmatch(form) else re.escape(form))
    if not patterns:
        return {}
    regex = "|".join(patterns)
    counts: dict[str, int] = {}
    for batch in batches:
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            kind = column.type
            if pa.types.is_dictionary(kind):
                column = column.dictionary_decode()
                kind = column.type
            if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
                if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
                    column = pc.cast(column, pa.large_string(), safe=False)
                else:
                    continue
            hits = pc.match_substring_regex(column, regex)
            n = int(pc.sum(pc.cast(pc.fill_null(hits, False), pa.int64())).as_py() or 0)
            if n:
                counts[name] = counts.get(name, 0) + n
    return counts
