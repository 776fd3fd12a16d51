"""Campaign Feedback Service: 'click to load' rewards (campaignfeedback.yaml)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from openpxs.config.loyalty import CampaignEvent
from openpxs.domain.campaigns import CampaignCode, encode_code, encrypt_code, pairs_text
from openpxs.domain.clock import ShiftedClock, local_date
from openpxs.store.tables import accounts, event_loads
from tests.api.guest_state import audit_clean, nothing_changes
from tests.api.pos import (
    GIFT,
    LOYALTY,
    LOYALTY2,
    POS,
    UNKNOWN_CARD,
    activate,
    call,
    card,
    header,
    history,
    refused,
    run_db,
    sell,
    wallets,
)
from tests.program_config import as_yaml, program_editor

BASE = "/rest/24.11/campaignfeedback"
KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(1, 33))).decode()


def load(
    client: TestClient, code: str, operation: str = "loadPendingEventReward", **extra: Any
) -> dict[str, Any]:
    body = {"authentication": "b2b", "merchantId": 1000, "code": code, **extra}
    response = client.post(f"{BASE}/{operation}.json", json=body, auth=POS)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def encrypted(client: TestClient, code: str) -> dict[str, Any]:
    return load(client, code, "loadRewardForEvent")


def code_for(number: str = LOYALTY, event: str = "BIRTHDAY", merchant: int = 1000) -> str:
    return encode_code(CampaignCode(merchant, number, event))


def loyalty_balances(client: TestClient, number: str = LOYALTY) -> dict[int, str]:
    body = {"headerInfo": header(programId="LP"), "cardInfo": card(number)}
    return wallets(call(client, "balanceInquiry", body))


def failed(reply: dict[str, Any], code: str, number: str | None = None) -> None:
    refused(reply, code)
    assert reply.get("printedCardNumber") == number, reply
    assert "adjustmentInformation" not in reply


@pytest.fixture
def program_with(client: TestClient) -> Iterator[Callable[..., None]]:
    """Apply the demo program with other events or a campaign key (the demo has none)."""
    with program_editor(client) as change:

        def install(**loyalty: Any) -> None:
            def edit(data: dict[str, Any]) -> None:
                for name, value in loyalty.items():
                    items = value if isinstance(value, list) else None
                    data["loyalty"][name] = [as_yaml(i) for i in items] if items else value

            change(edit)

        yield install


def event(**fields: Any) -> CampaignEvent:
    return CampaignEvent.model_validate(
        {"id": "PROMO", "name": "Promo reward", "wallet": 3, "quantity": 1, **fields}
    )


# --- the encoded code ------------------------------------------------------------------


def test_load_adds_the_event_reward_once(client: TestClient, clock: ShiftedClock) -> None:
    activate(client, LOYALTY)
    reply = load(client, code_for())
    expires = local_date(clock.now(), "America/New_York") + timedelta(days=30)
    assert reply == {
        "result": "success",
        "printedCardNumber": LOYALTY,
        "adjustmentInformation": [
            {
                "walletCode": 3,
                "name": "$5 Reward",
                "amount": "1",
                "expiration": expires.isoformat(),
                "tinyName": "$5 Reward",
                "shortName": "$5 Reward",
                "longName": "Birthday $5 Reward",
            }
        ],
    }
    assert loyalty_balances(client)[3] == "1"
    entry = history(client, LOYALTY)["transactions"][0]
    assert entry["transactionType"] == "campaignLoad"
    audit_clean(client)
    with nothing_changes(client):
        failed(load(client, code_for()), "event_reward.reward_already_loaded", LOYALTY)
    assert loyalty_balances(client)[3] == "1"


def test_code_forms_base64_alphabets_and_padding(client: TestClient) -> None:
    activate(client, LOYALTY)
    text = pairs_text(CampaignCode(1000, LOYALTY, "BIRTHDAY")).encode()
    padded_standard = base64.b64encode(text).decode()
    assert load(client, padded_standard)["result"] == "success"
    activate(client, LOYALTY2)
    other = pairs_text(CampaignCode(1000, LOYALTY2, "BIRTHDAY")).encode()
    unpadded_urlsafe = base64.urlsafe_b64encode(other).decode().rstrip("=")
    assert load(client, unpadded_urlsafe)["result"] == "success"


def test_once_per_account_across_its_cards(client: TestClient) -> None:
    activate(client, LOYALTY)
    assert load(client, code_for())["result"] == "success"
    exchanged = call(
        client,
        "exchange",
        {
            "headerInfo": header(programId="LP"),
            "cardInfo": card(LOYALTY),
            "newCardInfo": card(LOYALTY2),
        },
    )
    assert exchanged["result"] == "authorizedSuccess"
    with nothing_changes(client):
        failed(load(client, code_for(LOYALTY2)), "event_reward.reward_already_loaded", LOYALTY2)


def test_a_reversed_load_can_be_loaded_again(client: TestClient) -> None:
    activate(client, LOYALTY)
    assert load(client, code_for())["result"] == "success"
    txn = history(client, LOYALTY)["transactions"][0]["transactionIdLong"]
    reversed_ = call(client, "reverse", {"headerInfo": header(), "pxTransactionId": txn})
    assert reversed_["result"] == "authorizedSuccess"
    assert loyalty_balances(client)[3] == "0"
    audit_clean(client)
    assert load(client, code_for())["result"] == "success"
    assert loyalty_balances(client)[3] == "1"
    rows = run_db(client, lambda conn: _event_loads(conn))
    assert len(rows) == 1
    audit_clean(client)


async def _event_loads(conn: Any) -> list[Any]:
    return list((await conn.execute(select(event_loads))).all())


@pytest.mark.parametrize(
    ("code", "error", "number"),
    [
        ("", "event_reward.invalid_code", None),
        ("!!not base64!!", "event_reward.invalid_code", None),
        (base64.b64encode(b"\xff\xfe\xfd").decode(), "event_reward.invalid_code", None),
        (base64.b64encode(b"just text").decode(), "event_reward.invalid_code", None),
        (
            base64.b64encode(f"merchantId=1000&printedCardNumber={LOYALTY}".encode()).decode(),
            "event_reward.invalid_code",
            LOYALTY,
        ),
        (
            base64.b64encode(
                f"merchantId=x&printedCardNumber={LOYALTY}&eventId=BIRTHDAY".encode()
            ).decode(),
            "event_reward.invalid_code",
            LOYALTY,
        ),
        (
            base64.b64encode(
                b"merchantId=1000&merchantId=1000&printedCardNumber=1&eventId=BIRTHDAY"
            ).decode(),
            "event_reward.invalid_code",
            None,
        ),
        (code_for(merchant=2000), "event_reward.invalid_merchant", LOYALTY),
        (code_for(UNKNOWN_CARD), "event_reward.invalid_card", UNKNOWN_CARD),
        (code_for(LOYALTY2), "event_reward.card_not_active", LOYALTY2),
        (code_for(event="NOPE"), "event_reward.invalid_event", LOYALTY),
        (code_for(GIFT), "event_reward.account_not_in_event", GIFT),
    ],
)
def test_refusals_change_nothing(
    client: TestClient, code: str, error: str, number: str | None
) -> None:
    activate(client, LOYALTY)
    sell(client, GIFT)  # a gift card's account has no loyalty wallets
    with nothing_changes(client):
        failed(load(client, code), error, number)
    audit_clean(client)


def test_a_suspended_account_is_not_active(client: TestClient) -> None:
    activate(client, LOYALTY)

    async def suspend(conn: Any) -> None:
        await conn.execute(update(accounts).values(status="suspended"))

    run_db(client, suspend)
    with nothing_changes(client):
        failed(load(client, code_for()), "event_reward.account_not_active", LOYALTY)


def test_the_credentials_merchant_only(client: TestClient) -> None:
    activate(client, LOYALTY)
    with nothing_changes(client):
        refused(load(client, code_for(), merchantId=2000), "event_reward.invalid_merchant")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"quantity": "1.5"}, "event_reward.invalid_wallet_spec"),  # wallet 3 has scale 0
        ({"templates": [2]}, "event_reward.account_not_in_event"),
    ],
)
def test_broken_or_narrow_event_setups(
    client: TestClient, program_with: Callable[..., None], fields: dict[str, Any], error: str
) -> None:
    program_with(events=[event(**fields)])
    activate(client, LOYALTY)
    with nothing_changes(client):
        failed(load(client, code_for(event="PROMO")), error, LOYALTY)


def test_an_event_for_the_cards_template_without_expiry(
    client: TestClient, program_with: Callable[..., None]
) -> None:
    program_with(events=[event(templates=[1], quantity=2, store="1002")])
    activate(client, LOYALTY)
    reply = load(client, code_for(event="PROMO"))
    (info,) = reply["adjustmentInformation"]
    assert (info["amount"], info["longName"]) == ("2", "Promo reward")
    assert "expiration" not in info
    assert loyalty_balances(client)[3] == "2"
    assert history(client, LOYALTY)["transactions"][0]["storeCode"] == "1002"
    audit_clean(client)


# --- the encrypted code ----------------------------------------------------------------


def test_encrypted_code_loads_with_the_merchant_key(
    client: TestClient, program_with: Callable[..., None]
) -> None:
    program_with(campaign_key=KEY)
    activate(client, LOYALTY)
    code = encrypt_code(CampaignCode(1000, LOYALTY, "BIRTHDAY"), KEY)
    reply = encrypted(client, code)
    assert reply["result"] == "success" and reply["printedCardNumber"] == LOYALTY
    assert loyalty_balances(client)[3] == "1"
    with nothing_changes(client):
        failed(encrypted(client, code), "event_reward.reward_already_loaded", LOYALTY)
    audit_clean(client)


def test_encrypted_codes_cannot_be_forged(
    client: TestClient, program_with: Callable[..., None]
) -> None:
    program_with(campaign_key=KEY)
    activate(client, LOYALTY)
    genuine = encrypt_code(CampaignCode(1000, LOYALTY, "BIRTHDAY"), KEY)
    raw = bytearray(base64.urlsafe_b64decode(genuine + "=" * (-len(genuine) % 4)))
    raw[-1] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()
    with nothing_changes(client):
        for code in (
            tampered,
            encrypt_code(CampaignCode(1000, LOYALTY, "BIRTHDAY"), OTHER_KEY),
            code_for(),  # the plain encoded form is not accepted here
            "c2hvcnQ",  # too short to hold a nonce
            "",
        ):
            failed(encrypted(client, code), "event_reward.invalid_code")


def test_without_a_campaign_key_every_encrypted_code_is_invalid(client: TestClient) -> None:
    """The demo merchant has no key configured."""
    activate(client, LOYALTY)
    with nothing_changes(client):
        code = encrypt_code(CampaignCode(1000, LOYALTY, "BIRTHDAY"), KEY)
        failed(encrypted(client, code), "event_reward.invalid_code")


def test_a_key_that_is_not_an_aes_key_is_a_system_error(
    client: TestClient, program_with: Callable[..., None]
) -> None:
    program_with(campaign_key=base64.b64encode(bytes(40)).decode())
    activate(client, LOYALTY)
    code = encrypt_code(CampaignCode(1000, LOYALTY, "BIRTHDAY"), KEY)
    with nothing_changes(client):
        failed(encrypted(client, code), "event_reward.system_error")
