"""QRG 3(ii): a foreign worker found by the SSFW search is linked as-is, not registered again."""

from __future__ import annotations

import pytest

from backend.db import get_sessionmaker
from backend.models import Employer
from tests.backend.helpers import install_clock
from tests.backend.registration_helpers import (
    BASE,
    FOREIGN_EMPLOYEE,
    create_company,
    headers,
    login_chat,
)

SSFW = "202600000001"


@pytest.fixture
def linked_setup(client, backend_app, backend_settings, service_headers):  # type: ignore[no-untyped-def]
    """A submitted registration holding the worker (with an SSFW number), and a new draft."""
    install_clock(backend_app)  # today = 2026-01-05
    login_chat(backend_settings)
    hdrs = headers(service_headers)
    first = create_company(client, hdrs)
    res = client.post(
        f"{BASE}/{first['id']}/employees",
        json={**FOREIGN_EMPLOYEE, "ssfw_no": SSFW},
        headers=hdrs,
    )
    assert res.status_code == 201, res.text
    with get_sessionmaker(backend_settings.database_url)() as db:
        db.get(Employer, first["id"]).status = "submitted"
        db.commit()
    second = create_company(client, hdrs, registration_no="202101000777")
    return hdrs, f"{BASE}/{second['id']}/employees"


def test_found_worker_is_linked_with_the_records_passport_and_permit(client, linked_setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, url = linked_setup
    found = client.get(f"{url}/search", params={"id_type": "ssfw", "id_no": SSFW}, headers=hdrs)
    assert found.json()["found"] is True and found.json()["source"] == "existing_records"
    res = client.post(
        url,
        json={
            "residency": "foreign",
            "ssfw_no": SSFW,
            "name": "Budi Santoso",
            "start_date": "2026-01-02",
            "monthly_wage": "1800",
        },
        headers=hdrs,
    )
    assert res.status_code == 201, res.text
    emp = res.json()
    assert emp["ssfw_no"] == SSFW and emp["id_type"] == "passport"
    assert emp["id_no_masked"] == "B*****67" and emp["nationality"] == "indonesian"
    assert emp["date_of_birth"] == "1992-04-02" and emp["gender"] == "male"
    assert emp["start_date"] == "2026-01-02" and emp["monthly_wage"] == "1800.00"
    assert emp["eis_eligible"] is False


def test_unknown_ssfw_without_passport_is_refused_with_the_reason(client, linked_setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, url = linked_setup
    res = client.post(
        url,
        json={
            "residency": "foreign",
            "ssfw_no": "202699999999",
            "name": "Somebody Else",
            "start_date": "2026-01-02",
            "monthly_wage": "1800",
        },
        headers=hdrs,
    )
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert detail["code"] == "invalid_ssfw_no" and detail["reason"] == "ssfw_not_found"
    assert "passport" in detail["message"]
