"""JSON logs, one object per line, with MyKad- and passport-shaped numbers always masked.

Masking happens in the formatter, after the message is rendered, so no caller can forget it
and arguments interpolated into the message are covered too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from backend.domain.identifiers import mask_identifiers

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "color_message"}
# Signed download tokens in URLs (access logs) are credentials: never write them out.
_URL_TOKEN = re.compile(r"([?&](?:t|token)=)[^&\s\"']+")


def scrub(text: str) -> str:
    """Mask MyKad/passport numbers and URL tokens in one rendered log string."""
    return _URL_TOKEN.sub(r"\1***", mask_identifiers(text)) if text else text


class MaskingJsonFormatter(logging.Formatter):
    """Render a record as one JSON object; every string in it is passed through the masker."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = _mask_value(value)
        if record.exc_info:
            payload["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False, default=str)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(v) for v in value]
    return value


class MaskingFilter(logging.Filter):
    """For handlers that keep their own formatter: mask the rendered message in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


_CONFIGURED_MARK = "_assist_json_handler"


def configure_logging(level: str = "INFO") -> None:
    """Install one JSON stderr handler on the root logger (idempotent)."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in root.handlers:
        if getattr(handler, _CONFIGURED_MARK, False):
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingJsonFormatter())
    handler.addFilter(MaskingFilter())
    setattr(handler, _CONFIGURED_MARK, True)
    root.addHandler(handler)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
