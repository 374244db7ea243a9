"""Who is calling: a bearer token or the UI's session cookie, then the role's permission."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from datacustoms.service import auth
from datacustoms.service.auth import Principal


def current(request: Request) -> Principal | None:
    """The caller, from ``Authorization: Bearer`` or the UI's session cookie."""
    svc = request.app.state.svc
    token = auth.bearer(request.headers.get("authorization"))
    if token is not None:
        return auth.principal_for_token(svc.db, token)
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    if cookie:
        found = auth.read_session_full(request.app.state.secret, cookie)
        if found is not None:
            return auth.principal_for_user(svc.db, *found)
    return None


def allow(request: Request, action: str) -> Principal:
    """The caller if it may perform ``action``; raises :class:`Denied` (logged by the handler)."""
    if "principal" in request.state._state:
        who = request.state.principal
    else:
        who = current(request)
        request.state.principal = who
    return auth.authorise(who, action)


def need(action: str) -> Any:
    """A route dependency: authorise before the request body is even parsed (no 422 for strangers)."""

    def check(request: Request) -> None:
        allow(request, action)

    return Depends(check)
