"""Registration catalogues kept as data (``backend/data/registration/``); public, no login."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from backend.domain import registration as rules
from backend.errors import ApiError

router = APIRouter(prefix="/api/v1/catalogue", tags=["catalogue"])


@router.get("/business-entities")
def business_entities(
    registration_type: Annotated[str | None, Query(description="employer or domestic")] = None,
) -> dict[str, Any]:
    """Business entity → sub-business entity → sub-business-entity list (cascading choices)."""
    rows = rules.business_entities()
    if registration_type:
        rows = [row for row in rows if row["registration_type"] == registration_type]
    return {"entities": rows}


@router.get("/industries")
def industries(q: Annotated[str | None, Query(description="words to search")] = None) -> dict:  # type: ignore[type-arg]
    """MSIC 2008 sections A–U; ``q`` matches code, English or Malay name and keywords."""
    return {
        "industries": [
            {"code": row["code"], "name_en": row["name_en"], "name_ms": row["name_ms"]}
            for row in rules.search_industries(q)
        ]
    }


@router.get("/states")
def states() -> dict[str, Any]:
    return {"states": rules.states()}


@router.get("/postcodes/{postcode}")
def postcode(postcode: str) -> dict[str, Any]:
    try:
        state = rules.state_for_postcode(postcode)
    except rules.RegistrationError as exc:
        raise ApiError(
            422, "invalid_postcode", f"postcode: {exc.message}", reason=exc.code
        ) from exc
    return {"postcode": postcode, "state": state, "state_name": rules.state_name(state)}


@router.get("/offices")
def offices(state: Annotated[str | None, Query(description="state code")] = None) -> dict:  # type: ignore[type-arg]
    """PERKESO offices (induction venues), optionally of one state."""
    return {"offices": rules.offices(state)}


@router.get("/documents")
def documents(
    group: Annotated[
        str, Query(description="company, business, society, cooperative, others or domestic")
    ] = "company",
) -> dict[str, Any]:
    try:
        return {"group": group, "checklist": rules.checklist(group)}
    except KeyError as exc:
        raise ApiError(422, "invalid_group", "group: unknown registration type") from exc


@router.get("/domestic-worker-types")
def domestic_worker_types() -> dict[str, Any]:
    return {"types": rules.rules()["domestic_worker_types"]}
