"""The API reference's examples are real: every recorded call is made against the demo
and must answer what was recorded (the placeholders aside).

To record a sequence again after a deliberate change of the API, run
``OPENPXS_RECORD_EXAMPLES=1 pytest tests/api/test_examples.py`` and review the diff of
src/openpxs/api/examples/.
"""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

import openpxs.api  # noqa: F401  (registers every service's endpoints)
from openpxs.wire.examples import sequences
from openpxs.wire.openapi import openapi_document
from openpxs.wire.registry import REGISTRY
from tests.api.examples import record, run
from tests.conftest import reset

RECORDING = os.environ.get("OPENPXS_RECORD_EXAMPLES") == "1"


# The sequences read codes from the messages they make: the worker must not send (and
# empty) them first.
@pytest.mark.usefixtures("quiet_worker")
@pytest.mark.parametrize("sequence", sequences(), ids=lambda s: s.name)
def test_the_examples_answer_what_was_recorded(client: TestClient, sequence: object) -> None:
    if RECORDING:
        record(client, sequence, reset)  # type: ignore[arg-type]
        reset(client)
    problems = run(client, sequence)  # type: ignore[arg-type]
    assert not problems, "\n".join(problems)


def test_every_operation_has_an_example() -> None:
    recorded = {
        (step.method, step.path)
        for sequence in sequences()
        for step in sequence.steps
        if step.reply is not None
    }
    missing = sorted(
        f"{ep.method} {ep.path}" for ep in REGISTRY.all() if (ep.method, ep.path) not in recorded
    )
    assert not missing, f"{len(missing)} operations without an example: {missing}"


def test_every_example_calls_a_served_operation() -> None:
    served = {(ep.method, ep.path) for ep in REGISTRY.all()}
    for sequence in sequences():
        for step in sequence.steps:
            assert step.take_code or (step.method, step.path) in served, step.id


def test_the_reference_shows_each_operations_examples() -> None:
    document = openapi_document()
    for ep in REGISTRY.all():
        operation = document["paths"][f"/rest/{{release}}/{ep.path}"][ep.method.lower()]
        replies = operation["responses"]["200"]["content"]["application/json"]
        assert replies.get("examples"), f"{ep.method} {ep.path} shows no reply example"
        if ep.method == "POST":
            body = operation["requestBody"]["content"]["application/json"]
            assert body.get("examples"), f"{ep.method} {ep.path} shows no request example"
        else:
            assert any(p.get("examples") for p in operation["parameters"][1:]), ep.path
