"""Protection of personal identifiers at rest (PDPA): encryption and keyed look-up hashes."""

from backend.security.pii import (
    EncryptedText,
    Keys,
    MissingKeyError,
    check_keys,
    decrypt,
    encrypt,
    is_encrypted,
    keep_lookup_hashes,
    keys,
    load_keys,
    lookup_hash,
    new_key,
    normalise_for_lookup,
    reset_keys,
)

__all__ = [
    "EncryptedText",
    "Keys",
    "MissingKeyError",
    "check_keys",
    "decrypt",
    "encrypt",
    "is_encrypted",
    "keep_lookup_hashes",
    "keys",
    "load_keys",
    "lookup_hash",
    "new_key",
    "normalise_for_lookup",
    "reset_keys",
]
