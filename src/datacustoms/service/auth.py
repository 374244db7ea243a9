"""Who may do what: users, roles, API tokens (SHA-256 at rest), signed session cookies, denials.

A token is 32 random bytes shown once; the database keeps only its SHA-256, and a presented token
is found by its hash and compared in constant time. The web UI's session is a cookie carrying the
user id and an expiry, signed with HMAC-SHA-256 under the service's secret. Every permission is
one line in :data:`PERMISSIONS`; every refusal is logged (who, role, method, path, reason — never
a token) and kept in ``svc_denials`` for the auditors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from datacustoms.errors import UsageError
from datacustoms.service.db import ROLES, ServiceDB, denials_t, now_iso, tokens_t, users_t

log = logging.getLogger("datacustoms.service")

TOKEN_PREFIX = "dct_"
SESSION_COOKIE = "dc_session"
SESSION_SECONDS = 8 * 3600

#: action -> roles allowed. A recipient is further limited to its own releases (checked per object).
PERMISSIONS: dict[str, frozenset[str]] = {
    "users.manage": frozenset({"admin"}),
    "recipients.register": frozenset({"admin"}),
    "recipients.read": frozenset({"admin", "operator", "reviewer", "auditor"}),
    "sources.register": frozenset({"admin", "operator"}),
    "sources.read": frozenset({"admin", "operator", "reviewer", "auditor"}),
    "inspections.run": frozenset({"operator"}),
    "inspections.read": frozenset({"admin", "operator", "reviewer", "auditor"}),
    "transfers.submit": frozenset({"operator"}),
    "transfers.read": frozenset({"admin", "operator", "reviewer", "auditor"}),
    "transfers.review": frozenset({"reviewer"}),
    "transfers.release": frozenset({"operator", "admin"}),
    "releases.read": frozenset({"recipient"}),
    "releases.download": frozenset({"recipient"}),
    "ledger.read": frozenset({"admin", "auditor", "reviewer"}),
    "subjects.lookup": frozenset({"admin", "auditor"}),
    "exposure.read": frozenset({"admin", "auditor", "reviewer"}),
    "denials.read": frozenset({"admin", "auditor"}),
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    user_id: int
    name: str
    role: str
    recipient_id: int | None

    def may(self, action: str) -> bool:
        return self.role in PERMISSIONS[action]


class Denied(Exception):
    """The caller may not do this (401 when unauthenticated, 403 otherwise)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_user(db: ServiceDB, name: str, role: str, recipient_id: int | None = None) -> int:
    """Add a user (a recipient user is bound to one registered recipient)."""
    name = name.strip()
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}", f"use one of {', '.join(ROLES)}")
    if not name or len(name) > 200:
        raise UsageError("a user needs a name of 1 to 200 characters", "e.g. name: alice")
    if (role == "recipient") != (recipient_id is not None):
        raise UsageError("a recipient user, and only a recipient user, names its recipient", "give recipient_id")
    with db.begin() as conn:
        if conn.execute(sa.select(users_t.c.id).where(users_t.c.name == name)).first() is not None:
            raise UsageError(f"user {name!r} exists already", "choose another name")
        conn.execute(sa.insert(users_t).values(name=name, role=role, recipient_id=recipient_id, created=now_iso()))
        return int(conn.execute(sa.select(users_t.c.id).where(users_t.c.name == name)).scalar_one())


def issue_token(db: ServiceDB, user_id: int, label: str = "api") -> str:
    """A new token for the user; returned once, stored only as its SHA-256."""
    token = new_token()
    with db.begin() as conn:
        conn.execute(sa.insert(tokens_t).values(token_hash=hash_token(token), user_id=user_id, label=label[:200],
                                                created=now_iso()))
    return token


def revoke_tokens(db: ServiceDB, user_id: int) -> int:
    """Delete every token of a user (their sessions end at the next request too); returns how many."""
    with db.begin() as conn:
        gone = conn.execute(sa.delete(tokens_t).where(tokens_t.c.user_id == user_id)).rowcount
        conn.execute(sa.update(users_t).where(users_t.c.id == user_id).values(revoked=now_iso()))
    return int(gone)


def principal_for_token(db: ServiceDB, token: str) -> Principal | None:
    """The user a presented token belongs to, or None (looked up by hash, compared in constant time)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    digest = hash_token(token)
    row = db.one(sa.select(tokens_t.c.token_hash, users_t.c.id, users_t.c.name, users_t.c.role, users_t.c.recipient_id)
                 .join(users_t, users_t.c.id == tokens_t.c.user_id).where(tokens_t.c.token_hash == digest))
    if row is None or not hmac.compare_digest(row["token_hash"], digest):
        return None
    return Principal(row["id"], row["name"], row["role"], row["recipient_id"])


def principal_for_user(db: ServiceDB, user_id: int, issued: float | None = None) -> Principal | None:
    """The user of a session, unless their tokens were revoked after the session was issued."""
    row = db.one(sa.select(users_t).where(users_t.c.id == user_id))
    if row is None:
        return None
    if row["revoked"] and (issued is None or datetime.fromisoformat(row["revoked"]).timestamp() >= issued):
        return None
    return Principal(row["id"], row["name"], row["role"], row["recipient_id"])


# ---------------------------------------------------------------------------- sessions


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_session(secret: bytes, user_id: int, now: float | None = None) -> str:
    issued = now or time.time()
    payload = _b64(json.dumps({"u": user_id, "i": issued, "e": int(issued + SESSION_SECONDS),
                               "n": secrets.token_hex(8)}).encode())
    mac = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{mac}"


def read_session(secret: bytes, cookie: str, now: float | None = None) -> int | None:
    """The user id in a valid, unexpired session cookie, else None."""
    found = read_session_full(secret, cookie, now)
    return found[0] if found else None


def read_session_full(secret: bytes, cookie: str, now: float | None = None) -> tuple[int, float] | None:
    """The user id and issue time of a valid, unexpired session cookie, else None."""
    payload, _, mac = cookie.partition(".")
    if not payload or not mac:
        return None
    expected = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, mac):
        return None
    try:
        data = json.loads(_unb64(payload))
        user, issued, expires = int(data["u"]), float(data["i"]), float(data["e"])
    except (ValueError, KeyError, TypeError):
        return None
    return (user, issued) if expires > (now or time.time()) else None


def csrf_token(secret: bytes, cookie: str) -> str:
    """The form token bound to one session (forms must echo it)."""
    return hmac.new(secret, b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()[:32]


# ---------------------------------------------------------------------------- denials


def record_denial(db: ServiceDB, who: Principal | None, method: str, path: str, reason: str) -> None:
    """Log a refused request and keep it for the auditors (no token, no body, no query string)."""
    name, role = (who.name, who.role) if who is not None else ("(anonymous)", "-")
    log.warning("denied %s %s for %s (%s): %s", method, path, name, role, reason)
    with db.begin() as conn:
        conn.execute(sa.insert(denials_t).values(at=now_iso(), who=name[:200], role=role, method=method[:10],
                                                 path=path[:400], reason=reason[:400]))


def authorise(who: Principal | None, action: str) -> Principal:
    """The caller if it may perform ``action``; raises :class:`Denied` otherwise."""
    if who is None:
        raise Denied(401, "authentication required")
    if not who.may(action):
        raise Denied(403, f"role {who.role} may not {action}")
    return who


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def service_secret(db: ServiceDB) -> bytes:
    """The HMAC secret for session cookies, created once and kept in the service database."""
    return bytes.fromhex(db.ensure_setting("session_secret", secrets.token_hex(32)))


def public_user(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("id", "name", "role", "recipient_id", "created")}
