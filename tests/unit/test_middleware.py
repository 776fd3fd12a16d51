"""Which faults become which envelope."""

from __future__ import annotations

import json

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from openpxs.wire.envelope import ServiceFailure
from openpxs.wire.middleware import failure_for


def test_database_trouble_is_a_503_and_other_faults_a_500() -> None:
    for exc, status, code in (
        (PoolTimeout("QueuePool limit reached"), 503, "system.unavailable"),
        (OperationalError("SELECT 1", {}, ConnectionRefusedError()), 503, "system.unavailable"),
        (ConnectionResetError(), 503, "system.unavailable"),
        (RuntimeError("bug"), 500, "system.system_error"),
    ):
        failure = failure_for(exc)
        assert (failure.status, failure.code) == (status, code)
        body = json.loads(failure.response().body)
        assert body["result"] == "failure" and body["errorCode"] == code


def test_a_service_failure_passes_through() -> None:
    refusal = ServiceFailure("transaction.invalid_request", "Invalid request")
    assert failure_for(refusal) is refusal
