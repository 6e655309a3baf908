"""PDPA (issue 7): IC and passport numbers encrypted at rest, still found by their keyed hash.

What a user (or an auditor) notices: a copy of the database shows no MyKad or passport number,
while "search existing employee", the duplicate check and the staff console's look-up still find
the person; a production backend without keys does not start.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient

from backend import security
from backend.db import alembic_config, get_engine, get_sessionmaker, upgrade_database
from backend.main import create_app
from backend.models import Employee, PortalAccount
from backend.security import MissingKeyError, load_keys, lookup_hash, new_key
from backend.settings import Settings
from tests.backend.helpers import install_clock
from tests.backend.registration_helpers import (
    BASE,
    FOREIGN_EMPLOYEE,
    LOCAL_EMPLOYEE,
    create_company,
    headers,
    login_chat,
)
from tests.postgres import fresh_database

ACCOUNT_MYKAD = "850315105123"  # registration_helpers.login_chat's account
EMPLOYEE_MYKAD = "900101145678"  # LOCAL_EMPLOYEE, typed as 900101-14-5678
PASSPORT = "B1234567"  # FOREIGN_EMPLOYEE
COMPANY_NO = "201901012345"  # registration_helpers.COMPANY (a sole owner's would be a MyKad)
PLAIN = (ACCOUNT_MYKAD, EMPLOYEE_MYKAD, PASSPORT, COMPANY_NO)
TABLES = ("portal_accounts", "portal_applications", "employers", "employees", "contribution_lines")


def raw_rows(url: str) -> str:
    """Every row of the tables that hold identifiers, as the database itself stores them."""
    out = []
    with get_engine(url).connect() as conn:
        for table in TABLES:
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):  # noqa: S608
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


def register_two_employees(client: TestClient, app, settings: Settings, service_headers) -> str:  # type: ignore[no-untyped-def]
    """A logged-in employer adds a local (MyKad) and a foreign (passport) worker via the API."""
    install_clock(app)
    login_chat(settings)
    hdrs = headers(service_headers)
    url = f"{BASE}/{create_company(client, hdrs)['id']}/employees"
    assert client.post(url, json=LOCAL_EMPLOYEE, headers=hdrs).status_code == 201
    assert client.post(url, json=FOREIGN_EMPLOYEE, headers=hdrs).status_code == 201
    return url


def assert_encrypted_and_searchable(client: TestClient, url: str, hdrs: dict, db_url: str) -> None:  # type: ignore[type-arg]
    dump = raw_rows(db_url)
    for number in PLAIN:
        assert number not in dump, f"{number} stored in clear"
    assert dump.count(security.pii.PREFIX) >= 5  # account, employer, 2 employees, passport
    # Exact-match look-ups still find the people, whatever separators the user typed.
    found = client.get(
        f"{url}/search", params={"id_type": "mykad", "id_no": "900101-14-5678"}, headers=hdrs
    ).json()
    assert found["found"] and found["source"] == "this_registration"
    assert found["employee"]["name"] == LOCAL_EMPLOYEE["name"].upper()
    found = client.get(
        f"{url}/search", params={"id_type": "passport", "id_no": "b1234567"}, headers=hdrs
    ).json()
    assert found["found"] and found["employee"]["name"] == FOREIGN_EMPLOYEE["name"].upper()
    # The duplicate check works on the hash: a second copy is refused.
    again = client.post(url, json=LOCAL_EMPLOYEE, headers=hdrs)
    assert again.status_code == 409 and "employee_exists" in again.text
    # The application reads the numbers back in clear.
    with get_sessionmaker(db_url)() as db:
        numbers = {e.id_no for e in db.scalars(sa.select(Employee))}
        assert numbers == {EMPLOYEE_MYKAD, PASSPORT}
        account = db.scalars(sa.select(PortalAccount)).one()
        assert account.mykad == ACCOUNT_MYKAD and account.mykad_hash == lookup_hash(ACCOUNT_MYKAD)


def test_sqlite_rows_hold_no_plain_ic(
    client, backend_app, backend_settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    url = register_two_employees(client, backend_app, backend_settings, service_headers)
    assert_encrypted_and_searchable(
        client, url, headers(service_headers), backend_settings.database_url
    )
    # Not even in the file's bytes (free pages, indexes).
    get_engine(backend_settings.database_url).dispose()
    data = Path(backend_settings.database_url.split("///", 1)[1]).read_bytes()
    for number in PLAIN:
        assert number.encode() not in data


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database on TEST_DATABASE_URL's server, dropped afterwards."""
    with fresh_database("assist_test") as url:
        yield url


def test_postgres_rows_hold_no_plain_ic(
    pg_url: str, backend_settings: Settings, service_headers
) -> None:  # type: ignore[no-untyped-def]
    settings = backend_settings.model_copy(update={"database_url": pg_url})
    upgrade_database(pg_url)
    app = create_app(settings)
    with TestClient(app) as client:
        url = register_two_employees(client, app, settings, service_headers)
        assert_encrypted_and_searchable(client, url, headers(service_headers), pg_url)


def test_migration_encrypts_existing_rows_and_downgrade_restores(  # type: ignore[no-untyped-def]
    client, backend_app, backend_settings, service_headers
) -> None:
    """Rows written before 0011 (plain) are encrypted by it; the downgrade gives them back."""
    url = register_two_employees(client, backend_app, backend_settings, service_headers)
    db_url = backend_settings.database_url
    get_engine(db_url).dispose()
    command.downgrade(alembic_config(db_url), "0010_contribution_chat")
    before = raw_rows(db_url)
    assert all(number in before for number in PLAIN)  # what a database before 0011 held
    assert security.pii.PREFIX not in before
    command.upgrade(alembic_config(db_url), "0011_ic_encryption")
    assert_encrypted_and_searchable(client, url, headers(service_headers), db_url)


def test_production_refuses_to_start_without_keys(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        assist_profile="production",
        assist_data_key="",
        assist_lookup_key="",
    )
    with pytest.raises(MissingKeyError, match="ASSIST_DATA_KEY and ASSIST_LOOKUP_KEY"):
        create_app(settings)
    bad = settings.model_copy(update={"assist_data_key": "short", "assist_lookup_key": new_key()})
    with pytest.raises(MissingKeyError, match="not a valid key"):
        load_keys(bad)
    same = new_key()
    twin = settings.model_copy(update={"assist_data_key": same, "assist_lookup_key": same})
    with pytest.raises(MissingKeyError, match="must differ"):
        load_keys(twin)


def test_embedded_profile_generates_keys_once(tmp_path: Path) -> None:
    settings = Settings(assist_data_key="", assist_lookup_key="")
    first = load_keys(settings, var_dir=tmp_path)
    again = load_keys(settings, var_dir=tmp_path)
    assert first.generated and first == again
    text = (tmp_path / "secrets.env").read_text()
    assert "ASSIST_DATA_KEY=" in text and "ASSIST_LOOKUP_KEY=" in text
    assert (tmp_path / "secrets.env").stat().st_mode & 0o077 == 0  # owner only


def test_rotated_key_still_reads_old_rows() -> None:
    old, new, lookup = new_key(), new_key(), new_key()
    old_keys = load_keys(Settings(assist_data_key=old, assist_lookup_key=lookup))
    stored = security.encrypt("900101145678", old_keys.data)
    rotated = load_keys(
        Settings(assist_data_key=new, assist_lookup_key=lookup, assist_data_key_previous=old)
    )
    assert security.decrypt(stored, rotated.by_id()) == "900101145678"
    without_old = load_keys(Settings(assist_data_key=new, assist_lookup_key=lookup))
    with pytest.raises(MissingKeyError, match="no key with id"):
        security.decrypt(stored, without_old.by_id())
    tampered = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
    with pytest.raises(ValueError, match="integrity"):
        security.decrypt(tampered, old_keys.by_id())
    # Equal numbers never give equal ciphertexts; their hashes are equal, separators aside.
    assert security.encrypt("x", old_keys.data) != security.encrypt("x", old_keys.data)
    assert lookup_hash("900101-14-5678", b"k" * 32) == lookup_hash("900101145678", b"k" * 32)
    assert lookup_hash("900101145678", b"k" * 32) != lookup_hash("900101145678", b"j" * 32)
