"""A foreign worker's passport / permit pages, asked for inside the chat's worker form: the
upload page opens on that item, and a Telegram photo captioned 'passport' is filed under it."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from backend.db import get_sessionmaker
from backend.hub.files import receive_file
from tests.backend.helpers import install_clock
from tests.backend.registration_helpers import (
    BASE,
    SENDER,
    create_company,
    headers,
    login_chat,
    small_jpeg,
)


@pytest.fixture
def setup(client, backend_app, backend_settings, service_headers):  # type: ignore[no-untyped-def]
    install_clock(backend_app)
    login_chat(backend_settings)
    hdrs = headers(service_headers)
    return hdrs, create_company(client, hdrs)["id"]


def test_upload_page_opens_on_the_item_the_chat_asked_for(client, setup) -> None:  # type: ignore[no-untyped-def]
    hdrs, rid = setup
    link = client.post(f"{BASE}/{rid}/upload-link", headers=hdrs).json()["url"]
    page = client.get(urlsplit(link).path + "?doc=foreign_worker_passport")
    assert page.status_code == 200
    assert '<option value="foreign_worker_passport" selected>' in page.text
    plain = client.get(urlsplit(link).path)
    assert "selected>" not in plain.text


@pytest.mark.parametrize("caption", ["passport", "Pasport Budi", "permit page 2"])
def test_a_chat_photo_captioned_passport_is_filed_as_the_passport_pages(  # type: ignore[no-untyped-def]
    client, setup, backend_settings, caption
) -> None:
    hdrs, rid = setup
    with get_sessionmaker(backend_settings.database_url)() as db:
        result = receive_file(
            db,
            backend_settings,
            sender_id=SENDER,
            filename="photo-1.jpg",
            data=small_jpeg(),
            caption=caption,
            language="en",
            now=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        )
    assert result["document"]["doc_type"] == "foreign_worker_passport", result
    checklist = client.get(f"{BASE}/{rid}/documents", headers=hdrs).json()["checklist"]
    pages = next(i for i in checklist if i["doc_type"] == "foreign_worker_passport")
    assert pages["uploaded"] == 1
