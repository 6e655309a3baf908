"""HTTP client for the backend's service API (see docs/architecture.md).

The action server never touches the database: every state change goes through these calls.
Tests inject an ``httpx.MockTransport`` with :func:`configure`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import httpx

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
# A write (POST/PUT/DELETE) given up half-way is worse than a slow one: the backend finishes it
# while the user hears "unavailable", and "Try again" then meets its own result (a portal ID
# application answered "account exists"). Under a burst (100 users confirming at once:
# bench/load.py) a portal ID application — argon2, the PDF, the email — took longer than 10 s.
# Writes wait up to 25 s, inside the hub's 30 s wait for Rasa's whole turn.
WRITE_TIMEOUT = 25.0
# 401/403 codes about the user's account (not the service token): the bot words a reply.
ACCOUNT_CODES = frozenset({"not_logged_in", "terms_not_accepted"})


class BackendUnavailable(Exception):
    """The backend could not be reached or failed (connection error, timeout, 5xx, bad auth)."""


@dataclass
class BackendError(Exception):
    """The backend answered with a 4xx and a machine ``code`` (``{"detail": {"code": ...}}``)."""

    status: int
    code: str
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:  # pragma: no cover - debugging aid
        return f"{self.status} {self.code}: {self.message}"


class BackendClient:
    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = (
            base_url or os.environ.get("ASSIST_BACKEND_URL") or "http://127.0.0.1:8000"
        ).rstrip("/")
        self.token = token if token is not None else os.environ.get("ASSIST_SERVICE_TOKEN", "")
        self.transport = transport
        self.timeout = timeout

    def _client(self, timeout: float) -> httpx.AsyncClient:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            transport=self.transport,
        )

    def timeout_for(self, method: str) -> float:
        if method.upper() == "GET" or self.timeout != DEFAULT_TIMEOUT:
            return self.timeout
        return WRITE_TIMEOUT

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            async with self._client(self.timeout_for(method)) as client:
                response = await client.request(
                    method, path, json=json, params=params, headers=headers
                )
        except httpx.HTTPError as exc:
            logger.warning("backend %s %s unreachable: %s", method, path, type(exc).__name__)
            raise BackendUnavailable(str(exc)) from exc
        if response.status_code in (401, 403):
            error = _error_from(response)
            if error.code in ACCOUNT_CODES:
                raise error  # the chat is not logged in, or the terms are not accepted
            logger.warning("backend %s %s answered %s", method, path, response.status_code)
            raise BackendUnavailable(f"HTTP {response.status_code}")
        if response.status_code >= 500:
            logger.warning("backend %s %s answered %s", method, path, response.status_code)
            raise BackendUnavailable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise _error_from(response)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            body = response.json()
        except ValueError as exc:
            raise BackendUnavailable("backend answered with something that is not JSON") from exc
        return body if isinstance(body, dict) else {"data": body}

    # -- portal ID (QRG 1) ------------------------------------------------------------------
    async def create_portal_application(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.request("POST", "/api/v1/portal-applications", json=payload)

    # -- login ------------------------------------------------------------------------------
    async def request_otp(self, sender_id: str, email: str, language: str) -> dict[str, Any]:
        return await self.request(
            "POST",
            "/api/v1/auth/otp",
            json={"sender_id": sender_id, "email": email, "language": language},
        )

    async def verify_otp(self, sender_id: str, email: str, code: str) -> dict[str, Any]:
        return await self.request(
            "POST",
            "/api/v1/auth/otp/verify",
            json={"sender_id": sender_id, "email": email, "code": code},
        )

    async def accept_terms(self, sender_id: str) -> dict[str, Any]:
        return await self.request("POST", "/api/v1/auth/terms", json={"sender_id": sender_id})

    # -- rates (public) ---------------------------------------------------------------------
    async def rate_quote(self, wage: str, month: str, category: int = 1) -> dict[str, Any]:
        return await self.request(
            "GET",
            "/api/v1/rates/quote",
            params={"wage": wage, "month": month, "category": category},
        )

    # -- registration (QRG 2–4): the chat's sender id names the logged-in account ----------------
    async def registration_call(
        self,
        sender_id: str,
        method: str,
        path: str = "",
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return await self.request(
            method,
            f"/api/v1/registrations{path}",
            json=json,
            params=params,
            headers={"X-Sender-Id": sender_id},
        )

    async def list_registrations(self, sender_id: str) -> dict[str, Any]:
        return await self.registration_call(sender_id, "GET")

    async def get_registration(self, sender_id: str, registration_id: int) -> dict[str, Any]:
        return await self.registration_call(sender_id, "GET", f"/{registration_id}")

    async def create_registration(self, sender_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.registration_call(sender_id, "POST", json=payload)

    async def update_registration(
        self, sender_id: str, registration_id: int, fields: dict[str, Any]
    ) -> dict[str, Any]:
        return await self.registration_call(sender_id, "PATCH", f"/{registration_id}", fields)

    async def search_employee(
        self, sender_id: str, registration_id: int, id_type: str, id_no: str
    ) -> dict[str, Any]:
        return await self.registration_call(
            sender_id,
            "GET",
            f"/{registration_id}/employees/search",
            params={"id_type": id_type, "id_no": id_no},
        )

    async def add_employee(
        self, sender_id: str, registration_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return await self.registration_call(
            sender_id, "POST", f"/{registration_id}/employees", payload
        )

    async def list_employees(self, sender_id: str, registration_id: int) -> dict[str, Any]:
        return await self.registration_call(sender_id, "GET", f"/{registration_id}/employees")


def _error_from(response: httpx.Response) -> BackendError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        data = {k: v for k, v in detail.items() if k not in ("code", "message")}
        # Some endpoints put extra fields (tries_left, retry_after_seconds) beside detail.
        data.update({k: v for k, v in body.items() if k != "detail"})
        code = str(detail.get("code", "error"))
        return BackendError(response.status_code, code, str(detail.get("message", "")), data)
    if isinstance(detail, list):  # FastAPI's own validation errors
        return BackendError(response.status_code, "validation_error", str(detail), {})
    return BackendError(response.status_code, "error", str(detail or ""), {})


_transport: httpx.AsyncBaseTransport | None = None
_base_url: str | None = None
_token: str | None = None


def configure(
    transport: httpx.AsyncBaseTransport | None = None,
    base_url: str | None = None,
    token: str | None = None,
) -> None:
    """Point every later :func:`backend` call at a transport (tests) or another URL."""
    global _transport, _base_url, _token
    _transport, _base_url, _token = transport, base_url, token


def backend() -> BackendClient:
    return BackendClient(base_url=_base_url, token=_token, transport=_transport)


# -- contributions and payments (QRG 5-8, issue 4): sender_id in the query or the body ----------
# Added as module functions so the class above stays as it is; each takes the client.


async def contribution_pending(
    client: BackendClient, sender_id: str, employer_id: int
) -> dict[str, Any]:
    return await client.request(
        "GET",
        "/api/v1/contributions/pending",
        params={"sender_id": sender_id, "employer_id": employer_id},
    )


async def list_contributions(
    client: BackendClient, sender_id: str, employer_id: int, **filters: Any
) -> dict[str, Any]:
    params = {"sender_id": sender_id, "employer_id": employer_id}
    params.update({k: v for k, v in filters.items() if v is not None})
    return await client.request("GET", "/api/v1/contributions", params=params)


async def create_contribution(
    client: BackendClient, sender_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    return await client.request(
        "POST", "/api/v1/contributions", json={"sender_id": sender_id, **payload}
    )


async def update_contribution_lines(
    client: BackendClient, sender_id: str, contribution_id: int, lines: list[dict[str, Any]]
) -> dict[str, Any]:
    return await client.request(
        "PUT",
        f"/api/v1/contributions/{contribution_id}/lines",
        json={"sender_id": sender_id, "lines": lines},
    )


async def complete_contribution(
    client: BackendClient, sender_id: str, contribution_id: int
) -> dict[str, Any]:
    return await client.request(
        "POST", f"/api/v1/contributions/{contribution_id}/complete", json={"sender_id": sender_id}
    )


async def submit_contribution(
    client: BackendClient, sender_id: str, contribution_id: int
) -> dict[str, Any]:
    return await client.request(
        "POST", f"/api/v1/contributions/{contribution_id}/submit", json={"sender_id": sender_id}
    )


async def contribution_textfile_link(
    client: BackendClient, sender_id: str, employer_id: int, month: str
) -> dict[str, Any]:
    return await client.request(
        "POST",
        "/api/v1/contributions/textfile-link",
        json={"sender_id": sender_id, "employer_id": employer_id, "month": month},
    )


async def contribution_slips(
    client: BackendClient, sender_id: str, contribution_id: int
) -> dict[str, Any]:
    return await client.request(
        "GET",
        f"/api/v1/contributions/{contribution_id}/slips",
        params={"sender_id": sender_id},
    )


async def deadline(
    client: BackendClient, month: str, amount: str | None = None, paid_on: str | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {"month": month}
    if amount is not None and paid_on is not None:
        params.update({"amount": amount, "paid_on": paid_on})
    return await client.request("GET", "/api/v1/deadlines", params=params)


async def create_payment(
    client: BackendClient, sender_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    return await client.request(
        "POST", "/api/v1/payments", json={"sender_id": sender_id, **payload}
    )


async def get_payment(client: BackendClient, sender_id: str, payment_id: int) -> dict[str, Any]:
    return await client.request(
        "GET", f"/api/v1/payments/{payment_id}", params={"sender_id": sender_id}
    )


async def latest_payment(client: BackendClient, sender_id: str) -> dict[str, Any]:
    return await client.request("GET", "/api/v1/payments/latest", params={"sender_id": sender_id})


async def import_contribution_upload(
    client: BackendClient, sender_id: str, upload_id: int, skip_bad_lines: bool = True
) -> dict[str, Any]:
    return await client.request(
        "POST",
        f"/api/v1/contributions/uploads/{upload_id}/import",
        json={"sender_id": sender_id, "skip_bad_lines": skip_bad_lines},
    )
