"""A foreign worker's passport / permit pages, asked for inside the chat's worker form: the
upload page opens on that item, and a Telegram photo captioned 'passport' is filed under it."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from backend.db import get_sessionmaker
from backend.hub.files import receive_file
from backend.hub.service import _record, get_conversation
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


def _file(backend_settings, caption=None):  # type: ignore[no-untyped-def]
    with get_sessionmaker(backend_settings.database_url)() as db:
        return receive_file(
            db,
            backend_settings,
            sender_id=SENDER,
            filename="photo-2.jpg",
            data=small_jpeg(),
            caption=caption,
            language="en",
            now=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        )


def _bot_says(backend_settings, direction: str, text: str, data=None) -> None:  # type: ignore[no-untyped-def]
    with get_sessionmaker(backend_settings.database_url)() as db:
        get_conversation(db, SENDER, "telegram")
        _record(db, SENDER, direction, text, data)
        db.commit()


def test_a_photo_without_caption_goes_to_the_item_the_bot_just_asked_for(  # type: ignore[no-untyped-def]
    client, setup, backend_settings
) -> None:
    _bot_says(backend_settings, "in", "RM1,700", None)
    _bot_says(
        backend_settings,
        "out",
        "Upload this worker's passport and pass / permit pages now",
        {"link": {"url": "http://x/upload/tok?doc=foreign_worker_passport", "title": "upload"}},
    )
    first = _file(backend_settings)
    second = _file(backend_settings)  # a second page, after the first acknowledgement
    assert first["document"]["doc_type"] == "foreign_worker_passport", first
    assert second["document"]["doc_type"] == "foreign_worker_passport", second
    # Once the user has answered (the question is over), a bare photo goes to what is missing.
    _bot_says(backend_settings, "in", "later", None)
    _bot_says(backend_settings, "out", "Please check the foreign employee", None)
    third = _file(backend_settings)
    assert third["document"]["doc_type"] == "ssm_extract", third
