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
import hashlib
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
