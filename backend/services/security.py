"""Password/code hashing (argon2), random secrets, and signed tokens for links and cookies."""

from __future__ import annotations

import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_hasher = PasswordHasher()

# No 0/O, 1/l/I: people retype temporary passwords from an email.
_TEMP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(hashed: str | None, secret: str) -> bool:
    """Constant-time argon2 check; any malformed hash simply fails."""
    if not hashed:
        return False
    try:
        return _hasher.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def new_temporary_password(length: int = 12) -> str:
    """Readable random password with at least one digit, upper and lower letter."""
    while True:
        value = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(length))
        if (
            any(c.isdigit() for c in value)
            and any(c.isupper() for c in value)
            and any(c.islower() for c in value)
        ):
            return value


def new_login_code() -> str:
    """Six random digits."""
    return f"{secrets.randbelow(1_000_000):06d}"


def serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def sign(secret_key: str, salt: str, payload: Any) -> str:
    return serializer(secret_key, salt).dumps(payload)


def unsign(secret_key: str, salt: str, token: str, max_age_seconds: int) -> Any | None:
    """The payload, or None when the token is forged, for another purpose, or too old."""
    try:
        return serializer(secret_key, salt).loads(token, max_age=max_age_seconds)
    except (SignatureExpired, BadSignature):
        return None
