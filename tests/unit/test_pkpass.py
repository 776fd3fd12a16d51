"""The .pkpass format rules: the manifest's digests, the pass's fields, the images."""

from __future__ import annotations

import hashlib
import json
import struct
from decimal import Decimal

from openpxs.domain import pkpass

LOOK = pkpass.PassLook(
    pass_type_identifier="pass.org.example",
    team_identifier="TEAM",
    organization_name="Example",
    description="Loyalty card",
    logo_text=None,
    background_color="rgb(10,20,30)",
    foreground_color="rgb(255,255,255)",
    label_color="rgb(1,2,3)",
    web_service_url="https://pxs.example.com/passkit",
)


def test_the_manifest_holds_each_files_hex_sha1() -> None:
    files = {"pass.json": b"{}", "icon.png": b"\x89PNG"}
    listed = json.loads(pkpass.manifest(files))
    assert listed == {name: hashlib.sha1(data).hexdigest() for name, data in files.items()}


def test_a_money_balance_has_a_currency_and_points_a_number_style() -> None:
    document = pkpass.pass_json(
        LOOK,
        serial_number="abc",
        auth_token="t" * 32,
        card_number="7000000000000001",
        guest_name="Ada Lovelace",
        balances=[
            pkpass.PassBalance("wallet2", "Points", Decimal(120)),
            pkpass.PassBalance("wallet1", "Stored Value", Decimal("5.50"), "USD"),
        ],
    )
    card = document["storeCard"]
    assert card["primaryFields"][0]["numberStyle"] == "PKNumberStyleDecimal"
    assert card["secondaryFields"][0]["currencyCode"] == "USD"
    assert {"key": "member", "label": "Member", "value": "Ada Lovelace"} in card["auxiliaryFields"]
    assert document["barcodes"][0]["message"] == "7000000000000001"
    assert "logoText" not in document


def test_the_images_are_pngs_of_the_asked_size() -> None:
    images = pkpass.default_images(LOOK)
    icon = images["icon@2x.png"]
    assert icon.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", icon[16:24]) == (58, 58)
    assert {"icon.png", "logo.png"} <= set(images)
