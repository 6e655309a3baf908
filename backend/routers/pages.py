"""Web sign-in and the user's own account page (QRG 1 steps 5–7), plain server-rendered HTML."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import get_db
from backend.deps import Clock, get_app_settings, get_clock
from backend.domain.identifiers import mask_mykad
from backend.models import PortalAccount, PortalApplication
from backend.routers import html_pages
from backend.services import files, registration_account, web_auth
from backend.services.page_strings import LANGUAGES, say, strings
from backend.services.portal_applications import FILE_KIND
from backend.settings import REPO_ROOT, Settings

router = APIRouter(tags=["pages"], include_in_schema=False)
templates = Jinja2Templates(directory=str(REPO_ROOT / "backend" / "templates"))

Db = Annotated[Session, Depends(get_db)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
NowClock = Annotated[Clock, Depends(get_clock)]


LANG_COOKIE = "assist_lang"


def _language(request: Request) -> str:
    """?lang= wins (and is remembered), then the cookie, then the browser's first choice."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    accept = request.headers.get("accept-language", "").lower()
    return "ms" if accept.startswith(("ms", "my")) else "en"


def _render(
    request: Request,
    settings: Settings,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """Render in the user's language with a CSRF token (reused while it still verifies)."""
    lang = _language(request)
    response = html_pages.render_with_csrf(
        templates,
        request,
        settings,
        name,
        {"lang": lang, "t": strings(lang), **context},
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=html_pages.secure_cookies(settings),
        )
    return response


def _csrf_failed(request: Request, settings: Settings) -> HTMLResponse:
    lang = _language(request)
    return _render(
        request,
        settings,
        "message.html",
        {"heading": say(lang, "csrf_title"), "message": say(lang, "csrf_message")},
        status_code=400,
    )


def _current(request: Request, db: Session, settings: Settings) -> PortalAccount | None:
    return web_auth.account_from_session(db, settings, request.cookies.get(web_auth.SESSION_COOKIE))


_redirect = html_pages.redirect


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, db: Db, settings: AppSettings) -> Response:
    account = _current(request, db, settings)
    if account is not None:
        return _redirect("/login/new-password" if account.must_change_password else "/account")
    notice = (
        say(_language(request), "logged_out") if request.query_params.get("logged_out") else None
    )
    return _render(request, settings, "login.html", {"notice": notice})


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
    if not web_auth.csrf_ok(settings, request.cookies.get(web_auth.CSRF_COOKIE), csrf_token):
        return _csrf_failed(request, settings)
    outcome = web_auth.login(db, email, password, clock())
    if outcome.account is None:
        lang = _language(request)
        if outcome.error == "locked":
            message = say(lang, "locked", minutes=outcome.locked_minutes)
        else:
            message = say(lang, "bad_credentials")
            if outcome.tries_left == 1:
                message += " " + say(lang, "try_left")
            elif outcome.tries_left:
                message += " " + say(lang, "tries_left", n=outcome.tries_left)
        status = 423 if outcome.locked_seconds else 401
        response = _render(
            request, settings, "login.html", {"error": message, "email": email}, status
        )
        if outcome.locked_seconds:
            response.headers["Retry-After"] = str(outcome.locked_seconds)
        return response
    target = "/login/new-password" if outcome.account.must_change_password else "/account"
    response = _redirect(target)
    response.set_cookie(
        web_auth.SESSION_COOKIE,
        web_auth.session_value(settings, outcome.account),
        max_age=web_auth.SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=html_pages.secure_cookies(settings),
    )
    return response


@router.get("/login/new-password", response_class=HTMLResponse)
def new_password_page(request: Request, db: Db, settings: AppSettings) -> Response:
    account = _current(request, db, settings)
    if account is None:
        return _redirect("/login")
    if not account.must_change_password:
        return _redirect("/account")
    return _render(
        request,
        settings,
        "new_password.html",
        {
            "logged_in": True,
            "min_length": web_auth.MIN_PASSWORD_LENGTH,
            "terms_accepted": account.terms_accepted_at is not None,
        },
    )


@router.post("/login/new-password", response_class=HTMLResponse)
def new_password_submit(
    request: Request,
    db: Db,
    settings: AppSettings,
    clock: NowClock,
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
    agree: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if not web_auth.csrf_ok(settings, request.cookies.get(web_auth.CSRF_COOKIE), csrf_token):
        return _csrf_failed(request, settings)
    account = _current(request, db, settings)
    if account is None:
        return _redirect("/login")
    if not account.must_change_password:
        return _redirect("/account")
    errors = web_auth.change_password(
        db, account, new_password, confirm_password, agree == "yes", clock()
    )
    if errors:
        return _render(
            request,
            settings,
            "new_password.html",
            {
                "logged_in": True,
                "errors": [
                    say(_language(request), key, n=web_auth.MIN_PASSWORD_LENGTH) for key in errors
                ],
                "min_length": web_auth.MIN_PASSWORD_LENGTH,
                "terms_accepted": account.terms_accepted_at is not None,
            },
            status_code=422,
        )
    response = _redirect("/account?welcome=1")
    # The session is tied to the password hash, so issue a fresh one.
    response.set_cookie(
        web_auth.SESSION_COOKIE,
        web_auth.session_value(settings, account),
        max_age=web_auth.SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=html_pages.secure_cookies(settings),
    )
    return response


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, db: Db, settings: AppSettings) -> Response:
    account = _current(request, db, settings)
    if account is None:
        return _redirect("/login")
    if account.must_change_password:
        return _redirect("/login/new-password")
    rows = db.scalars(
        select(PortalApplication)
        .where(PortalApplication.account_id == account.id)
        .order_by(PortalApplication.id)
    )
    applications = [
        {
            "reference": row.reference,
            "created_at": row.created_at,
            "status": row.status,
            "url": files.file_url(settings, FILE_KIND, row.id),
        }
        for row in rows
    ]
    notice = say(_language(request), "welcome") if request.query_params.get("welcome") else None
    lang = _language(request)
    return _render(
        request,
        settings,
        "account.html",
        {
            "logged_in": True,
            "account": account,
            "mykad_masked": mask_mykad(account.mykad),
            "applications": applications,
            "notice": notice,
            "registrations": registration_account.account_registrations(
                db, settings, account.id, lang
            ),
            "rt": registration_account.strings(lang),
        },
    )


@router.post("/logout")
def logout(
    request: Request,
    settings: AppSettings,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if not web_auth.csrf_ok(settings, request.cookies.get(web_auth.CSRF_COOKIE), csrf_token):
        return _csrf_failed(request, settings)
    response = _redirect("/login?logged_out=1")
    response.delete_cookie(web_auth.SESSION_COOKIE)
    return response
