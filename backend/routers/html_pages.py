"""What every server-rendered page shares (the portal user's pages and the staff console).

Both kinds of page carry a CSRF token in their forms and show personal data, so the rules for
the token cookie and for caching live here once rather than in each router.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from backend.services import web_auth
from backend.settings import Settings


def secure_cookies(settings: Settings) -> bool:
    """Cookies are ``Secure`` whenever the public address is HTTPS (plain HTTP only in dev)."""
    return settings.assist_public_url.startswith("https://")


def redirect(url: str) -> RedirectResponse:
    """303, so that a form POST is followed by a GET (reloading never re-submits)."""
    return RedirectResponse(url, status_code=303)


def render_with_csrf(
    templates: Jinja2Templates,
    request: Request,
    settings: Settings,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``name`` with ``csrf_token`` for its forms, never cached.

    The token in the CSRF cookie is reused while it still verifies, so two open tabs keep
    working; otherwise a new one is issued and its cookie set (HttpOnly, SameSite=Strict).
    """
    token = web_auth.csrf_token_from_cookie(settings, request.cookies.get(web_auth.CSRF_COOKIE))
    cookie_value = None
    if token is None:
        token, cookie_value = web_auth.new_csrf(settings)
    response = templates.TemplateResponse(
        request, name, {"csrf_token": token, **context}, status_code=status_code
    )
    if cookie_value:
        response.set_cookie(
            web_auth.CSRF_COOKIE,
            cookie_value,
            max_age=web_auth.CSRF_MAX_AGE,
            httponly=True,
            samesite="strict",
            secure=secure_cookies(settings),
        )
    response.headers["Cache-Control"] = "no-store"
    return response
