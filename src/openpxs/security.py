"""Passwords and integration secrets are kept only as argon2 hashes.

Argon2 is slow on purpose (tens of milliseconds of CPU, more on a busy machine). Run on
the event loop, every check stalls every other call of the process, so a flood of wrong
passwords would starve the POS calls. The request path therefore hashes and checks
only through ``hash_password_off_loop`` and ``check_password_off_loop``: in a worker
thread (argon2 releases the GIL), and at most ``password_checks`` at a time per
process, so a flood queues for the checks instead of taking every core.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import weakref
from contextvars import ContextVar

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError

_hasher = PasswordHasher()

DEFAULT_CONCURRENT_CHECKS = 2
_limit = DEFAULT_CONCURRENT_CHECKS
# Checks a call made before its transaction opened (``check_ahead``), so that the same
# check inside the transaction costs nothing: on SQLite a transaction holds the one
# write lock, and argon2 inside it would make every other call wait behind it.
_ahead: ContextVar[dict[tuple[str, bytes], bool] | None] = ContextVar("ahead", default=None)
# One semaphore per event loop: a semaphore belongs to the loop it first waited on, and
# tests (and the CLI) run more than one loop in a process.
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


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


def limit_password_checks(concurrent: int) -> None:
    """How many argon2 hashes or checks may run at once in this process (settings)."""
    global _limit
    _limit = max(1, concurrent)
    _gates.clear()


def _gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(_limit)
    return gate


async def hash_password_off_loop(secret: str) -> str:
    async with _gate():
        return await asyncio.to_thread(hash_secret, secret)


def _key(hash: str, secret: str) -> tuple[str, bytes]:
    return hash, hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


_decoy: str | None = None


async def decoy_hash() -> str:
    """The hash of a secret no one knows, checked in place of a missing one so that an
    unknown name costs the same time as a known one. Made on first use, off the event
    loop, by the hasher in use: a process that never checks a password (every CLI
    command but a few) does not pay for it at start, as it did when it was made on
    import."""
    global _decoy
    if _decoy is None:
        _decoy = await hash_password_off_loop(secrets.token_hex(16))
    return _decoy


async def check_password_off_loop(hash: str, secret: str) -> bool:
    done = _ahead.get()
    if done is not None and (found := done.get(_key(hash, secret))) is not None:
        return found
    async with _gate():
        return await asyncio.to_thread(verify_secret, hash, secret)


async def check_ahead(hash: str, secret: str) -> None:
    """Check now, outside any transaction, and remember the answer for this call (its
    task) only; ``check_password_off_loop`` with the same hash and secret returns it."""
    ok = await check_password_off_loop(hash, secret)
    done = _ahead.get()
    if done is None:
        done = {}
        _ahead.set(done)
    done[_key(hash, secret)] = ok


# --- keyed digests of codes kept at rest ------------------------------------------------
#
# Registration codes are printed on cards and typed by guests: short, so a plain hash
# of one is reversed by trying them all. They are kept as an HMAC under the server's
# secret key (settings.secret_key), over the card number too, so a copy of the database
# without the key tells nothing, and equal codes on two cards look different.

SEALED_PREFIX = "rc1$"
_server_key: bytes | None = None


def use_server_key(key: str) -> None:
    """The key of the digests (the server's settings; a CLI process reads its own)."""
    global _server_key
    _server_key = key.encode()


def _digest_key() -> bytes:
    if _server_key is None:
        from openpxs.settings import Settings

        use_server_key(Settings().secret_key)
    assert _server_key is not None
    return _server_key


def seal_registration_code(card_number: str, code: str) -> str:
    """What is stored for a card's registration code (fits the 64-character column)."""
    message = f"{card_number}\0{code}".encode("utf-8", "surrogatepass")
    digest = hmac.new(_digest_key(), message, hashlib.sha256).digest()
    return SEALED_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


def keyed_digest(text: str) -> str:
    """A keyed digest of a one-time code (hex, 64 characters)."""
    return hmac.new(
        _digest_key(), text.encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()
