"""Public contribution quote: ``GET /api/v1/rates/quote`` (no login, see DESIGN.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query

from backend.domain.money import MoneyError, parse_ringgit
from backend.domain.rates import QuoteError, WorkerFacts, quote
from backend.errors import ApiError

router = APIRouter(prefix="/api/v1/rates", tags=["rates"])


def _bad(field: str, why: str) -> ApiError:
    return ApiError(422, f"invalid_{field}", f"{field}: {why}")


def _parse_month(text: str | None) -> tuple[int, int]:
    why = "must be the contribution month as YYYY-MM, e.g. 2025-01"
    if not text:
        raise _bad("month", "is required; " + why)
    parts = text.strip().split("-")
    if len(parts) != 2 or len(parts[0]) != 4 or len(parts[1]) != 2:
        raise _bad("month", why)
    try:
        year, month = int(parts[0]), int(parts[1])
        date(year, month, 1)
    except ValueError as exc:
        raise _bad("month", why) from exc
    return year, month


def _parse_date(field: str, text: str | None) -> date | None:
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise _bad(field, "must be a real date as YYYY-MM-DD, e.g. 1990-05-31") from exc


@router.get("/quote")
def get_quote(
    wage: str | None = Query(None, description="Monthly wage in RM, e.g. 2950.00"),
    month: str | None = Query(None, description="Contribution month, YYYY-MM"),
    category: str | None = Query(None, description="1 or 2 (or give the worker's facts)"),
    date_of_birth: str | None = Query(None),
    residency: str | None = Query(None, description="local or foreign"),
    worker_type: str | None = Query(None, description="regular or domestic"),
    first_contribution_date: str | None = Query(None),
) -> dict[str, Any]:
    """Fixed band amounts for SOCSO, EIS and SKBBK in force in that month."""
    wage_why = "must be a number of ringgit with at most two decimals, e.g. 2950.00"
    if not wage:
        raise _bad("wage", "is required; " + wage_why)
    try:
        wage_value = parse_ringgit(wage)
    except MoneyError as exc:
        raise _bad("wage", wage_why) from exc
    year_month = _parse_month(month)
    dob = _parse_date("date_of_birth", date_of_birth)
    first = _parse_date("first_contribution_date", first_contribution_date)
    cat: int | None = None
    if category not in (None, ""):
        if category.strip() not in ("1", "2"):
            raise _bad("category", "must be 1 or 2")
        cat = int(category.strip())
    if cat is not None and dob is not None:
        raise _bad("category", "give either category or the worker's date_of_birth, not both")
    if cat is None and dob is None:
        raise _bad("category", "give category (1 or 2) or the worker's date_of_birth")
    facts = None
    if dob is not None:
        res = (residency or "local").strip().lower()
        kind = (worker_type or "regular").strip().lower()
        if res not in ("local", "foreign"):
            raise _bad("residency", "must be local (citizen or permanent resident) or foreign")
        if kind not in ("regular", "domestic"):
            raise _bad("worker_type", "must be regular or domestic")
        if first is not None and first < dob:
            raise _bad("first_contribution_date", "must be after the date of birth")
        facts = WorkerFacts(
            date_of_birth=dob,
            residency=res,  # type: ignore[arg-type]
            worker_type=kind,  # type: ignore[arg-type]
            first_contribution_date=first,
        )
    try:
        result = quote(wage_value, year_month, category=cat, facts=facts)
    except QuoteError as exc:
        raise ApiError(422, exc.code, exc.message) from exc
    return result.to_dict()
