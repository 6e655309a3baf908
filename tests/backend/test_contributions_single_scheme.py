"""The older 223-character SOCSO-only / EIS-only ASSIST text file, imported from real files
(``tests/backend/data``): CRLF and LF, zero- and space-padded amounts, statuses, every bad line
reported with its number, nothing imported from a file with errors unless the user skips them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from backend.db import get_sessionmaker
from backend.models import Contribution, ContributionUpload
from backend.services.contributions_upload import act_hint
from tests.backend.contribution_helpers import seed
from tests.backend.helpers import install_clock
from tests.backend.test_contributions_upload import attach, web_sender

DATA = Path(__file__).parent / "data"
SENDER = "web-boss"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def prepare(client, backend_app, backend_settings, sender: str = SENDER) -> dict[str, int]:  # type: ignore[no-untyped-def]
    clock = install_clock(backend_app)
    clock.now = datetime(2026, 11, 26, 3, 0)
    return seed(backend_settings, sender_id=sender)


def import_body(ids: dict[str, int], name: str, act: str = "both", skip: bool = False) -> dict:  # type: ignore[type-arg]
    return {
        "sender_id": SENDER,
        "employer_id": ids["employer_id"],
        "format": "text",
        "content": read(name).decode("ascii"),
        "act": act,
        "skip_bad_lines": skip,
    }


def count(settings) -> int:  # type: ignore[no-untyped-def]
    with get_sessionmaker(settings.database_url)() as db:
        return db.scalar(select(func.count()).select_from(Contribution)) or 0


def test_the_files_are_what_they_say() -> None:
    crlf = read("socso_223_crlf_zero_padded.txt")
    lf = read("eis_223_lf_space_padded.txt")
    assert crlf.count(b"\r\n") == 3 and all(len(x) == 223 for x in crlf.split(b"\r\n")[:-1])
    assert b"\r" not in lf and all(len(x) == 223 for x in lf.split(b"\n")[:-1])
    assert lf.split(b"\n")[0][200:214] == b"780".rjust(14)  # space-padded
    assert crlf.split(b"\r\n")[0][200:214] == b"4390".zfill(14)  # zero-padded


def test_act_hint() -> None:
    assert act_hint("EIS", "x.txt") == "act800"
    assert act_hint(None, "sip_102026.txt") == "act800"
    assert act_hint("caruman PERKESO", "x.txt") == "act4"
    assert act_hint(None, "payroll.txt") == "both"
    assert act_hint("SOCSO dan SIP", "x.txt") == "both"


def test_socso_file_crlf_zero_padded(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    ids = prepare(client, backend_app, backend_settings)
    body = import_body(ids, "socso_223_crlf_zero_padded.txt")
    res = client.post("/api/v1/contributions/import", json=body, headers=service_headers)
    assert res.status_code == 201, res.text
    out = res.json()
    view = out["contribution"]
    # Read as SOCSO (its amounts fit no EIS reading): an Act 4 draft, no EIS.
    assert view["act"] == "act4" and view["medium"] == "text_file" and view["month"] == "2026-10"
    assert out["imported"] == 3 and out["errors"] == []
    lines = {x["name"]: x for x in view["lines"]}
    siti = lines["Siti Nurhaliza binti Ahmad"]
    assert siti["wage"] == "1950.00"  # the registered wage gives RM43.90
    assert Decimal(siti["socso_employer"]) + Decimal(siti["socso_employee"]) == Decimal("43.90")
    tan = lines["Tan Ah Kow"]
    # RM68.60 is the RM3,000.01-3,100 band: its top, not the registered RM3,000, and a note.
    assert tan["wage"] == "3100.00"
    assert Decimal(tan["socso_employer"]) + Decimal(tan["socso_employee"]) == Decimal("68.60")
    assert [(n["line"], n["code"]) for n in out["notes"]] == [(2, "wage_from_band")]
    rahim = lines["Rahim Uddin"]  # found by SSFW number; unpaid leave, nothing due
    assert rahim["status"] == "T" and rahim["wage"] == "0.00" and rahim["socso_employer"] == "0.00"
    assert view["eis"] == {"employer": "0.00", "employee": "0.00"}
    assert Decimal(view["act4_amount"]) == Decimal("43.90") + Decimal("68.60") + Decimal(
        siti["skbbk_employee"]
    ) + Decimal(tan["skbbk_employee"])


def test_eis_file_lf_space_padded(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    ids = prepare(client, backend_app, backend_settings)
    body = import_body(ids, "eis_223_lf_space_padded.txt")
    res = client.post("/api/v1/contributions/import", json=body, headers=service_headers)
    assert res.status_code == 201, res.text
    view = res.json()["contribution"]
    assert view["act"] == "act800" and view["total_employees"] == 2
    assert view["eis"] == {"employer": "9.80", "employee": "9.80"}
    assert view["socso"] == {"employer": "0.00", "employee": "0.00"}
    assert view["act800_amount"] == "19.60" and res.json()["notes"] == []


def test_declared_act_that_does_not_fit_is_refused_line_by_line(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    ids = prepare(client, backend_app, backend_settings)
    body = import_body(ids, "eis_223_lf_space_padded.txt", act="act4")
    res = client.post("/api/v1/contributions/import", json=body, headers=service_headers)
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert detail["code"] == "file_has_errors"
    assert [e["line"] for e in detail["errors"]] == [1, 2]
    assert count(backend_settings) == 0


def test_every_bad_line_with_its_number_then_skip(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    ids = prepare(client, backend_app, backend_settings)
    body = import_body(ids, "socso_223_with_errors.txt")
    res = client.post("/api/v1/contributions/import", json=body, headers=service_headers)
    assert res.status_code == 422
    errors = res.json()["detail"]["errors"]
    assert [(e["line"], e["code"]) for e in errors] == [
        (2, "wrong_employer_code"),
        (3, "unknown_employee"),
        (4, "amount_mismatch"),
        (5, "future_month"),
        (6, "wrong_length"),
        (7, "missing_date"),
    ]
    assert count(backend_settings) == 0  # nothing imported
    res = client.post(
        "/api/v1/contributions/import",
        json=import_body(ids, "socso_223_with_errors.txt", skip=True),
        headers=service_headers,
    )
    assert res.status_code == 201, res.text
    out = res.json()
    assert out["imported"] == 1 and out["skipped"] == 6
    assert out["contribution"]["lines"][0]["name"] == "Siti Nurhaliza binti Ahmad"


def test_sent_in_the_chat(client, backend_app, backend_settings) -> None:  # type: ignore[no-untyped-def]
    """Attached in the widget like any payroll file: imported, with the band note in Malay."""
    sender = web_sender(client, "ms")
    prepare(client, backend_app, backend_settings, sender=sender)
    reply = attach(client, read("socso_223_crlf_zero_padded.txt"), "caruman_oktober_2026.txt")
    assert "refused" not in reply, reply
    text = reply["messages"][0]["text"]
    assert "3 pekerja" in text and "had atas jalur gaji" in text
    assert "baris 2: Tan Ah Kow RM3,100.00 (amaun RM68.60" in text
    reply = attach(client, read("socso_223_with_errors.txt"), "caruman.txt")
    assert reply["refused"] == "file_has_errors"
    for n in range(2, 8):
        assert f"baris {n}:" in reply["messages"][0]["text"]


def test_one_line_that_fits_both_schemes_asks_which(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    """A zero-amount unpaid-leave line is valid SOCSO and valid EIS: the user is asked."""
    ids = prepare(client, backend_app, backend_settings)
    line = read("socso_223_crlf_zero_padded.txt").split(b"\r\n")[2].decode("ascii")
    body = {**import_body(ids, "socso_223_crlf_zero_padded.txt"), "content": line + "\r\n"}
    res = client.post("/api/v1/contributions/import", json=body, headers=service_headers)
    assert res.status_code == 422
    assert res.json()["detail"]["code"] == "single_scheme_ambiguous"
    res = client.post(
        "/api/v1/contributions/import", json={**body, "act": "act4"}, headers=service_headers
    )
    assert res.status_code == 201 and res.json()["contribution"]["act"] == "act4"


def test_ten_thousand_good_lines(client, backend_app, backend_settings, service_headers) -> None:  # type: ignore[no-untyped-def]
    """The figure the issue asks for: a 10,000-employee payroll imported as a draft, the older
    223-character SOCSO file and the combined 278-character one (printed, not a speed target)."""
    import time
    from datetime import date

    from backend.domain.textfile import Record, format_combined, format_single
    from backend.models import Employee

    ids = prepare(client, backend_app, backend_settings)
    numbers = [f"9001011{n:05d}" for n in range(10_000)]
    with get_sessionmaker(backend_settings.database_url)() as db:
        db.add_all(
            Employee(
                employer_id=ids["employer_id"],
                residency="local",
                worker_type="regular",
                id_type="mykad",
                id_no=number,
                name=f"Pekerja {n}",
                date_of_birth=date(1990, 1, 1),
                gender="female",
                start_date=date(2024, 1, 1),
                monthly_wage=Decimal("1950.00"),
                status="registered",
            )
            for n, number in enumerate(numbers)
        )
        db.commit()
    common = dict(line=0, employer_code="E1100050233Z", mycoid="", name="PEKERJA", month=(2026, 10))
    single = "\r\n".join(
        format_single(Record(kind="socso", id_no=n, amount_sen=4390, **common))  # type: ignore[arg-type]
        for n in numbers
    )
    combined = "\r\n".join(
        format_combined(
            Record(
                kind="combined",
                id_no=n,
                wage_sen=195000,
                socso_employer_sen=3415,
                socso_employee_sen=975,
                eis_employer_sen=390,
                eis_employee_sen=390,
                skbbk_employee_sen=1465,
                **common,  # type: ignore[arg-type]
            )
        )
        for n in numbers
    )
    for label, content, act in (("223", single, "act4"), ("278", combined, "both")):
        body = {**import_body(ids, "socso_223_crlf_zero_padded.txt", act=act), "content": content}
        started = time.perf_counter()
        res = client.post("/api/v1/contributions/import", json=body, headers=service_headers)
        elapsed = time.perf_counter() - started
        assert res.status_code == 201, res.text[:500]
        assert res.json()["imported"] == 10_000
        print(f"\n10,000-line {label}-character file imported as a draft in {elapsed:.1f} s")


def test_caption_scheme_kept_for_import_the_good_lines(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    """A 223-character file sent with the caption 'EIS' whose good line fits both schemes (a
    zero amount): after the errors, "import the good lines only" (no caption then) still reads
    it as EIS, from the upload, instead of asking SOCSO or EIS again."""
    sender = web_sender(client, "en")
    prepare(client, backend_app, backend_settings, sender=sender)
    lines = read("socso_223_crlf_zero_padded.txt").decode("ascii").split("\r\n")
    unknown = lines[0][:32] + "770707077777" + lines[0][44:]  # an ID that is no employee
    content = (lines[2] + "\r\n" + unknown + "\r\n").encode("ascii")
    res = client.post(
        "/api/v1/chat/files",
        files={"file": ("caruman.txt", content, "text/plain")},
        data={"caption": "EIS"},
    )
    reply = res.json()
    assert reply["refused"] == "file_has_errors", reply
    assert "line 2:" in reply["messages"][0]["text"]
    payload = reply["messages"][0]["buttons"][0]["payload"]
    upload_id = int(payload.split('"')[3])
    with get_sessionmaker(backend_settings.database_url)() as db:
        assert db.get(ContributionUpload, upload_id).act == "act800"
    res = client.post(
        f"/api/v1/contributions/uploads/{upload_id}/import",
        json={"sender_id": sender, "skip_bad_lines": True},
        headers=service_headers,
    )
    assert res.status_code == 201, res.text
    out = res.json()
    assert out["contribution"]["act"] == "act800"
    assert out["imported"] == 1 and [e["line"] for e in out["errors"]] == [2]
