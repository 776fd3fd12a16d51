"""Loading campaign rewards below HTTP: programs no configuration file can produce."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openpxs.config.loyalty import CampaignEvent
from openpxs.domain.campaigns import CampaignCode
from openpxs.domain.clock import ShiftedClock
from openpxs.domain.errors import DomainError, Reason
from openpxs.services.campaign_rewards import load_reward
from openpxs.store.uow import UnitOfWork
from tests.api.guest_state import nothing_changes
from tests.api.pos import LOYALTY, activate
from tests.services.conftest import merchant_call


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"wallet": 99}, Reason.INVALID_WALLET_SPEC),
        ({"store": "nowhere"}, Reason.INVALID_STORE),
    ],
)
def test_an_event_naming_what_the_program_lacks_loads_nothing(
    client: TestClient,
    in_unit_of_work: Callable[..., Any],
    fields: dict[str, Any],
    reason: Reason,
) -> None:
    """`config apply` refuses such an event, so only a program built in code has one;
    the use case still refuses it cleanly rather than failing halfway."""
    activate(client, LOYALTY)
    broken = CampaignEvent.model_validate(
        {"id": "PROMO", "name": "Promo", "wallet": 3, "quantity": 1, **fields}
    )

    async def work(uow: UnitOfWork) -> None:
        call = await merchant_call(uow, ShiftedClock().now())
        loyalty = call.program.loyalty.model_copy(update={"events": [broken]})
        call.program = dataclasses.replace(call.program, loyalty=loyalty)
        with pytest.raises(DomainError) as refused:
            await load_reward(call, CampaignCode(1000, LOYALTY, "PROMO"))
        assert refused.value.reason == reason
        assert refused.value.members == {"printedCardNumber": LOYALTY}

    with nothing_changes(client):
        in_unit_of_work(work)
