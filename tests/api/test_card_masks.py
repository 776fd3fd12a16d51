"""One card-number mask everywhere: a card's maskedCardNumber is the same in every
service's replies, the contract's documented form (the last six digits)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.guests import body_of, gget
from tests.api.pos import LOYALTY2, POS, activate, balance, ok


def test_transaction_and_guest_services_mask_a_card_alike(client: TestClient) -> None:
    activated = ok(activate(client, LOYALTY2))
    assert activated["maskedCardNumber"] == LOYALTY2[-6:]
    assert ok(balance(client, LOYALTY2))["maskedCardNumber"] == LOYALTY2[-6:]
    info = body_of(
        gget(
            client,
            "guest",
            "accountInformation",
            {"authentication": "b2b", "printedCardNumber": LOYALTY2},
            auth=POS,
        )
    )
    assert info["primaryCard"]["maskedCardNumber"] == activated["maskedCardNumber"]


def test_no_reply_masks_with_stars(client: TestClient) -> None:
    assert "*" not in ok(activate(client, LOYALTY2))["maskedCardNumber"]
