"""Each operation of the API reference lists its exact refusals, readably: a table in
its description (Swagger UI and ReDoc render it) and a response per HTTP status."""

from __future__ import annotations

import openpxs.api  # noqa: F401  (registers every service's endpoints)
from openpxs.wire.openapi import openapi_document, refusals_of
from openpxs.wire.registry import REGISTRY


def test_every_refusal_is_a_row_of_its_operations_table() -> None:
    document = openapi_document()
    for ep in REGISTRY.all():
        operation = document["paths"][f"/rest/{{release}}/{ep.path}"][ep.method.lower()]
        description = operation["description"]
        assert "| HTTP | errorCode | result | errorMessage |" in description, ep.path
        for refusal in refusals_of(ep):
            row = f"| {refusal['status']} | `{refusal['code']}` | {refusal['result']} |"
            assert row in description, (ep.path, refusal)


def test_every_refusal_status_is_a_response_naming_its_codes() -> None:
    document = openapi_document()
    for ep in REGISTRY.all():
        operation = document["paths"][f"/rest/{{release}}/{ep.path}"][ep.method.lower()]
        for refusal in refusals_of(ep):
            response = operation["responses"][str(refusal["status"])]
            assert f"`{refusal['code']}`" in response["description"], (ep.path, refusal)


def test_a_declared_business_refusal_is_listed_with_its_status() -> None:
    operation = openapi_document()["paths"]["/rest/{release}/transaction/addRedeem.json"]["post"]
    assert (
        "| 200 | `transaction.insufficient_balance` | userDataError | Insufficient balance |"
        in operation["description"]
    )
    assert "`system.authentication_failed`" in operation["responses"]["401"]["description"]


def test_descriptions_do_not_start_lines_with_code_block_indentation() -> None:
    for path in openapi_document()["paths"].values():
        for operation in path.values():
            for line in operation.get("description", "").splitlines():
                assert not line.startswith("    "), line
