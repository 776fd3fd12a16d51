"""The wire contract cannot change by accident.

The committed API reference (docs/api/openapi.json, written by `make openapi`) must be
what the code serves, and every operation served must be one the shared PXS contract
(../shared/spec) names with the same path and method.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

import openpxs.api  # noqa: F401  (registers every service's endpoints)
from openpxs.wire.openapi import openapi_document
from openpxs.wire.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "docs" / "api" / "openapi.json"
SPEC = Path(os.environ.get("OPENPXS_SPEC_DIR", ROOT.parent / "shared" / "spec"))
# Operations served beyond the shared contract, each with the page that explains why.
EXTENSIONS = {
    # Completes the password reset that requestPasswordReset starts (docs/api/guest-auth.md).
    ("POST", "guestmanagement/resetPassword.json"),
    # The store locator's members as a JSON object, as the mobile guide sends them
    # (store.yaml: accept both; docs/api/places.md).
    ("POST", "store/nearbyLocations.json"),
}


def test_the_committed_reference_is_what_the_code_serves() -> None:
    served = json.loads(json.dumps(openapi_document()))
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert served == committed, (
        "docs/api/openapi.json differs from the served API: run `make openapi` and review "
        "the diff (it is a change of the wire contract)"
    )


def _contract() -> set[tuple[str, str]]:
    assert SPEC.is_dir(), f"the PXS contract is expected in {SPEC} (set OPENPXS_SPEC_DIR)"
    operations: set[tuple[str, str]] = set()
    for file in sorted(SPEC.glob("*.yaml")):
        data: dict[str, Any] = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for endpoint in data.get("endpoints") or []:
            operations.add((str(endpoint["method"]).upper(), str(endpoint["path"])))
    return operations


def test_every_served_operation_is_in_the_contract() -> None:
    contract = _contract()
    served = {(ep.method, ep.path) for ep in REGISTRY.all()}
    assert served - contract == EXTENSIONS
    assert not EXTENSIONS & contract, "an extension the contract now names: drop it here"


def test_the_reference_lists_each_operations_refusals() -> None:
    document = openapi_document()
    add_redeem = document["paths"]["/rest/{release}/transaction/addRedeem.json"]["post"]
    codes = {refusal["code"] for refusal in add_redeem["x-refusals"]}
    assert {"transaction.insufficient_balance", "transaction.card_not_found"} <= codes
    assert "guest.card_not_found" not in codes
    for path in document["paths"].values():
        for operation in path.values():
            if "x-refusals" in operation:
                assert all(r["code"] and r["message"] for r in operation["x-refusals"])
