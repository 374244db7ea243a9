"""The HTTP API (``/api/v1``, OpenAPI at ``/api/v1/openapi.json``) and the web UI, in one FastAPI app.

Every endpoint starts with :func:`allow` (authentication by bearer token or session cookie, then
the role's permission); per-object rules (a recipient sees only its own releases, a submitter
cannot review their own transfer) are checked in :mod:`datacustoms.service.ops`. Every refusal
becomes a 401/403 answer and a line in the denials log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any, BinaryIO

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from datacustoms import __version__
from datacustoms.errors import DatacustomsError
from datacustoms.service import auth, ops, records
from datacustoms.service.access import allow, current, need
from datacustoms.service.auth import Denied
from datacustoms.service.db import links_t, safe_url, users_t
from datacustoms.service.jobs import Worker

API = "/api/v1"
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; "
       "form-action 'self'; frame-ancestors 'self'; base-uri 'none'")


class RecipientIn(BaseModel):
    name: str = Field(max_length=200)
    role: str = Field(description="controller, processor or joint_controller")
    country: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2")
    safeguards: str = Field(description="The transfer mechanism: adequacy, SCC module and date, consent, …")
    purpose: str
    contact: str | None = None


class SourceIn(BaseModel):
    name: str = Field(max_length=200)
    location: str = Field(description="A file path on the server, or a SQL URL")


class TransferIn(BaseModel):
    source: str = Field(description="A registered source (name or id)")
    recipient: str = Field(description="A registered recipient (name or id)")
    output_name: str = Field(description="The file name the recipient receives (.parquet or .csv)")
    policy_yaml: str | None = Field(None, description="The policy, with its record: section, as YAML text")
    policy_path: str | None = Field(None, description="Or: the policy's path on the server")


class InspectionIn(BaseModel):
    source: str = Field(description="A registered source (name or id)")
    attack: bool = Field(True, description="Run the blind reversal attack on digest columns")
    attack_budget: float = Field(30.0, description="Seconds the reversal may spend")


class ReviewIn(BaseModel):
    checklist: dict[str, bool] = Field(description="Every item of GET /api/v1/review/checklist, true or false")
    comment: str = ""


class UserIn(BaseModel):
    name: str = Field(max_length=200)
    role: str = Field(description="operator, reviewer, auditor, recipient or admin")
    recipient: str | None = Field(None, description="For a recipient user: the registered recipient it acts for")


class LookupIn(BaseModel):
    phone: str | None = None
    email: str | None = None


def _svc(request: Request) -> ops.Service:
    svc: ops.Service = request.app.state.svc
    return svc


def _errors(app: FastAPI) -> None:
    def deny(request: Request, status: int, reason: str) -> Response:
        who = getattr(request.state, "principal", None)
        auth.record_denial(_svc(request).db, who, request.method, request.url.path, reason)
        if request.url.path.startswith("/ui") and status == 401:
            return Response(status_code=303, headers={"location": "/ui/login"})
        return JSONResponse({"error": reason}, status_code=status)

    @app.exception_handler(Denied)
    async def _denied(request: Request, exc: Denied) -> Response:
        return deny(request, exc.status, exc.reason)

    @app.exception_handler(PermissionError)
    async def _forbidden(request: Request, exc: PermissionError) -> Response:
        return deny(request, 403, str(exc))

    @app.exception_handler(ops.NotFound)
    async def _missing(request: Request, exc: ops.NotFound) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=404)

    @app.exception_handler(ops.Conflict)
    async def _conflict(request: Request, exc: ops.Conflict) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=410 if isinstance(exc, ops.Gone) else 409)

    @app.exception_handler(DatacustomsError)
    async def _bad(request: Request, exc: DatacustomsError) -> Response:
        return JSONResponse({"error": exc.one_line()}, status_code=422)


def _admin_routes(r: APIRouter) -> None:
    @r.get("/users", tags=["admin"])
    def list_users(request: Request) -> list[dict[str, Any]]:
        allow(request, "users.manage")
        from datacustoms.service.db import users_t

        return [auth.public_user(u) for u in _svc(request).db.all(sa.select(users_t).order_by(users_t.c.id))]

    @r.post("/users", status_code=201, tags=["admin"], dependencies=[need("users.manage")])
    def add_user(request: Request, body: UserIn) -> dict[str, Any]:
        """Create a user and its first API token (shown once; stored only as its SHA-256)."""
        allow(request, "users.manage")
        svc = _svc(request)
        rid = ops.recipient(svc, body.recipient)["id"] if body.recipient is not None else None
        uid = auth.create_user(svc.db, body.name, body.role, rid)
        return {"id": uid, "name": body.name.strip(), "role": body.role, "recipient_id": rid,
                "token": auth.issue_token(svc.db, uid)}

    @r.post("/users/{user_id}/tokens", status_code=201, tags=["admin"])
    def add_token(request: Request, user_id: int) -> dict[str, Any]:
        allow(request, "users.manage")
        svc = _svc(request)
        _user_exists(svc, user_id)
        return {"user_id": user_id, "token": auth.issue_token(svc.db, user_id)}

    @r.delete("/users/{user_id}/tokens", tags=["admin"])
    def revoke(request: Request, user_id: int) -> dict[str, Any]:
        """Revoke every token of a user; their web sessions end too."""
        allow(request, "users.manage")
        svc = _svc(request)
        _user_exists(svc, user_id)
        return {"user_id": user_id, "revoked": auth.revoke_tokens(svc.db, user_id)}

    @r.get("/denials", tags=["audit"])
    def denials(request: Request, limit: int = 100) -> list[dict[str, Any]]:
        allow(request, "denials.read")
        from datacustoms.service.db import denials_t

        q = sa.select(denials_t).order_by(denials_t.c.id.desc()).limit(max(1, min(limit, 1000)))
        return _svc(request).db.all(q)


def _user_exists(svc: ops.Service, user_id: int) -> None:
    if svc.db.one(sa.select(users_t.c.id).where(users_t.c.id == user_id)) is None:
        raise ops.NotFound(f"no user {user_id}")


def _registry_routes(r: APIRouter) -> None:
    @r.post("/recipients", status_code=201, tags=["registry"], dependencies=[need("recipients.register")])
    def add_recipient(request: Request, body: RecipientIn) -> dict[str, Any]:
        allow(request, "recipients.register")
        return ops.register_recipient(_svc(request), **body.model_dump())

    @r.get("/recipients", tags=["registry"])
    def list_recipients(request: Request) -> list[dict[str, Any]]:
        allow(request, "recipients.read")
        from datacustoms.service.db import recipients_t

        return _svc(request).db.all(sa.select(recipients_t).order_by(recipients_t.c.id))

    @r.post("/sources", status_code=201, tags=["registry"], dependencies=[need("sources.register")])
    def add_source(request: Request, body: SourceIn) -> dict[str, Any]:
        who = allow(request, "sources.register")
        return ops.register_source(_svc(request), who, name=body.name, location=body.location)

    @r.get("/sources", tags=["registry"])
    def list_sources(request: Request) -> list[dict[str, Any]]:
        allow(request, "sources.read")
        from datacustoms.service.db import sources_t

        rows = _svc(request).db.all(sa.select(sources_t).order_by(sources_t.c.id))
        return [{**r, "location": safe_url(r["location"]) if "://" in r["location"] else r["location"]} for r in rows]


def _transfer_routes(r: APIRouter) -> None:
    @r.post("/transfers", status_code=202, tags=["transfers"], dependencies=[need("transfers.submit")])
    def submit(request: Request, body: TransferIn) -> dict[str, Any]:
        """Queue a transfer; returns at once. Poll GET /transfers/{id} for its state and phase."""
        who = allow(request, "transfers.submit")
        svc = _svc(request)
        row = ops.submit(svc, who, source_ref=body.source, recipient_ref=body.recipient, output_name=body.output_name,
                         policy_yaml=body.policy_yaml, policy_path=body.policy_path)
        worker: Worker | None = request.app.state.worker
        if worker is not None:
            worker.wake()
        return ops.transfer_view(svc, row)

    @r.get("/transfers", tags=["transfers"])
    def list_transfers(request: Request, state: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        allow(request, "transfers.read")
        return ops.list_transfers(_svc(request), state=state, limit=limit)

    @r.get("/transfers/{transfer_id}", tags=["transfers"])
    def get_transfer(request: Request, transfer_id: str) -> dict[str, Any]:
        allow(request, "transfers.read")
        return ops.transfer_view(_svc(request), _transfer(request, transfer_id))

    @r.get("/transfers/{transfer_id}/report", response_class=HTMLResponse, tags=["transfers"])
    def get_report(request: Request, transfer_id: str) -> HTMLResponse:
        allow(request, "transfers.read")
        _transfer(request, transfer_id)
        return HTMLResponse(ops.report_html(_svc(request), transfer_id))

    @r.get("/transfers/{transfer_id}/report.json", tags=["transfers"])
    def get_report_json(request: Request, transfer_id: str) -> Response:
        allow(request, "transfers.read")
        _transfer(request, transfer_id)
        path = _svc(request).config.report_path(transfer_id, "json")
        if not path.is_file():
            raise ops.NotFound("this transfer has no report (it failed before one was written)")
        return Response(path.read_bytes(), media_type="application/json")

    @r.get("/review/checklist", tags=["review"])
    def checklist(request: Request) -> dict[str, str]:
        allow(request, "transfers.read")
        return ops.CHECKLIST

    @r.post("/transfers/{transfer_id}/approve", tags=["review"], dependencies=[need("transfers.review")])
    def approve(request: Request, transfer_id: str, body: ReviewIn) -> dict[str, Any]:
        who = allow(request, "transfers.review")
        svc = _svc(request)
        return ops.transfer_view(svc, ops.review(svc, who, transfer_id, approve=True, checklist=body.checklist,
                                                 comment=body.comment))

    @r.post("/transfers/{transfer_id}/reject", tags=["review"], dependencies=[need("transfers.review")])
    def reject(request: Request, transfer_id: str, body: ReviewIn) -> dict[str, Any]:
        who = allow(request, "transfers.review")
        svc = _svc(request)
        return ops.transfer_view(svc, ops.review(svc, who, transfer_id, approve=False, checklist=body.checklist,
                                                 comment=body.comment))

    @r.post("/transfers/{transfer_id}/release", status_code=201, tags=["release"])
    def release(request: Request, transfer_id: str) -> dict[str, Any]:
        """A one-time link for the recipient, valid for the configured minutes (shown once)."""
        who = allow(request, "transfers.release")
        return ops.release(_svc(request), who, transfer_id)


def _inspection_routes(r: APIRouter) -> None:
    @r.post("/inspections", status_code=202, tags=["inspections"], dependencies=[need("inspections.run")])
    def inspect_source(request: Request, body: InspectionIn) -> dict[str, Any]:
        """Queue an inspection of a registered source; returns at once. Poll GET /inspections/{id}."""
        who = allow(request, "inspections.run")
        view = ops.submit_inspection(_svc(request), who, source_ref=body.source, attack=body.attack,
                                     attack_budget=body.attack_budget)
        worker: Worker | None = request.app.state.worker
        if worker is not None:
            worker.wake()
        return view

    @r.get("/inspections/{inspection_id}", tags=["inspections"])
    def get_inspection(request: Request, inspection_id: str) -> dict[str, Any]:
        allow(request, "inspections.read")
        return ops.inspection_view(_svc(request), inspection_id)

    @r.get("/inspections/{inspection_id}/report", response_class=HTMLResponse, tags=["inspections"])
    def get_inspection_report(request: Request, inspection_id: str) -> HTMLResponse:
        allow(request, "inspections.read")
        ops.inspection_view(_svc(request), inspection_id)
        return HTMLResponse(ops.report_html(_svc(request), inspection_id))

    @r.get("/inspections/{inspection_id}/report.json", tags=["inspections"])
    def get_inspection_json(request: Request, inspection_id: str) -> Response:
        allow(request, "inspections.read")
        ops.inspection_view(_svc(request), inspection_id)
        path = _svc(request).config.report_path(inspection_id, "json")
        if not path.is_file():
            raise ops.NotFound("this inspection has no report yet")
        return Response(path.read_bytes(), media_type="application/json")


def _transfer(request: Request, transfer_id: str) -> dict[str, Any]:
    t = _svc(request).db.transfer(transfer_id)
    if t is None:
        raise ops.NotFound(f"no transfer {transfer_id!r}")
    return t


def _stream(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        yield from iter(lambda: handle.read(1 << 20), b"")


def _release_routes(r: APIRouter) -> None:
    @r.get("/releases", tags=["release"])
    def my_releases(request: Request) -> list[dict[str, Any]]:
        who = allow(request, "releases.read")
        return ops.releases_for(_svc(request), who)

    @r.get("/releases/{token}", tags=["release"], response_class=StreamingResponse)
    def download(request: Request, token: str) -> StreamingResponse:
        """Collect a released file with its one-time link (the recipient's own token required too)."""
        who = allow(request, "releases.download")
        svc = _svc(request)
        handle, name = ops.collect(svc, who, token)
        t = svc.db.one(sa.select(links_t.c.transfer_id).where(links_t.c.token_hash == auth.hash_token(token)))
        task = BackgroundTask(ops.after_download, svc, t["transfer_id"]) if t else None
        media = "text/csv" if name.endswith(".csv") else "application/vnd.apache.parquet"
        return StreamingResponse(_stream(handle), media_type=media, background=task,
                                 headers={"content-disposition": f'attachment; filename="{name}"',
                                          "cache-control": "no-store"})


def _record_routes(r: APIRouter) -> None:
    @r.get("/ledger", tags=["ledger"])
    def ledger(request: Request, kind: str | None = None, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        allow(request, "ledger.read")
        return records.entries(_svc(request).ledger, kind=kind, after=after, limit=limit)

    @r.get("/ledger/verify", tags=["ledger"])
    def verify(request: Request) -> dict[str, Any]:
        allow(request, "ledger.read")
        return records.verify(_svc(request).ledger)

    @r.post("/subjects/lookup", tags=["subjects"], dependencies=[need("subjects.lookup")])
    def lookup(request: Request, body: LookupIn) -> dict[str, Any]:
        """Where did this person's data go? (POST, so the identifier stays out of URLs and access logs)."""
        allow(request, "subjects.lookup")
        return {"transfers": records.lookup(_svc(request).ledger, body.phone, body.email)}

    @r.get("/exposure", tags=["exposure"])
    def exposure(request: Request) -> list[dict[str, Any]]:
        allow(request, "exposure.read")
        return records.exposure(_svc(request).ledger)


def api_router() -> APIRouter:
    r = APIRouter(prefix=API)

    @r.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__, "api": "v1"}

    @r.get("/me", tags=["meta"])
    def me(request: Request) -> dict[str, Any]:
        who = current(request)
        request.state.principal = who
        if who is None:
            raise Denied(401, "authentication required")
        return {"id": who.user_id, "name": who.name, "role": who.role, "recipient_id": who.recipient_id}

    for add in (_admin_routes, _registry_routes, _inspection_routes, _transfer_routes, _release_routes,
                _record_routes):
        add(r)
    return r


def create_app(svc: ops.Service, *, worker: Worker | None = None, start_worker: bool = True) -> FastAPI:
    """The service's app; the worker (if any) starts and stops with it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if worker is not None and start_worker:
            worker.start()
        try:
            yield
        finally:
            if worker is not None and start_worker:
                worker.stop()

    app = FastAPI(title="datacustoms", version=__version__, openapi_url=f"{API}/openapi.json", docs_url=None,
                  redoc_url=None, lifespan=lifespan,
                  description="The customs office as a service: submit, review (four eyes), release, look up.")
    app.state.svc = svc
    app.state.worker = worker

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        """Pages load nothing from elsewhere and run no script; nobody else may frame them."""
        response: Response = await call_next(request)
        response.headers.setdefault("content-security-policy", CSP)
        response.headers.setdefault("x-content-type-options", "nosniff")
        response.headers.setdefault("referrer-policy", "no-referrer")
        return response

    app.state.secret = auth.service_secret(svc.db)
    _errors(app)
    app.include_router(api_router())
    from datacustoms.service.ui import ui_router

    app.include_router(ui_router())
    return app
