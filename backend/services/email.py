"""Outgoing email: always recorded (``outbox_emails`` + a ``.eml`` file), sent by SMTP if set.

The outbox makes the system work offline and lets tests read what a user would receive. Only
the envelope is logged, never the body: it can hold temporary passwords and login codes.
"""

from __future__ import annotations

import logging
import mimetypes
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from sqlalchemy.orm import Session

from backend.models import OutboxEmail
from backend.settings import Settings, get_settings

log = logging.getLogger(__name__)


def mask_email(address: str) -> str:
    """a****@example.com: enough to recognise in a log, not enough to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}{'*' * max(len(local) - 1, 3)}@{domain}" if domain else "***"


def _build(settings: Settings, to: str, subject: str, body: str, attachments: list[Path]):  # type: ignore[no-untyped-def]
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="assist.local")
    message.set_content(body)
    for path in attachments:
        ctype, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
        message.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return message


def _send_smtp(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


def send_email(
    db: Session,
    to: str,
    subject: str,
    body: str,
    attachments: list[Path] | None = None,
    settings: Settings | None = None,
) -> OutboxEmail:
    """Record the email, write its .eml, and send it over SMTP when configured.

    SMTP failures are logged and leave ``sent_via="outbox"``, so the caller can tell the user
    the email may be late without losing it. The row is flushed, not committed: it belongs to
    the caller's transaction.
    """
    settings = settings or get_settings()
    files = [Path(p) for p in attachments or []]
    message = _build(settings, to, subject, body, files)
    row = OutboxEmail(
        to=to, subject=subject, body=body, attachments=[str(p) for p in files], sent_via="outbox"
    )
    db.add(row)
    db.flush()

    outbox = Path(settings.outbox_dir)
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (outbox / f"{stamp}-{row.id:06d}.eml").write_bytes(bytes(message))

    if settings.smtp_host:
        try:
            _send_smtp(settings, message)
            row.sent_via = "smtp"
        except (OSError, smtplib.SMTPException):
            log.exception("email %s to %s: SMTP failed, kept in the outbox", row.id, mask_email(to))
    log.info(
        "email %s queued to %s via %s: %s",
        row.id,
        mask_email(to),
        row.sent_via,
        subject,
        extra={"email_id": row.id, "attachments": len(files)},
    )
    return row
