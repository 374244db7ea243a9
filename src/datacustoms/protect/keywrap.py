"""The keystore encrypted at rest: envelope encryption under a passphrase.

A passphrase becomes a key-encryption key (KEK) through scrypt (RFC 7914; N = 2^15, r = 8, p = 1,
a random 16-byte salt). The KEK wraps one random 256-bit data key with AES key wrap (RFC 3394),
and the data key wraps every master key in the file the same way. Key wrap carries its own
integrity check, so a wrong passphrase fails to unwrap the data key and is reported as such,
instead of yielding wrong keys. Changing the passphrase re-wraps only the data key.

The passphrase comes from ``DATACUSTOMS_KEYSTORE_PASSPHRASE``, or from the file named by
``DATACUSTOMS_KEYSTORE_PASSPHRASE_FILE`` (``--passphrase-file`` sets it for one command). Names,
IDs, dates and status stay readable (``keys list`` needs no passphrase); a master key's ID is
checked against the unwrapped key, so records cannot be swapped.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from datacustoms.errors import KeyMaterialError

ENV_PASSPHRASE = "DATACUSTOMS_KEYSTORE_PASSPHRASE"
ENV_PASSPHRASE_FILE = "DATACUSTOMS_KEYSTORE_PASSPHRASE_FILE"
MIN_PASSPHRASE = 12
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_HINT = f"set {ENV_PASSPHRASE} or {ENV_PASSPHRASE_FILE}, or pass --passphrase-file"
_kek_cache: dict[tuple[bytes, bytes, int, int, int], bytes] = {}


def kek_from_passphrase(passphrase: str, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> bytes:
    """The 256-bit key-encryption key (scrypt); cached per process so one command derives it once."""
    token = (hashlib.sha256(passphrase.encode("utf-8")).digest(), salt, n, r, p)
    if token not in _kek_cache:
        _kek_cache[token] = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return _kek_cache[token]


def wrap(kek: bytes, key: bytes) -> str:
    """RFC 3394 AES key wrap, base64."""
    return base64.b64encode(aes_key_wrap(kek, key)).decode("ascii")


def unwrap(kek: bytes, wrapped: str) -> bytes:
    return aes_key_unwrap(kek, base64.b64decode(wrapped, validate=True))


def passphrase(required: bool = True) -> str | None:
    """The passphrase from the environment (or the file it names); None when none is set."""
    text = os.environ.get(ENV_PASSPHRASE)
    name = os.environ.get(ENV_PASSPHRASE_FILE)
    if not text and name:
        try:
            text = Path(name).expanduser().read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError):
            raise KeyMaterialError(f"cannot read the passphrase file {Path(name).name}", "check the path") from None
    if not text:
        if required:
            raise KeyMaterialError("the keystore is encrypted and no passphrase was given", _HINT)
        return None
    if len(text) < MIN_PASSPHRASE:
        raise KeyMaterialError(f"the keystore passphrase has {len(text)} characters; at least {MIN_PASSPHRASE} "
                               "are needed", "use a longer passphrase (e.g. five random words)")
    return text


def is_sealed(doc: dict[str, Any]) -> bool:
    return isinstance(doc.get("encryption"), dict)


def open_doc(doc: dict[str, Any], where: str) -> dict[str, Any]:
    """Unwrap a sealed keystore document in memory: each record gets its ``key`` back."""
    enc = doc["encryption"]
    try:
        salt = base64.b64decode(enc["salt"], validate=True)
        kek = kek_from_passphrase(passphrase() or "", salt, int(enc["n"]), int(enc["r"]), int(enc["p"]))
        data_key = unwrap(kek, enc["data_key"])
    except InvalidUnwrap:
        raise KeyMaterialError(f"wrong passphrase for keystore {where}", _HINT) from None
    except (KeyError, TypeError, ValueError):
        raise KeyMaterialError(f"the encryption header of keystore {where} is damaged",
                               "restore the keystore from your backup") from None
    out = {**doc, "_data_key": data_key, "keys": []}
    for rec in doc["keys"]:
        try:
            material = unwrap(data_key, rec["wrapped"])
        except (InvalidUnwrap, KeyError, TypeError, ValueError):
            raise KeyMaterialError(f"key {rec.get('name')!r} in keystore {where} is damaged",
                                   "restore the keystore from your backup") from None
        out["keys"].append({k: v for k, v in rec.items() if k != "wrapped"} | {"key": material.hex()})
    return out


def seal_doc(doc: dict[str, Any], new_passphrase: str | None = None) -> dict[str, Any]:
    """The document as stored: keys wrapped when the keystore is (or is to become) encrypted.

    An opened document is re-sealed under its own data key; ``new_passphrase`` encrypts a plain
    one (a fresh salt and data key).
    """
    data_key = doc.get("_data_key")
    header = doc.get("encryption")
    if new_passphrase is not None:
        salt, data_key = secrets.token_bytes(16), secrets.token_bytes(32)
        kek = kek_from_passphrase(new_passphrase, salt)
        header = {"kek": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                  "salt": base64.b64encode(salt).decode("ascii"), "wrap": "aes-key-wrap-rfc3394",
                  "data_key": wrap(kek, data_key)}
    plain = {k: v for k, v in doc.items() if k != "_data_key"}
    if not isinstance(data_key, bytes) or header is None:
        return plain
    keys = [{k: v for k, v in rec.items() if k != "key"} | {"wrapped": wrap(data_key, bytes.fromhex(rec["key"]))}
            for rec in doc["keys"]]
    return {**plain, "version": 2, "encryption": header, "keys": keys}
