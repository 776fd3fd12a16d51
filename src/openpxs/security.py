"""Integration secrets are kept only as argon2 hashes."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError

_hasher = PasswordHasher()


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(hash: str, secret: str) -> bool:
    """True if ``secret`` matches ``hash``; any mismatch or unreadable hash is just False.

    Callers check credentials on the request path, where a malformed stored hash must
    mean "not authenticated", never an unhandled error.
    """
    try:
        return _hasher.verify(hash, secret)
    except (Argon2Error, InvalidHashError, TypeError, ValueError):
        return False
