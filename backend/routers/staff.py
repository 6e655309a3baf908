"""Helpline staff console (issue 6): sign-in, look-up, reveal/re-send (audited), audit log.

Server-rendered pages under /staff with their own session cookie (``assist_staff``); a portal
user's ``assist_web`` cookie or the chat cookie opens nothing here. Every staff action writes one
``staff_audit`` row through :func:`backend.services.staff_audit.record`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from backend.db import get_db, get_sessionmaker
from backend.deps import Clock, get_app_settings, get_clock
from backend.hub import handoff as hub_handoff
from backend.hub import service as hub_service
from backend.hub.rasa_client import get_rasa_client
from backend.models import (
    Conversation,
    Employee,
    Employer,
    HandoffTicket,
    PortalAccount,
    StaffUser,
)
from backend.routers import html_pages
from backend.services import email as email_service
from backend.services import (
    staff_assist,
    staff_audit,
    staff_auth,
    staff_dashboard,
    staff_handoff,
    staff_lookup,
    staff_strings,
    web_auth,
)
from backend.services.data_protection import erase_conversation
from backend.settings import REPO_ROOT, Settings


class Refused(Exception):
    """Raised by the guards below with the answer to send instead of the page.

    A FastAPI dependency cannot return a response, and the staff console answers a refusal in
    the caller's terms (a redirect to the sign-in page, a message page, or a JSON error), so the
    guards raise this and :class:`_GuardedRoute` sends ``response``.
    """

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class _GuardedRoute(APIRoute):
    """Every /staff route: a :class:`Refused` from a guard becomes its response."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Refused as refused:
                return refused.response

        return guarded


router = APIRouter(
    prefix="/staff", tags=["staff"], include_in_schema=False, route_class=_GuardedRoute
)
templates = Jinja2Templates(directory=str(REPO_ROOT / "backend" / "templates"))

Db = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
NowClock = Annotated[Clock, Depends(get_clock)]

_secure = html_pages.secure_cookies
_redirect = html_pages.redirect


def _wants_json(request: Request) -> bool:
    return request.query_params.get(
        "format"
    ) == "json" or "application/json" in request.headers.get("accept", "")


def _is_api(request: Request) -> bool:
    """The console's own scripts call /staff/api/…; any page can also be asked for JSON."""
    return request.url.path.startswith("/staff/api/") or _wants_json(request)


def _render(
    request: Request,
    settings: Settings,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    lang = staff_strings.language_of(request)
    return html_pages.render_with_csrf(
        templates,
        request,
        settings,
        name,
        {"lang": lang, "t": staff_strings.translator(lang), **context},
        status_code=status_code,
    )


def _current(request: Request, db: Session, settings: Settings) -> StaffUser | None:
    return staff_auth.staff_from_session(
        db, settings, request.cookies.get(staff_auth.SESSION_COOKIE)
    )


def _json_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": {"code": code, "message": message}}, status_code=status)


def _not_signed_in(request: Request) -> Response:
    if _is_api(request):
        return _json_error(401, "not_signed_in", "staff sign-in required")
    return _redirect("/staff/login")


def _message(
    request: Request,
    settings: Settings,
    staff: StaffUser | None,
    heading: str,
    text: str,
    code: int,
) -> HTMLResponse:
    return _render(
        request,
        settings,
        "staff/message.html",
        {"staff": staff, "heading": heading, "message": text},
        status_code=code,
    )


def _csrf_failed(request: Request, settings: Settings, staff: StaffUser | None) -> HTMLResponse:
    return _message(
        request,
        settings,
        staff,
        "Form expired",
        "The form expired or did not come from this console. Go back, reload and try again.",
        400,
    )


def _csrf(request: Request, settings: Settings, submitted: str) -> bool:
    return web_auth.csrf_ok(settings, request.cookies.get(web_auth.CSRF_COOKIE), submitted)


# --- Guards (dependencies): who may open a route, and that a change came from the console ---


def signed_in(request: Request, db: Db, settings: AppSettings) -> StaffUser:
    """The signed-in staff member; otherwise the sign-in page (or 401 for the console's API)."""
    staff = _current(request, db, settings)
    if staff is None:
        raise Refused(_not_signed_in(request))
    return staff


Staff = Annotated[StaffUser, Depends(signed_in)]


def form_posted(
    request: Request,
    settings: AppSettings,
    staff: Staff,
    csrf_token: Annotated[str, Form()] = "",
) -> StaffUser:
    """A signed-in member's form POST carrying this console's CSRF token."""
    if not _csrf(request, settings, csrf_token):
        raise Refused(_csrf_failed(request, settings, staff))
    return staff


def api_posted(request: Request, settings: AppSettings, staff: Staff) -> StaffUser:
    """A signed-in member's script POST carrying the CSRF token in ``X-CSRF-Token``."""
    if not _csrf(request, settings, request.headers.get("x-csrf-token", "")):
        raise Refused(_json_error(400, "csrf", "missing or wrong X-CSRF-Token"))
    return staff


FormStaff = Annotated[StaffUser, Depends(form_posted)]
ApiStaff = Annotated[StaffUser, Depends(api_posted)]


def supervisors_only(refusal: str) -> Callable[..., StaffUser]:
    """A guard letting supervisors through; an agent gets 403 with ``refusal`` on the page."""

    def supervisor(request: Request, settings: AppSettings, staff: Staff) -> StaffUser:
        if staff.role == "supervisor":
            return staff
        if _is_api(request):
            raise Refused(_json_error(403, "forbidden", "supervisors only"))
        raise Refused(_message(request, settings, staff, "Not allowed", refusal, 403))

    return supervisor


AuditReader = Annotated[
    StaffUser, Depends(supervisors_only("Only supervisors can read the audit log."))
]
DashboardReader = Annotated[
    StaffUser, Depends(supervisors_only("Only supervisors can see the dashboard."))
]


@router.get("/language")
def switch_language(request: Request, to: str = "en") -> Response:
    """English or Malay console (a preference cookie; back to the page the switch was on)."""
    referer = request.headers.get("referer", "")
    path = referer.split(str(request.base_url).rstrip("/"), 1)[-1] if referer else ""
    target = path if path.startswith("/staff") and "//" not in path else "/staff/lookup"
    response = _redirect(target)
    response.set_cookie(
        staff_strings.LANG_COOKIE,
        to if to in staff_strings.LANGUAGES else "en",
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="strict",
        path="/staff",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, db: Db, settings: AppSettings) -> Response:
    if _current(request, db, settings) is not None:
        return _redirect("/staff/lookup")
    notice = "You have signed out." if request.query_params.get("logged_out") else None
    return _render(request, settings, "staff/login.html", {"notice": notice, "staff": None})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if not _csrf(request, settings, csrf_token):
        return _csrf_failed(request, settings, None)
    outcome = staff_auth.login(db, email, password, clock())
    if outcome.staff is None:
        if outcome.error == "locked":
            minutes = max(1, -(-outcome.locked_seconds // 60))
            error = staff_strings.translate(
                staff_strings.language_of(request),
                "Too many failed sign-ins. Try again in {minutes} minutes.",
                minutes=minutes,
            )
        else:
            error = staff_strings.translate(
                staff_strings.language_of(request), "The email address or password is not correct."
            )
        response = _render(
            request,
            settings,
            "staff/login.html",
            {"error": error, "email": email, "staff": None},
            status_code=423 if outcome.error == "locked" else 401,
        )
        if outcome.locked_seconds:
            response.headers["Retry-After"] = str(outcome.locked_seconds)
        return response
    staff_audit.record(db, outcome.staff, "sign_in")
    db.commit()
    response = _redirect("/staff/lookup")
    response.set_cookie(
        staff_auth.SESSION_COOKIE,
        staff_auth.session_value(settings, outcome.staff),
        max_age=staff_auth.SESSION_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=_secure(settings),
        path="/staff",
    )
    return response


@router.post("/logout")
def logout(
    request: Request,
    db: Db,
    settings: AppSettings,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    staff = _current(request, db, settings)
    if not _csrf(request, settings, csrf_token):
        return _csrf_failed(request, settings, staff)
    if staff is not None:
        staff_audit.record(db, staff, "sign_out")
        db.commit()
    response = _redirect("/staff/login?logged_out=1")
    response.delete_cookie(staff_auth.SESSION_COOKIE, path="/staff")
    return response


@router.get("", include_in_schema=False)
@router.get("/", include_in_schema=False)
def home(_staff: Staff) -> Response:
    """The console opens on the look-up page (the guard sends a stranger to sign in)."""
    return _redirect("/staff/lookup")


@router.get("/lookup")
def lookup(
    request: Request,
    staff: Staff,
    db: Db,
    settings: AppSettings,
    q: str = "",
) -> Response:
    results = staff_lookup.search(db, q) if q.strip() else {"employers": [], "employees": []}
    if q.strip():
        subject = staff_lookup.subject_for(q)
        if results["employees"]:
            subject = staff_lookup.mask_id(q)
        staff_audit.record(
            db,
            staff,
            "lookup",
            subject=subject,
            detail={
                "employers": [e["id"] for e in results["employers"]],
                "employees": [e["id"] for e in results["employees"]],
            },
        )
        db.commit()
    if _wants_json(request):
        return JSONResponse(results)
    return _render(
        request, settings, "staff/lookup.html", {"staff": staff, "q": q, "results": results}
    )


def _today(clock: Clock) -> date:
    """Malaysia's date: a month's contribution falls due by the Malaysian calendar."""
    return staff_dashboard.malaysia_today(clock())


def _employer_page(
    request: Request,
    db: Session,
    settings: Settings,
    staff: StaffUser,
    employer_id: int,
    today: date,
    reveal: int | None = None,
    notice: str | None = None,
) -> Response:
    detail = staff_lookup.employer_detail(db, settings, employer_id, reveal, today)
    if detail is None:
        if _wants_json(request):
            return JSONResponse(
                {"detail": {"code": "not_found", "message": "no such employer"}}, status_code=404
            )
        return _message(request, settings, staff, "Not found", "No such employer.", 404)
    if _wants_json(request):
        return JSONResponse(detail)
    return _render(
        request,
        settings,
        "staff/employer.html",
        {"staff": staff, "d": detail, "notice": notice},
    )


@router.get("/employers/{employer_id}")
def employer(
    request: Request,
    staff: Staff,
    employer_id: int,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
) -> Response:
    response = _employer_page(request, db, settings, staff, employer_id, _today(clock))
    if response.status_code == 200:
        staff_audit.record(db, staff, "view_employer", employer_id=employer_id)
        db.commit()
    return response


@router.post("/employers/{employer_id}/reveal")
def reveal(
    request: Request,
    staff: FormStaff,
    employer_id: int,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
    employee_id: Annotated[int, Form()],
) -> Response:
    employee = db.get(Employee, employee_id)
    if employee is None or employee.employer_id != employer_id:
        return _message(request, settings, staff, "Not found", "No such employee.", 404)
    staff_audit.record(
        db,
        staff,
        "reveal_id",
        employer_id=employer_id,
        subject=staff_lookup.mask_id(employee.id_no),
        detail={"employee_id": employee.id},
    )
    db.commit()
    return _employer_page(
        request, db, settings, staff, employer_id, _today(clock), reveal=employee.id
    )


@router.post("/employers/{employer_id}/resend")
def resend(
    request: Request,
    staff: FormStaff,
    employer_id: int,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
    kind: Annotated[str, Form()],
    item_id: Annotated[int, Form()],
) -> Response:
    """Re-send a letter or a receipt link by email to the employer's address on record."""
    detail = staff_lookup.employer_detail(db, settings, employer_id)
    employer_row = db.get(Employer, employer_id)
    if detail is None or employer_row is None:
        return _message(request, settings, staff, "Not found", "No such employer.", 404)
    if kind == "letter":
        item = next((x for x in detail["letters"] if x["id"] == item_id), None)
        title, url = (item["kind"], item["url"]) if item else ("", None)
    elif kind == "receipt":
        item = next((x for x in detail["payments"] if x["id"] == item_id), None)
        title, url = (f"receipt {item['receipt_no']}", item["receipt_url"]) if item else ("", None)
    else:
        item, url, title = None, None, ""
    if item is None or not url:
        return _message(request, settings, staff, "Not found", "No such document.", 404)
    if not employer_row.email:
        return _message(
            request, settings, staff, "No email", "The employer has no email address.", 422
        )
    name = employer_row.employer_name or "Employer"
    email_service.send_email(
        db,
        employer_row.email,
        f"ASSIST: your {title}",
        f"Dear {name},\n\nAs requested from the PERKESO helpline, here is your {title}:\n"
        f"{url}\n\nThe link is valid for 7 days.\n",
        settings=settings,
    )
    staff_audit.record(
        db,
        staff,
        "resend_email",
        employer_id=employer_id,
        subject=email_service.mask_email(employer_row.email),
        detail={"kind": kind, "item_id": item_id},
    )
    db.commit()
    notice = f"Sent the {title} to {email_service.mask_email(employer_row.email)}."
    return _employer_page(request, db, settings, staff, employer_id, _today(clock), notice=notice)


@router.get("/audit")
def audit(
    request: Request,
    staff: AuditReader,
    db: Db,
    settings: AppSettings,
) -> Response:
    rows = staff_audit.recent(db)
    staff_audit.record(db, staff, "view_audit")
    db.commit()
    if _wants_json(request):
        return JSONResponse({"entries": rows})
    return _render(request, settings, "staff/audit.html", {"staff": staff, "rows": rows})


# --- Human-handoff queue (JSON). POSTs carry the CSRF token in the X-CSRF-Token header. ---


@router.get("/api/handoffs")
def handoff_list(
    _staff: Staff,
    db: Db,
    status: str | None = None,
) -> Response:
    try:
        tickets = staff_handoff.listing(db, status)
    except staff_handoff.TicketError as exc:
        return _json_error(exc.status, exc.code, str(exc))
    return JSONResponse({"tickets": tickets})


@router.get("/handoffs")
def handoff_queue_page(
    request: Request,
    staff: Staff,
    db: Db,
    settings: AppSettings,
) -> Response:
    tickets = [t for t in staff_handoff.listing(db) if t["status"] != "closed"]
    return _render(
        request,
        settings,
        "staff/handoffs.html",
        {"staff": staff, "tickets": tickets, "callbacks": staff_handoff.callbacks(db)},
    )


@router.get("/handoffs/{ticket_id}")
def handoff_ticket_page(
    request: Request,
    staff: Staff,
    ticket_id: int,
    db: Db,
    settings: AppSettings,
) -> Response:
    try:
        ticket = staff_handoff.get(db, ticket_id)
    except staff_handoff.TicketError:
        return _message(request, settings, staff, "Not found", "There is no such ticket.", 404)
    return _render(
        request,
        settings,
        "staff/handoff.html",
        {
            "staff": staff,
            "ticket": staff_handoff.as_dict(ticket),
            "messages": staff_handoff.transcript(db, ticket.sender_id),
        },
    )


@router.post("/handoffs/{ticket_id}/erase")
def handoff_erase(
    request: Request,
    staff: FormStaff,
    ticket_id: int,
    db: Db,
    settings: AppSettings,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """The caller's 'delete my conversation data' (PDPA), carried out from their handoff chat.

    Any signed-in agent may do it, not only supervisors: the request arrives in the very
    conversation being erased (the agent reads it in the transcript), and the caller could erase
    it without anyone's approval from the web chat (``DELETE /api/v1/chat/history``); a
    supervisor step would only delay a right the caller already has. The safeguards are the
    ticked confirmation and the audit row, committed together with the transcript's deletion.
    The erasure itself is :func:`erase_conversation`, the function both API routes call.
    """
    try:
        ticket = staff_handoff.get(db, ticket_id)
    except staff_handoff.TicketError:
        return _message(request, settings, staff, "Not found", "There is no such ticket.", 404)
    if confirm != "yes":
        return _message(
            request,
            settings,
            staff,
            "Not deleted",
            "Tick the box to confirm the caller asked for their conversation data to be deleted.",
            422,
        )
    conversation = db.get(Conversation, ticket.sender_id)
    row = staff_audit.record(
        db,
        staff,
        "erase_conversation",
        subject=ticket.sender_id,
        detail={
            "ticket_id": ticket.id,
            "account_id": conversation.account_id if conversation else None,
        },
    )
    deleted = erase_conversation(db, settings.tracker_database_url, ticket.sender_id)
    row.detail = {**row.detail, "deleted": deleted}  # the counts, once they are known
    db.commit()
    t = staff_strings.translator(staff_strings.language_of(request))
    notice = t(
        "Conversation data deleted: {messages} messages and {events} assistant records.",
        messages=deleted["messages"],
        events=deleted["tracker_events"],
    )
    return _render(
        request,
        settings,
        "staff/handoff.html",
        {
            "staff": staff,
            "ticket": staff_handoff.as_dict(ticket),
            "messages": staff_handoff.transcript(db, ticket.sender_id),
            "notice": notice,
        },
    )


@router.get("/api/handoffs/{ticket_id}")
def handoff_detail(
    _staff: Staff,
    ticket_id: int,
    db: Db,
) -> Response:
    try:
        ticket = staff_handoff.get(db, ticket_id)
    except staff_handoff.TicketError as exc:
        return _json_error(exc.status, exc.code, str(exc))
    return JSONResponse(
        {
            **staff_handoff.as_dict(ticket),
            "messages": staff_handoff.transcript(db, ticket.sender_id),
        }
    )


@router.get("/api/handoffs/{ticket_id}/events")
def handoff_events(
    request: Request,
    _staff: Staff,
    ticket_id: int,
    db: Db,
    settings: AppSettings,
    wait: float = 25.0,
) -> Response:
    """The chat as it happens (server-sent events): every new message, then the ticket status."""
    try:
        ticket = staff_handoff.get(db, ticket_id)
    except staff_handoff.TicketError as exc:
        return _json_error(exc.status, exc.code, str(exc))
    after = hub_handoff._start_after(request, hub_handoff.last_message_id(db, ticket.sender_id))
    last_status = {"value": ticket.status}

    def status_frame() -> str | None:
        with get_sessionmaker(settings.database_url)() as fresh:
            row = fresh.get(HandoffTicket, ticket_id)
            status = row.status if row else "closed"
        if status == last_status["value"]:
            return None
        last_status["value"] = status
        return f"event: status\ndata: {json.dumps({'status': status})}\n\n"

    return hub_handoff.sse_response(
        hub_handoff.event_stream(
            settings,
            ticket.sender_id,
            after,
            render=staff_handoff.message_dict,
            only_pushed=False,
            max_seconds=max(0.0, min(wait, 55.0)),
            extra=status_frame,
        )
    )


def _json_body_text(raw: Any) -> str:
    text = raw.get("text") if isinstance(raw, dict) else None
    return text.strip() if isinstance(text, str) else ""


@router.post("/api/handoffs/{ticket_id}/reply")
async def handoff_reply(
    request: Request,
    staff: ApiStaff,
    ticket_id: int,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
) -> Response:
    try:
        text = _json_body_text(await request.json())
    except ValueError:
        text = ""
    if not text or len(text) > 2000:
        return _json_error(422, "invalid_text", "a reply of 1 to 2,000 characters is needed")
    try:
        ticket = staff_handoff.assign(db, ticket_id, staff, clock())  # replying takes the ticket
    except staff_handoff.TicketError as exc:
        db.rollback()
        return _json_error(exc.status, exc.code, str(exc))
    staff_audit.record(
        db, staff, "handoff_reply", subject=ticket.sender_id, detail={"ticket_id": ticket.id}
    )
    db.commit()
    delivered = await hub_handoff.agent_reply(db, settings, ticket, staff, text)
    return JSONResponse({"status": "sent", "telegram_delivered": delivered})


@router.post("/api/handoffs/{ticket_id}/handback")
async def handoff_handback(
    staff: ApiStaff,
    ticket_id: int,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
) -> Response:
    try:
        ticket = staff_handoff.get(db, ticket_id)
        if ticket.status == "closed":
            raise staff_handoff.TicketError(409, "closed", "the ticket is closed")
    except staff_handoff.TicketError as exc:
        return _json_error(exc.status, exc.code, str(exc))
    staff_audit.record(
        db, staff, "handoff_handback", subject=ticket.sender_id, detail={"ticket_id": ticket.id}
    )
    try:
        messages = await hub_handoff.hand_back(db, settings, ticket, staff, clock())
    except staff_handoff.TicketError as exc:
        db.rollback()
        return _json_error(exc.status, exc.code, str(exc))
    return JSONResponse({"status": "closed", "bot_messages": messages})


@router.get("/api/callbacks")
def callback_list(
    _staff: Staff,
    db: Db,
) -> Response:
    return JSONResponse({"callbacks": staff_handoff.callbacks(db)})


@router.post("/api/callbacks/{callback_id}/done")
def callback_done(
    staff: ApiStaff,
    callback_id: int,
    db: Db,
    clock: NowClock,
) -> Response:
    try:
        row = staff_handoff.mark_callback_done(db, callback_id, staff, clock())
    except staff_handoff.TicketError as exc:
        return _json_error(exc.status, exc.code, str(exc))
    staff_audit.record(db, staff, "callback_done", subject=row.phone, detail={"id": row.id})
    db.commit()
    return JSONResponse({"id": row.id, "status": row.status})


# --- Supervisors' dashboard (figures from Rasa's events; see backend/analytics/ingest.py) ---


def _dashboard_figures(
    request: Request, db: Session, clock: Clock
) -> tuple[dict[str, Any] | None, str | None]:
    try:
        first, last = staff_dashboard.parse_range(
            request.query_params.get("from"),
            request.query_params.get("to"),
            staff_dashboard.malaysia_today(clock()),
        )
    except staff_dashboard.RangeError as exc:
        return None, str(exc)
    lang = staff_strings.language_of(request)
    return staff_dashboard.figures(db, first, last, lang), None


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    staff: DashboardReader,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
) -> Response:
    data, error = _dashboard_figures(request, db, clock)
    if data is None:
        first, last = staff_dashboard.parse_range(
            None, None, staff_dashboard.malaysia_today(clock())
        )
        data = staff_dashboard.figures(db, first, last)
    return _render(
        request,
        settings,
        "staff/dashboard.html",
        {"staff": staff, "data": data, "error": error},
        status_code=422 if error else 200,
    )


@router.get("/api/dashboard")
def dashboard_json(
    request: Request,
    _staff: DashboardReader,
    db: Db,
    clock: NowClock,
) -> Response:
    data, error = _dashboard_figures(request, db, clock)
    if data is None:
        return _json_error(422, "invalid_range", error or "bad range")
    return JSONResponse(data)


# --- Assisted mode: an agent chats with the assistant for a caller (verified by emailed code) ---


@router.get("/assist")
def assist_page(
    request: Request,
    staff: Staff,
    settings: AppSettings,
) -> Response:
    return _render(request, settings, "staff/assist.html", {"staff": staff, "error": None})


@router.post("/assist")
def assist_start(
    request: Request,
    staff: FormStaff,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
    email: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "en",
) -> Response:
    try:
        row = staff_assist.start(db, settings, staff, email, clock())
    except staff_assist.AssistError as exc:
        db.rollback()
        return _render(
            request,
            settings,
            "staff/assist.html",
            {"staff": staff, "error": exc.message},
            status_code=exc.status,
        )
    conversation = hub_service.get_conversation(
        db, row.sender_id, "assisted", language if language in ("en", "ms") else "en"
    )
    conversation.account_id = None  # bound only once the caller's code is verified
    db.commit()
    return _redirect(f"/staff/assist/{row.id}")


def _assist_view(
    request: Request,
    db: Session,
    settings: Settings,
    staff: StaffUser,
    session_id: int,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        row = staff_assist.get_for(db, session_id, staff)
    except staff_assist.AssistError as exc:
        return _message(request, settings, staff, "Not found", exc.message, exc.status)
    account = db.get(PortalAccount, row.account_id)
    return _render(
        request,
        settings,
        "staff/assist_chat.html",
        {
            "staff": staff,
            "session": row,
            "account_email": email_service.mask_email(account.email) if account else "?",
            "messages": staff_handoff.transcript(db, row.sender_id),
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/assist/{session_id}")
def assist_chat_page(
    request: Request,
    staff: Staff,
    session_id: int,
    db: Db,
    settings: AppSettings,
) -> Response:
    return _assist_view(request, db, settings, staff, session_id)


@router.post("/assist/{session_id}/verify")
def assist_verify(
    request: Request,
    staff: FormStaff,
    session_id: int,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
    code: Annotated[str, Form()] = "",
) -> Response:
    try:
        staff_assist.verify(db, staff, session_id, code, clock())
    except staff_assist.AssistError as exc:
        return _assist_view(request, db, settings, staff, session_id, exc.message, exc.status)
    db.commit()
    return _redirect(f"/staff/assist/{session_id}")


@router.post("/assist/{session_id}/end")
def assist_end(
    request: Request,
    staff: FormStaff,
    session_id: int,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
) -> Response:
    try:
        staff_assist.end(db, staff, session_id, clock())
    except staff_assist.AssistError as exc:
        return _message(request, settings, staff, "Not found", exc.message, exc.status)
    db.commit()
    return _redirect("/staff/assist")


@router.post("/api/assist/{session_id}/messages")
async def assist_message(
    request: Request,
    staff: ApiStaff,
    session_id: int,
    db: Db,
    settings: AppSettings,
) -> Response:
    """One turn typed by the agent in the caller's conversation, through the hub as any turn."""
    try:
        row = staff_assist.get_for(db, session_id, staff)
    except staff_assist.AssistError as exc:
        return _json_error(exc.status, exc.code, exc.message)
    if row.verified_at is None or row.ended_at is not None:
        return _json_error(409, "not_verified", "verify the caller's code first")
    try:
        text = _json_body_text(await request.json())
    except ValueError:
        text = ""
    staff_assist.audit_turn(db, staff, row, text)
    db.commit()
    conversation = hub_service.get_conversation(db, row.sender_id, "assisted")
    rasa = get_rasa_client(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds)
    reply = await hub_service.handle_turn(
        db,
        rasa,
        sender_id=row.sender_id,
        channel="assisted",
        text=text,
        language_hint=conversation.language,
        max_chars=settings.chat_max_message_chars,
    )
    return JSONResponse(reply)


@router.post("/api/handoffs/{ticket_id}/{step}")
def handoff_step(
    staff: ApiStaff,
    ticket_id: int,
    step: str,
    db: Db,
    clock: NowClock,
) -> Response:
    try:
        if step == "assign":
            ticket = staff_handoff.assign(db, ticket_id, staff, clock())
        elif step == "close":
            ticket = staff_handoff.close(db, ticket_id, staff, clock())
        else:
            return _json_error(404, "not_found", "unknown step")
    except staff_handoff.TicketError as exc:
        db.rollback()
        return _json_error(exc.status, exc.code, str(exc))
    staff_audit.record(
        db, staff, f"handoff_{step}", subject=ticket.sender_id, detail={"ticket_id": ticket.id}
    )
    db.commit()
    return JSONResponse(staff_handoff.as_dict(ticket))
