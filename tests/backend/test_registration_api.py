"""Registration drafts through the API: who may call, catalogues, fields, duplicates, discard."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from backend.db import alembic_config, get_engine, get_sessionmaker, upgrade_database
from backend.models import Employer
from backend.settings import Settings
from tests.backend.helpers import install_clock
from tests.backend.registration_helpers import (
    BASE,
    COMPANY,
    OTHER_SENDER,
    SENDER,
    create_company,
    headers,
    login_chat,
    small_pdf,
    upload,
)
from tests.postgres import fresh_database

REGISTRATION_TABLES = {"employers", "employees", "registration_documents", "registration_letters"}


@pytest.fixture
def hdrs(client, backend_app, backend_settings, service_headers):  # type: ignore[no-untyped-def]
    install_clock(backend_app)
    login_chat(backend_settings)
    return headers(service_headers)


# --------------------------------------------------------------------------- who may call


def test_service_token_required(client) -> None:  # type: ignore[no-untyped-def]
    res = client.post(BASE, json={"registration_type": "employer"}, headers={"X-Sender-Id": "x"})
    assert res.status_code == 401 and res.json()["detail"]["code"] == "unauthorized"
    assert client.get(f"{BASE}/1", headers={"X-Sender-Id": "x"}).status_code == 401


def test_sender_must_be_logged_in(client, service_headers, backend_settings) -> None:  # type: ignore[no-untyped-def]
    res = client.post(BASE, json={"registration_type": "employer"}, headers=service_headers)
    assert res.status_code == 401 and res.json()["detail"]["code"] == "not_logged_in"
    res = client.get(BASE, headers=headers(service_headers, "web-nobody"))
    assert res.status_code == 401 and res.json()["detail"]["code"] == "not_logged_in"
    login_chat(backend_settings, sender="web-no-terms", email="n@example.com", terms=False)
    res = client.get(BASE, headers=headers(service_headers, "web-no-terms"))
    assert res.status_code == 403 and res.json()["detail"]["code"] == "terms_not_accepted"


def test_account_id_from_caller_is_ignored(client, hdrs) -> None:  # type: ignore[no-untyped-def]
    res = client.post(BASE, json={"registration_type": "employer", "account_id": 99}, headers=hdrs)
    assert res.status_code == 422  # unknown fields are refused, never used


def test_sender_id_as_query_parameter(client, hdrs, service_headers) -> None:  # type: ignore[no-untyped-def]
    res = client.get(f"{BASE}?sender_id={SENDER}", headers=service_headers)
    assert res.status_code == 200 and res.json() == {"registrations": []}


def test_other_accounts_registration_is_404(  # type: ignore[no-untyped-def]
    client, hdrs, service_headers, backend_settings
) -> None:
    reg = create_company(client, hdrs)
    login_chat(backend_settings, sender=OTHER_SENDER, email="other@example.com")
    other = headers(service_headers, OTHER_SENDER)
    rid = reg["id"]
    for method, path in (
        ("get", f"{BASE}/{rid}"),
        ("patch", f"{BASE}/{rid}"),
        ("delete", f"{BASE}/{rid}"),
        ("get", f"{BASE}/{rid}/employees"),
        ("get", f"{BASE}/{rid}/employees/search?id_type=mykad&id_no=900101145678"),
        ("get", f"{BASE}/{rid}/documents"),
        ("get", f"{BASE}/{rid}/forms"),
        ("post", f"{BASE}/{rid}/upload-link"),
        ("post", f"{BASE}/{rid}/submit"),
    ):
        kwargs = {"json": {"city": "Ipoh"}} if method == "patch" else {}
        res = getattr(client, method)(path, headers=other, **kwargs)
        assert res.status_code == 404, (method, path, res.text)
        assert res.json()["detail"]["code"] == "not_found"
    assert client.get(f"{BASE}/99999", headers=hdrs).status_code == 404
    assert client.get(BASE, headers=other).json() == {"registrations": []}
    # Logging out of the chat ends access.
    client.post(f"/api/v1/conversations/{SENDER}/logout", headers=service_headers)
    assert client.get(f"{BASE}/{rid}", headers=hdrs).status_code == 401


# --------------------------------------------------------------------------- catalogues


def test_catalogues_are_public(client) -> None:  # type: ignore[no-untyped-def]
    entities = client.get("/api/v1/catalogue/business-entities").json()["entities"]
    sdn = next(e for e in entities if e["code"] == "sdn_bhd")
    assert sdn["sub_entities"][0]["items"], "cascading sub-entity lists"
    domestic = client.get("/api/v1/catalogue/business-entities?registration_type=domestic")
    assert [e["code"] for e in domestic.json()["entities"]] == ["domestic_individual"]
    found = client.get("/api/v1/catalogue/industries", params={"q": "restaurant"}).json()
    assert [row["code"] for row in found["industries"]] == ["I"]
    assert len(client.get("/api/v1/catalogue/industries").json()["industries"]) == 21
    assert client.get("/api/v1/catalogue/postcodes/50450").json()["state"] == "kuala_lumpur"
    res = client.get("/api/v1/catalogue/postcodes/00001")
    assert res.status_code == 422 and res.json()["detail"]["code"] == "invalid_postcode"
    offices = client.get("/api/v1/catalogue/offices?state=selangor").json()["offices"]
    assert any(o["kind"] == "state" and o["address"] for o in offices)
    checklist = client.get("/api/v1/catalogue/documents?group=domestic").json()["checklist"]
    assert [i["doc_type"] for i in checklist if i["mandatory"]] == ["owner_id", "borang_ds"]
    assert len(client.get("/api/v1/catalogue/states").json()["states"]) == 16


# --------------------------------------------------------------------------- drafts


def test_draft_field_by_field(client, hdrs) -> None:  # type: ignore[no-untyped-def]
    res = client.post(BASE, json={"registration_type": "employer", "language": "ms"}, headers=hdrs)
    assert res.status_code == 201, res.text
    reg = res.json()
    assert reg["reference"].startswith("CRN") and len(reg["reference"]) == 17
    assert reg["reference"][3:].isdigit() and reg["status"] == "draft"
    assert reg["missing_fields"][0] == "business_entity"
    rid = reg["id"]

    def patch(**fields):  # type: ignore[no-untyped-def]
        return client.patch(f"{BASE}/{rid}", json=fields, headers=hdrs)

    res = patch(registration_no="201901012345")
    assert res.status_code == 422
    assert res.json()["detail"]["reason"] == "business_entity_first"
    for field in ("business_entity", "sub_entity", "sub_entity_item", "registration_no"):
        res = patch(**{field: COMPANY[field]})
        assert res.status_code == 200, res.text
    assert res.json()["missing_fields"][0] == "employer_name"
    # The business entity decides the TT digits.
    res = patch(registration_no="202003123456")
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert detail["code"] == "invalid_registration_no"
    assert detail["reason"] == "ssm_type_mismatch"
    assert res.json()["detail"]["message"].startswith("registration_no:")
    # Postcode sets the state; a state that disagrees is refused.
    res = patch(postcode="50450")
    assert res.json()["state"] == "kuala_lumpur"
    res = patch(state="Selangor")
    assert res.status_code == 422 and res.json()["detail"]["reason"] == "postcode_state_mismatch"
    res = patch(postcode="40000", state="Johor")
    assert res.status_code == 422 and res.json()["detail"]["reason"] == "postcode_state_mismatch"
    res = patch(postcode="40000", state="Selangor")
    assert res.status_code == 200 and res.json()["state"] == "selangor"
    assert patch(phone="03-5544 3322").json()["phone"] == "+60355443322"
    assert patch(phone="12345").json()["detail"]["reason"] == "phone_format"
    assert patch(industry_code="z").status_code == 422
    assert patch(induction_office="nowhere").status_code == 422
    assert patch(email="nope").status_code == 422
    # Changing the entity clears what depended on it (the number's TT may no longer fit).
    res = patch(business_entity="sole_proprietorship")
    assert res.json()["sub_entity"] is None and res.json()["registration_no"] is None
    # Nothing half-saved is lost: the draft reads back as left.
    again = client.get(f"{BASE}/{rid}", headers=hdrs).json()
    assert again["postcode"] == "40000" and again["language"] == "ms"
    listed = client.get(BASE, headers=hdrs).json()["registrations"]
    assert [r["id"] for r in listed] == [rid]


def test_unknown_fields_refused(client, hdrs) -> None:  # type: ignore[no-untyped-def]
    reg = create_company(client, hdrs)
    res = client.patch(f"{BASE}/{reg['id']}", json={"colour": "red"}, headers=hdrs)
    assert res.status_code == 422
    res = client.patch(f"{BASE}/{reg['id']}", json={"nationality": "malaysian"}, headers=hdrs)
    assert res.status_code == 422 and res.json()["detail"]["code"] == "invalid_nationality"


def test_discard(client, hdrs, backend_settings) -> None:  # type: ignore[no-untyped-def]
    reg = create_company(client, hdrs)
    assert client.delete(f"{BASE}/{reg['id']}", headers=hdrs).status_code == 204
    assert client.get(f"{BASE}/{reg['id']}", headers=hdrs).status_code == 404
    with get_sessionmaker(backend_settings.database_url)() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(Employer)) == 0
    # The same number can be used again after discarding.
    create_company(client, hdrs)


def test_duplicate_draft_same_account_409(client, hdrs) -> None:  # type: ignore[no-untyped-def]
    first = create_company(client, hdrs)
    res = client.post(BASE, json={"registration_type": "employer", **COMPANY}, headers=hdrs)
    assert res.status_code == 409
    detail = res.json()["detail"]
    assert detail["code"] == "draft_exists" and detail["registration_id"] == first["id"]
    assert "continue" in detail["message"]


def test_duplicate_of_registered_employer_409(  # type: ignore[no-untyped-def]
    client, hdrs, service_headers, backend_settings
) -> None:
    reg = create_company(client, hdrs)
    with get_sessionmaker(backend_settings.database_url)() as db:
        row = db.get(Employer, reg["id"])
        row.status, row.employer_code = "submitted", "E1400000001Y"
        db.commit()
    # The same account: told its existing code.
    res = client.post(BASE, json={"registration_type": "employer", **COMPANY}, headers=hdrs)
    assert res.status_code == 409
    detail = res.json()["detail"]
    assert detail["code"] == "employer_exists" and detail["employer_code"] == "E1400000001Y"
    # Another account: told it is registered and whom to ask, without the code.
    login_chat(backend_settings, sender=OTHER_SENDER, email="other@example.com")
    other = headers(service_headers, OTHER_SENDER)
    body = {"registration_type": "employer", **COMPANY, "registration_no": "2019-01-012345"}
    res = client.post(BASE, json=body, headers=other)
    assert res.status_code == 409
    detail = res.json()["detail"]
    assert detail["code"] == "employer_exists" and "employer_code" not in detail
    assert "cannot be registered twice" in detail["message"]
    # A submitted registration cannot be changed or discarded.
    res = client.patch(f"{BASE}/{reg['id']}", json={"city": "Ipoh"}, headers=hdrs)
    assert res.status_code == 409 and res.json()["detail"]["code"] == "already_submitted"
    assert client.delete(f"{BASE}/{reg['id']}", headers=hdrs).status_code == 409


def test_old_format_number(client, hdrs) -> None:  # type: ignore[no-untyped-def]
    reg = create_company(client, hdrs, registration_no="1312525-A")
    assert reg["registration_no"] == "1312525-A" and reg["registration_no_format"] == "old"


# --------------------------------------------------------------------------- domestic (QRG 2b)


def test_domestic_registration(client, hdrs) -> None:  # type: ignore[no-untyped-def]
    res = client.post(
        BASE,
        json={"registration_type": "domestic", "business_entity": "sdn_bhd"},
        headers=hdrs,
    )
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert detail["reason"] == "domestic_employer_must_be_individual"
    assert "individual" in detail["message"]

    res = client.post(BASE, json={"registration_type": "domestic"}, headers=hdrs)
    assert res.status_code == 201
    reg = res.json()
    assert reg["business_entity"] == "domestic_individual"
    assert reg["missing_fields"][0] == "nationality"
    assert "industry_code" not in reg["missing_fields"]
    rid = reg["id"]

    def patch(**fields):  # type: ignore[no-untyped-def]
        return client.patch(f"{BASE}/{rid}", json=fields, headers=hdrs)

    assert patch(business_entity="sdn_bhd").status_code == 422
    assert patch(industry_code="G").status_code == 422
    res = patch(nationality="Malaysian", registration_no="850315-10-5123")
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["owner_id_type"] == "mykad" and body["registration_no"] == "850315-**-***3"
    assert patch(registration_no="12345").json()["detail"]["reason"] == "mykad_length"
    res = patch(domestic_worker_type="housemaid", domestic_worker_residency="foreign")
    assert res.json()["flags"] == []

    # A foreign employer of a foreign domestic worker is flagged (unconfirmed rule).
    res = patch(nationality="British", registration_no="123456789")
    assert res.status_code == 200, res.text
    assert res.json()["owner_id_type"] == "passport"
    assert [f["code"] for f in res.json()["flags"]] == ["outside_scheme"]


# --------------------------------------------------------------------------- migrations


def test_migrations_up_down_up_sqlite(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_database(url)
    assert REGISTRATION_TABLES <= set(sa.inspect(get_engine(url)).get_table_names())
    command.downgrade(alembic_config(url), "0001")
    assert not REGISTRATION_TABLES & set(sa.inspect(get_engine(url)).get_table_names())
    upgrade_database(url)
    assert REGISTRATION_TABLES <= set(sa.inspect(get_engine(url)).get_table_names())


@pytest.mark.postgres
def test_postgres_registration_round_trip(tmp_path: Path) -> None:
    from alembic import command

    with fresh_database("assist_test") as url:
        upgrade_database(url)
        assert REGISTRATION_TABLES <= set(sa.inspect(get_engine(url)).get_table_names())
        from backend.main import create_app

        settings = Settings(
            database_url=url,
            assist_secret_key="k",
            assist_service_token="pg-token",
            assist_public_url="http://testserver",
            outbox_dir=tmp_path / "outbox",
            documents_dir=tmp_path / "docs",
        )
        login_chat(settings)
        with TestClient(create_app(settings)) as client:
            hdrs = {"Authorization": "Bearer pg-token", "X-Sender-Id": SENDER}
            reg = create_company(client, hdrs)
            res = client.post(
                f"{BASE}/{reg['id']}/employees",
                json={
                    "id_type": "mykad",
                    "id_no": "900101-14-5678",
                    "name": "Siti binti Ahmad",
                    "start_date": reg["created_at"][:10],
                    "monthly_wage": "2950.00",
                },
                headers=hdrs,
            )
            assert res.status_code == 201, res.text
            assert res.json()["monthly_wage"] == "2950.00"
            for doc_type in ("ssm_extract", "borang_1", "borang_2", "borang_sip_1"):
                assert upload(client, hdrs, reg["id"], doc_type, small_pdf()).status_code == 201
            res = client.post(f"{BASE}/{reg['id']}/submit", headers=hdrs)
            assert res.status_code == 200, res.text
            assert res.json()["employer_code"].startswith("E14")
            res = client.post(BASE, json={"registration_type": "employer", **COMPANY}, headers=hdrs)
            assert res.status_code == 409 and res.json()["detail"]["code"] == "employer_exists"
            draft = create_company(client, hdrs, registration_no="202101000777")
            assert client.delete(f"{BASE}/{draft['id']}", headers=hdrs).status_code == 204
        get_engine(url).dispose()
        command.downgrade(alembic_config(url), "0001")
        assert not REGISTRATION_TABLES & set(sa.inspect(get_engine(url)).get_table_names())


def test_one_registered_employer_per_number_in_the_database(hdrs, client, backend_settings) -> None:  # type: ignore[no-untyped-def]
    """Even if two submissions race past the service check, the partial unique index holds."""
    first = create_company(client, hdrs)
    with get_sessionmaker(backend_settings.database_url)() as db:
        row = db.get(Employer, first["id"])
        row.status = "submitted"
        twin = Employer(
            reference="CRN01202699999999",
            account_id=row.account_id,
            registration_type="employer",
            status="draft",
            registration_no=row.registration_no,
            flags=[],
        )
        db.add(twin)
        db.commit()  # a second draft with the number is fine
        twin.status = "submitted"
        with pytest.raises(sa.exc.IntegrityError):
            db.commit()


def test_openapi_lists_registration_paths(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/catalogue/business-entities",
        "/api/v1/catalogue/industries",
        "/api/v1/catalogue/offices",
        "/api/v1/registrations",
        "/api/v1/registrations/{registration_id}",
        "/api/v1/registrations/{registration_id}/employees",
        "/api/v1/registrations/{registration_id}/employees/search",
        "/api/v1/registrations/{registration_id}/documents",
        "/api/v1/registrations/{registration_id}/upload-link",
        "/api/v1/registrations/{registration_id}/forms",
        "/api/v1/registrations/{registration_id}/submit",
    ):
        assert path in paths, path
