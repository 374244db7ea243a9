"""The web UI: server-rendered Jinja2 pages, plain CSS, no JavaScript, nothing from a CDN.

Sign-in exchanges an API token for a signed session cookie (HttpOnly, SameSite=Strict); every
form carries a token bound to the session (CSRF). Pages use the same permission checks as the
API, and a refusal is logged the same way.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from datacustoms.errors import DatacustomsError
from datacustoms.service import auth, ops, records
from datacustoms.service.access import allow, current
from datacustoms.service.auth import Denied, Principal
from datacustoms.service.db import recipients_t, sources_t

_env: Environment | None = None


def _templates() -> Environment:
    global _env
    if _env is None:
        _env = Environment(loader=PackageLoader("datacustoms.service", "templates"),
                           autoescape=select_autoescape(["html"]))
    return _env


def _page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    who: Principal | None = getattr(request.state, "principal", None)
    cookie = request.cookies.get(auth.SESSION_COOKIE, "")
    csrf = auth.csrf_token(request.app.state.secret, cookie) if cookie else ""
    html = _templates().get_template(name).render(who=who, csrf=csrf, checklist=ops.CHECKLIST, **ctx)
    return HTMLResponse(html, status_code=status)


def _allow(request: Request, action: str) -> Principal:
    return allow(request, action)


async def _form(request: Request) -> dict[str, str]:
    """The posted form, after checking its CSRF token against the session."""
    form = await request.form()
    data = {k: str(v) for k, v in form.items()}
    cookie = request.cookies.get(auth.SESSION_COOKIE, "")
    expected = auth.csrf_token(request.app.state.secret, cookie) if cookie else ""
    import hmac

    if not expected or not hmac.compare_digest(expected, data.get("csrf", "")):
        raise Denied(403, "missing or wrong form token (CSRF)")
    return data


def _svc(request: Request) -> ops.Service:
    svc: ops.Service = request.app.state.svc
    return svc


def _session_routes(r: APIRouter) -> None:
    @r.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse("/ui/", status_code=303)

    @r.get("/ui/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request) -> HTMLResponse:
        request.state.principal = None
        return _page(request, "login.html")

    @r.post("/ui/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        svc = _svc(request)
        who = auth.principal_for_token(svc.db, str(form.get("token", "")).strip())
        if who is None:
            request.state.principal = None
            auth.record_denial(svc.db, None, "POST", "/ui/login", "sign-in with an unknown token")
            return _page(request, "login.html", status=401, error="That token is not valid.")
        resp = RedirectResponse("/ui/releases" if who.role == "recipient" else "/ui/", status_code=303)
        resp.set_cookie(auth.SESSION_COOKIE, auth.sign_session(request.app.state.secret, who.user_id),
                        max_age=auth.SESSION_SECONDS, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
        return resp

    @r.post("/ui/logout", include_in_schema=False)
    def logout() -> Response:
        resp = RedirectResponse("/ui/login", status_code=303)
        resp.delete_cookie(auth.SESSION_COOKIE)
        return resp


def _transfer_pages(r: APIRouter) -> None:
    @r.get("/ui/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> Response:
        who = current(request)
        if who is not None and who.role == "recipient":
            return RedirectResponse("/ui/releases", status_code=303)
        _allow(request, "transfers.read")
        svc = _svc(request)
        return _page(request, "queue.html", queue=ops.list_transfers(svc, state="awaiting_review"),
                     recent=ops.list_transfers(svc, limit=50), inspections=ops.list_inspections(svc, limit=20))

    @r.get("/ui/submit", response_class=HTMLResponse, include_in_schema=False)
    def submit_form(request: Request) -> HTMLResponse:
        _allow(request, "transfers.submit")
        svc = _svc(request)
        return _page(request, "submit.html", sources=svc.db.all(sa.select(sources_t)),
                     recipients=svc.db.all(sa.select(recipients_t)))

    @r.post("/ui/submit", include_in_schema=False)
    async def submit(request: Request) -> Response:
        who = _allow(request, "transfers.submit")
        form = await _form(request)
        svc = _svc(request)
        try:
            row = ops.submit(svc, who, source_ref=form.get("source", ""), recipient_ref=form.get("recipient", ""),
                             output_name=form.get("output_name", ""), policy_yaml=form.get("policy_yaml") or None)
        except (DatacustomsError, ops.NotFound) as err:
            message = err.one_line() if isinstance(err, DatacustomsError) else str(err)
            return _page(request, "message.html", status=422, title="Not submitted", message=message)
        worker = request.app.state.worker
        if worker is not None:
            worker.wake()
        return RedirectResponse(f"/ui/transfers/{row['id']}", status_code=303)



def _inspection_pages(r: APIRouter) -> None:
    @r.post("/ui/inspect", include_in_schema=False)
    async def inspect_source(request: Request) -> Response:
        who = _allow(request, "inspections.run")
        form = await _form(request)
        try:
            view = ops.submit_inspection(_svc(request), who, source_ref=form.get("source", ""),
                                         attack=form.get("attack") == "yes")
        except (DatacustomsError, ops.NotFound) as err:
            message = err.one_line() if isinstance(err, DatacustomsError) else str(err)
            return _page(request, "message.html", status=422, title="Not submitted", message=message)
        worker = request.app.state.worker
        if worker is not None:
            worker.wake()
        return RedirectResponse(f"/ui/inspections/{view['id']}", status_code=303)

    @r.get("/ui/inspections/{inspection_id}", response_class=HTMLResponse, include_in_schema=False)
    def inspection_page(request: Request, inspection_id: str) -> HTMLResponse:
        _allow(request, "inspections.read")
        try:
            view = ops.inspection_view(_svc(request), inspection_id)
        except ops.NotFound:
            return _page(request, "message.html", status=404, title="Not found", message="No such inspection.")
        return _page(request, "inspection.html", i=view)



def _transfer_detail_pages(r: APIRouter) -> None:
    @r.get("/ui/transfers/{transfer_id}", response_class=HTMLResponse, include_in_schema=False)
    def transfer_page(request: Request, transfer_id: str) -> HTMLResponse:
        _allow(request, "transfers.read")
        svc = _svc(request)
        t = svc.db.transfer(transfer_id)
        if t is None:
            return _page(request, "message.html", status=404, title="Not found", message="No such transfer.")
        return _page(request, "transfer.html", t=ops.transfer_view(svc, t), verdict=verdict_line(svc, t),
                     has_report=svc.config.report_path(transfer_id, "html").is_file())

    @r.post("/ui/transfers/{transfer_id}/review", include_in_schema=False)
    async def review(request: Request, transfer_id: str) -> Response:
        who = _allow(request, "transfers.review")
        form = await _form(request)
        answers = {k: form.get(k) == "yes" for k in ops.CHECKLIST}
        try:
            ops.review(_svc(request), who, transfer_id, approve=form.get("decision") == "approve", checklist=answers,
                       comment=form.get("comment", ""))
        except (DatacustomsError, ops.Conflict) as err:
            message = err.one_line() if isinstance(err, DatacustomsError) else str(err)
            return _page(request, "message.html", status=409, title="Not recorded", message=message)
        return RedirectResponse(f"/ui/transfers/{transfer_id}", status_code=303)

    @r.post("/ui/transfers/{transfer_id}/release", response_class=HTMLResponse, include_in_schema=False)
    async def release(request: Request, transfer_id: str) -> HTMLResponse:
        who = _allow(request, "transfers.release")
        await _form(request)
        try:
            link = ops.release(_svc(request), who, transfer_id)
        except ops.Conflict as err:
            return _page(request, "message.html", status=409, title="Not released", message=str(err))
        return _page(request, "released.html", link=link, transfer_id=transfer_id)


def verdict_line(svc: ops.Service, t: dict[str, Any]) -> str:
    """The transfer's verdict in one line, for the top of its page."""
    state = t["state"]
    lines = {
        "queued": "QUEUED — waiting for the worker",
        "running": f"RUNNING — {t['phase']}",
        "awaiting_review": f"PROOF PASSED — awaiting review (R35, four eyes). {t['summary'] or ''}",
        "approved": f"APPROVED by {t['reviewer']} — ready to release to the recipient",
        "released": f"RELEASED — collected ({t['phase']}); ledger entries {t['ledger_seq']}, {t['review_seq']}, "
                    f"{t['release_seq']}",
        "rejected": f"REJECTED by {t['reviewer']} — the protected file was destroyed; nothing left",
        "refused": f"REFUSED — {t['summary'] or 'the checks failed'}; nothing was written",
        "expired": "EXPIRED — not released in time; the protected file was destroyed",
        "failed": f"FAILED — {t['error'] or 'see the service log'}",
    }
    return lines.get(state, state)


def _record_pages(r: APIRouter) -> None:
    @r.get("/ui/ledger", response_class=HTMLResponse, include_in_schema=False)
    def ledger(request: Request) -> HTMLResponse:
        _allow(request, "ledger.read")
        store = _svc(request).ledger
        entries = records.entries(store, limit=1000)[-200:]
        for e in entries:
            e["summary"] = _entry_summary(e)
        return _page(request, "ledger.html", verify=records.verify(store), entries=list(reversed(entries)))

    @r.get("/ui/exposure", response_class=HTMLResponse, include_in_schema=False)
    def exposure(request: Request) -> HTMLResponse:
        _allow(request, "exposure.read")
        rows = records.exposure(_svc(request).ledger)
        for row in rows:
            row["chart"] = chart_points(row["cumulative_identifiers_by_day"])
        return _page(request, "exposure.html", rows=rows)

    @r.get("/ui/subjects", response_class=HTMLResponse, include_in_schema=False)
    def subjects_form(request: Request) -> HTMLResponse:
        _allow(request, "subjects.lookup")
        return _page(request, "subjects.html", rows=None)

    @r.post("/ui/subjects", response_class=HTMLResponse, include_in_schema=False)
    async def subjects(request: Request) -> HTMLResponse:
        _allow(request, "subjects.lookup")
        form = await _form(request)
        value = form.get("identifier", "").strip()
        phone, email = (None, value) if "@" in value else (value, None)
        try:
            rows = records.lookup(_svc(request).ledger, phone, email)
        except DatacustomsError as err:
            return _page(request, "subjects.html", status=422, rows=None, error=err.one_line())
        return _page(request, "subjects.html", rows=rows)

    @r.get("/ui/releases", response_class=HTMLResponse, include_in_schema=False)
    def releases(request: Request) -> HTMLResponse:
        who = _allow(request, "releases.read")
        return _page(request, "releases.html", rows=ops.releases_for(_svc(request), who))

    @r.get("/ui/collect", include_in_schema=False)
    def collect(request: Request, link: str = "") -> Response:
        _allow(request, "releases.download")
        token = link.rsplit("/", 1)[-1].strip()
        return RedirectResponse(f"/api/v1/releases/{quote(token, safe='')}", status_code=303)


def _entry_summary(e: dict[str, Any]) -> str:
    b = e["body"]
    if e["kind"] == "transfer":
        return (f"{b.get('status')} to {(b.get('recipient') or {}).get('name')} ({(b.get('recipient') or {}).get('country')})"
                f", {(b.get('dataset') or {}).get('rows') or 0} rows, purpose {b.get('purpose')!r}")
    if e["kind"] == "review":
        return f"R35 review: {b.get('verdict')} by {b.get('reviewer')} (submitted by {b.get('submitter')})"
    if e["kind"] == "release":
        return f"collected by {b.get('collected_by')} (transfer entry {b.get('transfer_entry')})"
    if e["kind"] == "destruction":
        return f"destroyed on {b.get('destroyed_on')}: {b.get('method')}"
    return json.dumps(b, ensure_ascii=False)[:160]


def chart_points(series: list[dict[str, Any]], width: int = 480, height: int = 120) -> dict[str, Any]:
    """An SVG polyline for cumulative identifiers by day (drawn on the server, no script)."""
    if not series:
        return {"points": "", "max": 0, "width": width, "height": height}
    top = max(s["identifiers"] for s in series) or 1
    step = width / max(1, len(series) - 1)
    pts = [f"{round(i * step, 1)},{round(height - s['identifiers'] / top * (height - 10), 1)}" for i, s in enumerate(series)]
    if len(pts) == 1:
        pts.append(f"{width},{pts[0].split(',')[1]}")
    return {"points": " ".join(pts), "max": top, "width": width, "height": height,
            "first": series[0]["day"], "last": series[-1]["day"]}


def ui_router() -> APIRouter:
    r = APIRouter()
    for add in (_session_routes, _transfer_pages, _inspection_pages, _transfer_detail_pages, _record_pages):
        add(r)
    return r
