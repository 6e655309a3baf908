"""QRG 3 through the API: search first, local and foreign employees, category and EIS."""

from __future__ import annotations

import pytest

from tests.backend.helpers import install_clock
from tests.backend.registration_helpers import (
    BASE,
    FOREIGN_EMPLOYEE,
    LOCAL_EMPLOYEE,
    create_company,
    headers,
    login_chat,
)


@pytest.fixture
def setup(client, backend_app, backend_settings, service_headers):  # type: ignore[no-untyped-def]
    install_clock(backend_app)  # today = 2026-01-05
    login_chat(backend_settings)
    hdrs = headers(service_headers)
    reg = create_company(client, hdrs)
    return hdrs, f"{BASE}/{reg['id']}/employees"


def test_local_employee_prefilled_from_mykad(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, url = setup
    res = client.get(
        f"{url}/search", params={"id_type": "mykad", "id_no": "900101145678"}, headers=hdrs
    )
    assert res.status_code == 200
    assert res.json() == {
        "found": False,
        "source": None,
        "prefill": {"date_of_birth": "1990-01-01", "gender": "female"},
    }
    res = client.post(url, json=LOCAL_EMPLOYEE, headers=hdrs)
    assert res.status_code == 201, res.text
    emp = res.json()
    assert emp["date_of_birth"] == "1990-01-01" and emp["gender"] == "female"
    assert emp["category"] == 1 and emp["eis_eligible"] is True
    assert "first category" in emp["coverage_note"] and emp["coverage_note"].endswith(".")
    assert emp["monthly_wage"] == "2950.00" and emp["status"] == "pending"
    assert emp["warnings"] == []
    # Found in this registration now, and a second copy is refused.
    res = client.get(
        f"{url}/search", params={"id_type": "mykad", "id_no": "900101-14-5678"}, headers=hdrs
    )
    assert res.json()["found"] and res.json()["source"] == "this_registration"
    assert client.post(url, json=LOCAL_EMPLOYEE, headers=hdrs).status_code == 409
    listing = client.get(url, headers=hdrs).json()["employees"]
    assert listing[0]["no"] == 1 and listing[0]["id_no_masked"] == "900101-**-***8"
    assert set(listing[0]) >= {
        "no",
        "id_type",
        "id_no_masked",
        "date_of_birth",
        "name",
        "gender",
        "status",
        "start_date",
    }
    assert "900101145678" not in str(listing)


def test_mykad_mismatch_needs_confirmation_then_is_flagged(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, url = setup
    body = {**LOCAL_EMPLOYEE, "date_of_birth": "1990-02-01", "gender": "female"}
    res = client.post(url, json=body, headers=hdrs)
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert detail["code"] == "invalid_date_of_birth" and detail["reason"] == "mykad_mismatch"
    assert detail["mykad_date_of_birth"] == "1990-01-01"
    res = client.post(url, json={**body, "confirm_mismatch": True}, headers=hdrs)
    assert res.status_code == 201
    emp = res.json()
    assert emp["date_of_birth"] == "1990-02-01"
    assert [f["code"] for f in emp["flags"]] == ["mykad_mismatch"]


@pytest.mark.parametrize(
    ("overrides", "code", "reason"),
    [
        ({"start_date": "2026-01-06"}, "invalid_start_date", "start_date_future"),
        ({"start_date": "2018-12-31"}, "invalid_start_date", "start_date_before_employer"),
        ({"monthly_wage": "abc"}, "invalid_monthly_wage", "money_not_a_number"),
        ({"monthly_wage": "0"}, "invalid_monthly_wage", "money_zero"),
        ({"id_no": "900101-00-5678"}, "invalid_id_no", "mykad_place"),
        ({"id_type": "old_ic", "id_no": "12345678"}, "invalid_id_no", "old_ic_format"),
        ({"id_type": "passport"}, "invalid_id_type", "id_type"),
        ({"name": "X"}, "invalid_name", "required"),
    ],
)
def test_local_employee_refusals(client, setup, overrides, code, reason) -> None:  # type: ignore[no-untyped-def]
    hdrs, url = setup
    res = client.post(url, json={**LOCAL_EMPLOYEE, **overrides}, headers=hdrs)
    assert res.status_code == 422, res.text
    assert res.json()["detail"]["code"] == code
    assert res.json()["detail"]["reason"] == reason


def test_late_registration_warning(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, url = setup
    res = client.post(url, json={**LOCAL_EMPLOYEE, "start_date": "2025-10-01"}, headers=hdrs)
    assert res.status_code == 201
    assert [w["code"] for w in res.json()["warnings"]] == ["late_registration"]


def test_other_local_id_types_need_dob_and_gender(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, url = setup
    body = {**LOCAL_EMPLOYEE, "id_type": "old_ic", "id_no": "A1234567"}
    res = client.post(url, json=body, headers=hdrs)
    assert res.status_code == 422 and res.json()["detail"]["code"] == "invalid_date_of_birth"
    body |= {"date_of_birth": "1958-03-01", "gender": "lelaki"}
    res = client.post(url, json=body, headers=hdrs)
    assert res.status_code == 201, res.text
    emp = res.json()
    assert emp["gender"] == "male" and emp["category"] == 2 and emp["eis_eligible"] is False
    assert "60 or older" in emp["coverage_note"]
    police = {
        **LOCAL_EMPLOYEE,
        "id_type": "police",
        "id_no": "RF12345",
        "date_of_birth": "1985-05-05",
        "gender": "male",
    }
    assert client.post(url, json=police, headers=hdrs).status_code == 201


def test_foreign_employee(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, url = setup
    res = client.get(
        f"{url}/search", params={"id_type": "ssfw", "id_no": "202600000001"}, headers=hdrs
    )
    assert res.json()["found"] is False
    res = client.post(url, json=FOREIGN_EMPLOYEE, headers=hdrs)
    assert res.status_code == 201, res.text
    emp = res.json()
    assert emp["residency"] == "foreign" and emp["id_type"] == "passport"
    assert emp["category"] == 1 and emp["eis_eligible"] is False
    assert "EIS does not cover foreign workers" in emp["coverage_note"]
    assert emp["nationality"] == "indonesian" and emp["id_no_masked"] == "B*****67"


@pytest.mark.parametrize(
    ("overrides", "code", "reason"),
    [
        (
            {"passport_end": "2025-12-31", "passport_start": "2016-01-01"},
            "invalid_passport_end",
            "passport_expired",
        ),
        ({"passport_end": "2021-01-01"}, "invalid_passport_end", "passport_dates"),
        ({"permit_end": "2025-11-30"}, "invalid_permit_end", "permit_dates"),
        ({"nationality": "Malaysian"}, "invalid_nationality", "nationality"),
        ({"passport_no": "??"}, "invalid_passport_no", "passport_format"),
        ({"kin_phone": "call me"}, "invalid_kin_phone", "phone_format"),
        ({"kin_name": ""}, "invalid_kin_name", "required"),
        ({"date_of_birth": None}, "invalid_date_of_birth", "required"),
    ],
)
def test_foreign_employee_refusals(client, setup, overrides, code, reason) -> None:  # type: ignore[no-untyped-def]
    hdrs, url = setup
    res = client.post(url, json={**FOREIGN_EMPLOYEE, **overrides}, headers=hdrs)
    assert res.status_code == 422, res.text
    assert res.json()["detail"]["code"] == code
    assert res.json()["detail"]["reason"] == reason


def test_bad_date_uses_contract_error_shape(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, url = setup
    res = client.post(url, json={**LOCAL_EMPLOYEE, "start_date": "15/12/2025"}, headers=hdrs)
    assert res.status_code == 422
    assert res.json()["detail"]["code"] == "invalid_start_date"


def test_remove_employee(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, url = setup
    emp = client.post(url, json=LOCAL_EMPLOYEE, headers=hdrs).json()
    assert client.delete(f"{url}/{emp['id']}", headers=hdrs).status_code == 204
    assert client.get(url, headers=hdrs).json()["employees"] == []
    assert client.delete(f"{url}/{emp['id']}", headers=hdrs).status_code == 404


def test_domestic_worker_of_foreign_employer_flagged(
    client,
    backend_app,
    backend_settings,  # type: ignore[no-untyped-def]
    service_headers,
) -> None:
    install_clock(backend_app)
    login_chat(backend_settings)
    hdrs = headers(service_headers)
    res = client.post(
        BASE,
        json={
            "registration_type": "domestic",
            "nationality": "Japanese",
            "registration_no": "TZ1234567",
        },
        headers=hdrs,
    )
    assert res.status_code == 201, res.text
    url = f"{BASE}/{res.json()['id']}/employees"
    res = client.post(url, json={**FOREIGN_EMPLOYEE, "worker_type": "regular"}, headers=hdrs)
    assert res.status_code == 422 and res.json()["detail"]["code"] == "invalid_worker_type"
    res = client.post(url, json=FOREIGN_EMPLOYEE, headers=hdrs)
    assert res.status_code == 201
    emp = res.json()
    assert emp["worker_type"] == "domestic" and emp["eis_eligible"] is False
    assert "foreign domestic worker" in emp["coverage_note"]
    assert [f["code"] for f in emp["flags"]] == ["outside_scheme"]
    reg = client.get(url.rsplit("/", 1)[0], headers=hdrs).json()
    assert [f["code"] for f in reg["flags"]] == ["outside_scheme"]
