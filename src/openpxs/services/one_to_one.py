"""The One To One cadence (onetoone.yaml): how far an account is from its next reward.

Visits are the units the cadence's visit wallet has been credited over the account's
life by transactions that still stand (a reversed visit does not count; redeeming or
expiring the wallet does not lower it). Rewards are granted by the earning rules when a
visit posts, not here: this service only reads.
"""

from __future__ import annotations

from datetime import UTC, datetime

from openpxs.config.outreach import OneToOneConfig
from openpxs.domain.cadence import CadencePosition, position
from openpxs.domain.errors import Reason, Refused
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card
from openpxs.services.standing import earned_since

BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


async def cadence_of(call: Call, card: str | None) -> tuple[OneToOneConfig, int]:
    """The cadence the card's account follows, and the account's id."""
    ref = await account_by_card(call, card)
    cadence = call.program.outreach.one_to_one
    if cadence is None or (
        cadence.card_templates and ref.template_code not in cadence.card_templates
    ):
        raise Refused(Reason.NO_CADENCE)
    return cadence, ref.account_id


async def progress(call: Call, card: str | None) -> CadencePosition:
    cadence, account_id = await cadence_of(call, card)
    earned = await earned_since(call.uow, call.program, account_id, cadence.visit_wallet, BEGINNING)
    return position(int(earned), [r.visits for r in cadence.rungs], cadence.cycle)
