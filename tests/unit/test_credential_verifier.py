"""Integration credentials: argon2 runs once per credential, not once per call."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from openpxs.demo import install_demo
from openpxs.store.db import create_engine
from openpxs.wire import auth
from openpxs.wire.auth import CredentialVerifier
from openpxs.wire.envelope import ServiceFailure


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count argon2 checks and note the thread each ran on."""
    threads: list[str] = []
    real = auth.verify_secret

    def counted(hashed: str, secret: str) -> bool:
        threads.append(threading.current_thread().name)
        return real(hashed, secret)

    monkeypatch.setattr(auth, "verify_secret", counted)
    return threads


async def _verify_many(url: str, secret: str, calls: int) -> list[Any]:
    await install_demo(url)
    engine = create_engine(url)
    try:
        verifier = CredentialVerifier(engine)
        return await asyncio.gather(
            *(verifier.verify("demo-pos", secret) for _ in range(calls)), return_exceptions=True
        )
    finally:
        await engine.dispose()


def test_concurrent_calls_share_one_check_off_the_event_loop(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = _counting(monkeypatch)
    url = f"sqlite:///{tmp_path / 'verify.db'}"
    results = asyncio.run(_verify_many(url, "demo-pos-secret", 20))
    assert {r.identifier for r in results} == {"demo-pos"}
    assert len(threads) == 1
    assert threads[0] != threading.main_thread().name


def test_a_wrong_secret_fails_every_waiting_call_and_is_not_remembered(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = _counting(monkeypatch)
    url = f"sqlite:///{tmp_path / 'verify.db'}"
    results = asyncio.run(_verify_many(url, "wrong", 5))
    assert all(isinstance(r, ServiceFailure) and r.status == 401 for r in results)
    assert len(threads) == 1
    again = asyncio.run(_verify_many(url, "wrong", 1))
    assert isinstance(again[0], ServiceFailure)
    assert len(threads) == 2


async def _first_caller_gives_up(url: str) -> list[Any]:
    await install_demo(url)
    engine = create_engine(url)
    try:
        verifier = CredentialVerifier(engine)
        calls = [
            asyncio.ensure_future(verifier.verify("demo-pos", "demo-pos-secret")) for _ in range(3)
        ]
        await asyncio.sleep(0)  # all three are waiting on the one check
        calls[0].cancel()
        return await asyncio.gather(*calls, return_exceptions=True)
    finally:
        await engine.dispose()


def test_a_caller_that_goes_away_does_not_cancel_the_check_for_the_others(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = _counting(monkeypatch)
    results = asyncio.run(_first_caller_gives_up(f"sqlite:///{tmp_path / 'verify.db'}"))
    assert isinstance(results[0], asyncio.CancelledError)
    assert [r.identifier for r in results[1:]] == ["demo-pos", "demo-pos"]
    assert len(threads) == 1
