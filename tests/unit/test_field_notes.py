"""Every model and member of the API reference is described, from the PXS contract."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tools import field_notes

import openpxs.api  # noqa: F401  (registers every service's endpoints)
from openpxs.wire.openapi import openapi_document

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(os.environ.get("OPENPXS_SPEC_DIR", ROOT.parent / "shared" / "spec"))


def _document() -> dict[str, Any]:
    return openapi_document()


def test_every_schema_and_property_has_a_description() -> None:
    schemas = _document()["components"]["schemas"]
    undescribed = [name for name, schema in schemas.items() if not schema.get("description")]
    assert not undescribed
    members = [
        f"{name}.{member}"
        for name, schema in schemas.items()
        for member, spec in schema.get("properties", {}).items()
        if not str(spec.get("description", "")).strip()
    ]
    assert not members, f"{len(members)} members without a description: {members[:20]}"


def test_every_query_parameter_has_a_description() -> None:
    missing = [
        f"{path} {parameter['name']}"
        for path, operations in _document()["paths"].items()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if not str(parameter.get("description", "")).strip()
    ]
    assert not missing


def test_a_member_is_described_in_the_contracts_words() -> None:
    header = _document()["components"]["schemas"]["HeaderInfo-Input"]["properties"]
    assert header["storeCode"]["description"] == (
        "Short code of the store where the transaction happened"
    )


def test_the_committed_notes_are_current_with_the_contract() -> None:
    assert SPEC.is_dir(), f"the PXS contract is expected in {SPEC} (set OPENPXS_SPEC_DIR)"
    committed = field_notes.OUTPUT.read_text(encoding="utf-8")
    assert committed == field_notes.render(SPEC), (
        "src/openpxs/api/field_notes.json is stale: run `python -m tools.field_notes`"
    )


def test_where_a_note_comes_from_is_left_out() -> None:
    assert field_notes.clean("documented - merchant to operate in") == "Merchant to operate in"
    assert field_notes.clean("seen in client code; card to activate") == "Card to activate"
    assert field_notes.clean("card to activate; seen in client code") == "Card to activate"
    assert field_notes.clean("third-party spec only") == ""
