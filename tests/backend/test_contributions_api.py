"""Contributions through the service API: draft → complete → submit, duplicates, pending months,
imports (text file, CSV), the v2.0 text file, slips, and another account's employer → 404."""

from __future__ import annotations

import io
from datetime import datetime
from urllib.parse import urlsplit

from pypdf import PdfReader

from backend.domain.textfile import Record, format_combined, parse_text_file
from tests.backend.contribution_helpers import EMPLOYER_CODE, seed
from tests.backend.helpers import install_clock

URL = "/api/v1/contributions"
SENDER = "web-boss"


def setup(client, backend_app, backend_settings):  # type: ignore[no-untyped-def]
    ids = seed(backend_settings)
    clock = install_clock(backend_app)
    clock.now = datetime(2026, 11, 10, 2, 0)  # 10:00 in Kuala Lumpur
    return ids, clock


def draft(client, headers, employer_id, **kw):  # type: ignore[no-untyped-def]
    body = {"sender_id": SENDER, "employer_id": employer_id, "month": "2026-10", **kw}
    return client.post(URL, json=body, headers=headers)


def test_requires_token_and_login(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    ids, _ = setup(client, backend_app, backend_settings)
    assert draft(client, {}, ids["employer_id"]).status_code == 401
    res = client.post(
        URL,
        json={"sender_id": "web-nobody", "employer_id": ids["employer_id"], "month": "2026-10"},
        headers=service_headers,
    )
    assert res.status_code == 401 and res.json()["detail"]["code"] == "not_logged_in"


def test_other_accounts_employer_is_404(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    ids, _ = setup(client, backend_app, backend_settings)
    seed(backend_settings, email="other@example.com", sender_id="web-other", code="A3702171474Y")
    res = client.post(
        URL,
        json={"sender_id": "web-other", "employer_id": ids["employer_id"], "month": "2026-10"},
        headers=service_headers,
    )
    assert res.status_code == 404 and res.json()["detail"]["code"] == "employer_not_found"
    mine = draft(client, service_headers, ids["employer_id"]).json()
    res = client.get(
        f"{URL}/{mine['id']}", params={"sender_id": "web-other"}, headers=service_headers
    )
    assert res.status_code == 404


def test_draft_complete_submit_and_duplicate(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    ids, clock = setup(client, backend_app, backend_settings)
    res = draft(client, service_headers, ids["employer_id"])
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["status"] == "draft" and body["total_employees"] == 3
    siti = next(x for x in body["lines"] if x["name"].startswith("Siti"))
    assert (siti["socso_employer"], siti["socso_employee"], siti["eis_employer"]) == (
        "34.15",
        "9.75",
        "3.90",
    )
    assert siti["skbbk_employee"] == "14.65"
    foreign = next(x for x in body["lines"] if x["name"] == "Rahim Uddin")
    assert foreign["eis_employer"] == "0.00" and foreign["id_no"] == "123456789012"
    assert body["due_date"] == "2026-11-15"

    # Change the draft: Tan on unpaid leave with no wages.
    cid = body["id"]
    lines = [
        {"employee_id": ids["employee_ids"][0], "wage": "1950.00"},
        {"employee_id": ids["employee_ids"][1], "wage": "0", "status": "T"},
    ]
    res = client.put(
        f"{URL}/{cid}/lines", json={"sender_id": SENDER, "lines": lines}, headers=service_headers
    )
    assert res.status_code == 200, res.text
    assert res.json()["total_amount"] == "66.35"  # 43.90 + 7.80 + 14.65 + 0.00 for Tan

    # Submit before completing is refused.
    res = client.post(f"{URL}/{cid}/submit", json={"sender_id": SENDER}, headers=service_headers)
    assert res.status_code == 409 and res.json()["detail"]["code"] == "not_completed"
    assert (
        client.post(
            f"{URL}/{cid}/complete", json={"sender_id": SENDER}, headers=service_headers
        ).status_code
        == 200
    )
    res = client.put(
        f"{URL}/{cid}/lines", json={"sender_id": SENDER, "lines": lines}, headers=service_headers
    )
    assert res.status_code == 409
    res = client.post(f"{URL}/{cid}/submit", json={"sender_id": SENDER}, headers=service_headers)
    assert res.status_code == 200, res.text
    sub = res.json()
    assert sub["status"] == "submitted"
    assert sub["acr_no"].startswith("ACR2610") and sub["ecr_no"].startswith("ECR2610")
    assert sub["counter_available_on"] == "2026-11-11"
    assert {s["reference"] for s in sub["slips"]} == {sub["acr_no"], sub["ecr_no"]}

    # Submitting it again, or a second Monthly for the same month, gets the existing ACR.
    res = client.post(f"{URL}/{cid}/submit", json={"sender_id": SENDER}, headers=service_headers)
    assert res.status_code == 409 and res.json()["detail"]["acr_no"] == sub["acr_no"]
    # A second Monthly, or an Arrears ("an earlier month never submitted"), for the same month
    # is refused as soon as the draft is asked for, with the existing ACR.
    for kind in ("Monthly", "Arrears"):
        res = draft(client, service_headers, ids["employer_id"], type=kind, act="act4")
        assert res.status_code == 409, kind
        detail = res.json()["detail"]
        assert detail["code"] == "already_submitted" and detail["acr_no"] == sub["acr_no"]
    # A Short top-up of the submitted month is another type: allowed, its own ACR.
    short = draft(client, service_headers, ids["employer_id"], type="Short", act="act4").json()
    client.post(
        f"{URL}/{short['id']}/complete", json={"sender_id": SENDER}, headers=service_headers
    )
    res = client.post(
        f"{URL}/{short['id']}/submit", json={"sender_id": SENDER}, headers=service_headers
    )
    assert res.status_code == 200 and res.json()["ecr_no"] is None
    assert res.json()["acr_no"] != sub["acr_no"]
    # A Short for a month never submitted has nothing to top up.
    res = draft(client, service_headers, ids["employer_id"], type="Short", month="2026-09")
    assert res.status_code == 422 and res.json()["detail"]["code"] == "nothing_to_top_up"

    # The ACR slip (QRG 8 layout) read back.
    slip = next(s for s in sub["slips"] if s["act"] == "act4")
    assert slip["banks"] == ["Maybank", "RHB Bank (cash only)", "Public Bank"]
    parts = urlsplit(slip["pdf_url"])
    pdf = client.get(f"{parts.path}?{parts.query}")
    assert pdf.status_code == 200
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    for expected in (
        sub["acr_no"],
        "TAN HARDWARE SDN BHD",
        EMPLOYER_CODE,
        "Monthly",
        "10/2026",
        "Data Entry",
        "Selangor",
        "Maybank",
        "RHB Bank (cash only)",
        "Public Bank",
        "11/11/2026",
        "Receiver Details",
        "Remarks",
    ):
        assert expected in text, expected

    # The unpaid list (the "Acknowledgement Contribution Received" list).
    res = client.get(
        URL,
        params={
            "sender_id": SENDER,
            "employer_id": ids["employer_id"],
            "status": "submitted",
            "unpaid": True,
        },
        headers=service_headers,
    )
    assert len(res.json()["contributions"]) == 2


def test_submit_race_gives_one_acr(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    import threading

    ids, _ = setup(client, backend_app, backend_settings)
    cid = draft(client, service_headers, ids["employer_id"]).json()["id"]
    client.post(f"{URL}/{cid}/complete", json={"sender_id": SENDER}, headers=service_headers)
    answers: list[int] = []

    def go() -> None:
        res = client.post(
            f"{URL}/{cid}/submit", json={"sender_id": SENDER}, headers=service_headers
        )
        answers.append(res.status_code)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 409]


def test_pending_months(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    ids, _ = setup(client, backend_app, backend_settings)
    params = {"sender_id": SENDER, "employer_id": ids["employer_id"]}
    pending = client.get(f"{URL}/pending", params=params, headers=service_headers).json()["pending"]
    assert pending[0] == {
        "month": "2026-10",
        "type": "Monthly",
        "acts_missing": ["act4", "act800"],
        "due_date": "2026-11-15",
        "overdue": False,
    }
    assert pending[1]["month"] == "2026-09" and pending[1]["overdue"] is True
    assert len(pending) == 12
    cid = draft(client, service_headers, ids["employer_id"], act="act4").json()["id"]
    client.post(f"{URL}/{cid}/complete", json={"sender_id": SENDER}, headers=service_headers)
    client.post(f"{URL}/{cid}/submit", json={"sender_id": SENDER}, headers=service_headers)
    pending = client.get(f"{URL}/pending", params=params, headers=service_headers).json()["pending"]
    assert pending[0]["acts_missing"] == ["act800"]


def test_pending_months_types(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    """The current due month is Monthly (late or not); earlier months never submitted are
    Arrears; a month submitted as Arrears is no longer owed, and Short is never listed."""
    ids, clock = setup(client, backend_app, backend_settings)
    params = {"sender_id": SENDER, "employer_id": ids["employer_id"]}

    def listed() -> dict[str, str]:
        res = client.get(f"{URL}/pending", params=params, headers=service_headers)
        return {row["month"]: row["type"] for row in res.json()["pending"]}

    types = listed()
    assert types["2026-10"] == "Monthly"  # due 15 November, not yet passed
    assert types["2026-09"] == "Arrears" and types["2026-01"] == "Arrears"
    clock.now = datetime(2026, 11, 26, 2, 0)  # October's due date has passed: still Monthly
    assert listed()["2026-10"] == "Monthly"
    cid = draft(
        client, service_headers, ids["employer_id"], month="2026-09", type="Arrears", act="both"
    ).json()["id"]
    client.post(f"{URL}/{cid}/complete", json={"sender_id": SENDER}, headers=service_headers)
    done = client.post(f"{URL}/{cid}/submit", json={"sender_id": SENDER}, headers=service_headers)
    assert done.status_code == 200 and done.json()["acr_no"].startswith("ACR")
    types = listed()
    assert "2026-09" not in types and "Short" not in types.values()
    clock.now = datetime(2026, 12, 1, 2, 0)  # a new cycle: October becomes Arrears
    types = listed()
    assert types["2026-11"] == "Monthly" and types["2026-10"] == "Arrears"


def _line(id_no: str, wage: int, shares: tuple[int, int, int, int, int], month=(2026, 10)) -> str:  # type: ignore[no-untyped-def]
    return format_combined(
        Record(0, "combined", EMPLOYER_CODE, "", id_no, "X", month, wage, *shares)
    )


def test_import_text_file(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    ids, _ = setup(client, backend_app, backend_settings)
    good = _line("900101145678", 195000, (3415, 975, 390, 390, 1465))
    bad_amount = _line("850315105123", 300000, (1, 1, 1, 1, 1))
    unknown = _line("111111111111", 195000, (3415, 975, 390, 390, 1465))
    content = "\r\n".join([good, bad_amount, unknown]) + "\r\n"
    body = {
        "sender_id": SENDER,
        "employer_id": ids["employer_id"],
        "format": "text",
        "content": content,
    }
    res = client.post(f"{URL}/import", json=body, headers=service_headers)
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert detail["code"] == "file_has_errors"
    assert [(e["line"], e["code"]) for e in detail["errors"]] == [
        (2, "amount_mismatch"),
        (3, "unknown_employee"),
    ]
    res = client.get(
        URL,
        params={"sender_id": SENDER, "employer_id": ids["employer_id"]},
        headers=service_headers,
    )
    assert res.json()["contributions"] == []  # nothing imported
    res = client.post(
        f"{URL}/import", json={**body, "skip_bad_lines": True}, headers=service_headers
    )
    assert res.status_code == 201, res.text
    out = res.json()
    assert out["imported"] == 1 and out["skipped"] == 2
    assert (
        out["contribution"]["medium"] == "text_file" and out["contribution"]["month"] == "2026-10"
    )

    # The generated v2.0 file for that contribution parses back to the same values.
    res = client.get(
        f"{URL}/{out['contribution']['id']}/textfile",
        params={"sender_id": SENDER},
        headers=service_headers,
    )
    assert (
        res.status_code == 200 and "E1100050233Z_102026.txt" in res.headers["content-disposition"]
    )
    parsed = parse_text_file(res.content, EMPLOYER_CODE, datetime(2026, 11, 10).date())
    assert parsed.ok, parsed.errors
    assert parsed.records[0].wage_sen == 195000 and parsed.records[0].skbbk_employee_sen == 1465
    assert res.content.endswith(b"\r\n")


def test_import_csv(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    ids, _ = setup(client, backend_app, backend_settings)
    content = "ID,Name,Wage\n900101-14-5678,Siti,1950.00\n123456789012,Rahim,1700\n999,Ghost,100\n"
    body = {
        "sender_id": SENDER,
        "employer_id": ids["employer_id"],
        "format": "csv",
        "content": content,
        "month": "2026-10",
    }
    res = client.post(f"{URL}/import", json=body, headers=service_headers)
    assert res.status_code == 422
    assert res.json()["detail"]["errors"] == [
        {"line": 4, "code": "unknown_employee", "message": "ID 999 is not an employee here"}
    ]
    res = client.post(
        f"{URL}/import", json={**body, "skip_bad_lines": True}, headers=service_headers
    )
    assert res.status_code == 201
    assert res.json()["contribution"]["total_employees"] == 2
    res = client.post(f"{URL}/import", json={**body, "month": None}, headers=service_headers)
    assert res.status_code == 422 and res.json()["detail"]["code"] == "invalid_month"


def test_invalid_inputs(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    ids, _ = setup(client, backend_app, backend_settings)
    for kw, code in [
        ({"month": "2026-12"}, "invalid_month"),
        ({"month": "oct"}, "invalid_month"),
        ({"type": "Weekly"}, "invalid_type"),
        ({"act": "act9"}, "invalid_act"),
        ({"lines": [{"id_no": "000"}]}, "unknown_employee"),
        (
            {"lines": [{"employee_id": ids["employee_ids"][0], "status": "B"}]},
            "event_date_required",
        ),
    ]:
        res = draft(client, service_headers, ids["employer_id"], **kw)
        assert res.status_code == 422, (kw, res.text)
        assert res.json()["detail"]["code"] == code, (kw, res.json())


def test_public_deadline(client) -> None:  # type: ignore[no-untyped-def]
    res = client.get("/api/v1/deadlines", params={"month": "2025-01"})
    assert res.status_code == 200
    assert res.json()["due_date"] == "2025-02-15" and "fclb" not in res.json()
    res = client.get(
        "/api/v1/deadlines",
        params={"month": "2025-01", "amount": "10000.00", "paid_on": "2025-03-27"},
    )
    assert res.json()["fclb"] == {
        "amount": "10000.00",
        "paid_on": "2025-03-27",
        "days_late": 40,
        "late_months": 2,
        "raw": "65.76",
        "interest": "70.00",
    }
    assert client.get("/api/v1/deadlines", params={"month": "x"}).status_code == 422
    res = client.get("/api/v1/deadlines", params={"month": "2025-01", "state": "Atlantis"})
    assert res.json()["detail"]["code"] == "invalid_state"


def test_due_date_roll_back_config(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DUE_DATE_ROLL_BACK", "true")
    res = client.get("/api/v1/deadlines", params={"month": "2025-01", "state": "Selangor"})
    assert res.json()["due_date"] == "2025-02-14"  # the 15th is a Saturday


def test_import_xlsx(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    import base64

    from tests.backend.test_textfile import _xlsx

    ids, _ = setup(client, backend_app, backend_settings)
    data = _xlsx([["ID", "Name", "Wage"], ["900101145678", "Siti", 1950]])
    body = {
        "sender_id": SENDER,
        "employer_id": ids["employer_id"],
        "format": "xlsx",
        "content": base64.b64encode(data).decode(),
        "month": "2026-10",
    }
    res = client.post(f"{URL}/import", json=body, headers=service_headers)
    assert res.status_code == 201, res.text
    assert res.json()["contribution"]["medium"] == "xlsx"
    assert res.json()["contribution"]["act4_amount"] == "58.55"  # 34.15 + 9.75 + 14.65 SKBBK
    res = client.post(f"{URL}/import", json={**body, "content": "%%%"}, headers=service_headers)
    assert res.status_code == 422 and res.json()["detail"]["code"] == "invalid_content"


def test_text_file_for_a_month(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    ids, _ = setup(client, backend_app, backend_settings)
    params = {"sender_id": SENDER, "employer_id": ids["employer_id"], "month": "2026-10"}
    # No contribution yet: every employee at the registered wage.
    res = client.get(f"{URL}/textfile", params=params, headers=service_headers)
    assert res.status_code == 200, res.text
    parsed = parse_text_file(res.content, EMPLOYER_CODE, datetime(2026, 11, 10).date())
    assert parsed.ok and len(parsed.records) == 3
    assert {r.wage_sen for r in parsed.records} == {195000, 300000, 170000}
    # With a draft: its lines.
    lines = [{"employee_id": ids["employee_ids"][0], "wage": "2000.00"}]
    draft(client, service_headers, ids["employer_id"], lines=lines)
    res = client.get(f"{URL}/textfile", params=params, headers=service_headers)
    parsed = parse_text_file(res.content, EMPLOYER_CODE, datetime(2026, 11, 10).date())
    assert [r.wage_sen for r in parsed.records] == [200000]
    other = {**params, "sender_id": "web-other"}
    seed(backend_settings, email="o@example.com", sender_id="web-other", code="A3702171474Y")
    assert client.get(f"{URL}/textfile", params=other, headers=service_headers).status_code == 404


def test_openapi_lists_contribution_and_payment_paths(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/contributions",
        "/api/v1/contributions/pending",
        "/api/v1/contributions/import",
        "/api/v1/contributions/textfile",
        "/api/v1/contributions/{contribution_id}",
        "/api/v1/contributions/{contribution_id}/lines",
        "/api/v1/contributions/{contribution_id}/complete",
        "/api/v1/contributions/{contribution_id}/submit",
        "/api/v1/contributions/{contribution_id}/textfile",
        "/api/v1/contributions/{contribution_id}/slips",
        "/api/v1/payments",
        "/api/v1/payments/banks",
        "/api/v1/payments/{payment_id}",
        "/api/v1/receipts",
        "/api/v1/receipts/{receipt_id}",
        "/api/v1/deadlines",
    ):
        assert path in paths, path


def test_first_covered_late_is_second_category(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    from datetime import date
    from decimal import Decimal

    from backend.db import get_sessionmaker
    from backend.models import Employee

    ids, _ = setup(client, backend_app, backend_settings)
    with get_sessionmaker(backend_settings.database_url)() as db:
        late = Employee(
            employer_id=ids["employer_id"], residency="local", worker_type="regular",
            id_type="mykad", id_no="660101145671", name="Old Hand", date_of_birth=date(1966, 1, 1),
            gender="male", start_date=date(2024, 6, 1), monthly_wage=Decimal("3000.00"),
        )  # fmt: skip
        db.add(late)
        db.commit()
        late_id = late.id
    res = draft(client, service_headers, ids["employer_id"], lines=[{"employee_id": late_id}])
    line = res.json()["lines"][0]
    # First covered at 58: second category (employer only) and no EIS (57 or older, none before).
    assert line["category"] == 2
    assert (line["socso_employer"], line["socso_employee"], line["eis_employer"]) == (
        "36.90",
        "0.00",
        "0.00",
    )


def test_prefill_marks_new_and_leaving_employees(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from backend.db import get_sessionmaker
    from backend.models import Employee

    ids, _ = setup(client, backend_app, backend_settings)
    with get_sessionmaker(backend_settings.database_url)() as db:
        db.get(Employee, ids["employee_ids"][0]).start_date = date(2026, 10, 12)
        db.get(Employee, ids["employee_ids"][1]).end_date = date(2026, 10, 20)
        db.get(Employee, ids["employee_ids"][2]).end_date = date(2026, 9, 30)  # gone before
        db.commit()
    body = draft(client, service_headers, ids["employer_id"]).json()
    assert [(x["status"], x["event_date"]) for x in body["lines"]] == [
        ("B", "2026-10-12"),
        ("H", "2026-10-20"),
    ]
