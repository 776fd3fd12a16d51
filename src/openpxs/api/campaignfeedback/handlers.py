"""Campaign Feedback Service (campaignfeedback.yaml): 'click to load' campaign rewards.

Both endpoints take the merchantId and a code from the campaign link; they differ only
in how the code is read (domain.campaigns explains both forms).
"""

from __future__ import annotations

from collections.abc import Callable

from openpxs.api.campaignfeedback import models as m
from openpxs.api.campaignfeedback.errors import B2B, CAMPAIGN_FEEDBACK, LOAD_REFUSALS
from openpxs.domain import campaigns
from openpxs.domain.money import from_units
from openpxs.services.campaign_rewards import load_reward
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


async def _load(
    ctx: CallContext,
    req: m.LoadRewardRequest,
    read: Callable[[str, str | None], campaigns.CampaignCode],
) -> m.LoadRewardReply:
    code = read(req.code, ctx.program.loyalty.campaign_key)
    loaded = await load_reward(ctx, code)
    wallet = loaded.move.wallet
    return m.LoadRewardReply(
        printedCardNumber=loaded.card_number,
        adjustmentInformation=[
            m.AdjustmentInformation(
                walletCode=wallet.code,
                name=wallet.name,
                amount=from_units(loaded.move.units, wallet.scale),
                expiration=loaded.move.expires_on.isoformat() if loaded.move.expires_on else None,
                tinyName=wallet.name,
                shortName=wallet.name,
                longName=loaded.event.name,
            )
        ],
    )


@endpoint(
    CAMPAIGN_FEEDBACK,
    "loadPendingEventReward",
    request=m.LoadRewardRequest,
    reply=m.LoadRewardReply,
    styles=B2B,
    summary="Load a campaign event's reward (Base64 code)",
    moves_value=True,
    errors=LOAD_REFUSALS,
)
async def load_pending_event_reward(
    ctx: CallContext, req: m.LoadRewardRequest
) -> m.LoadRewardReply:
    """Decodes the Base64 code (merchantId, printedCardNumber and eventId as
    name=value pairs) and loads the event's reward onto the card's account, once per
    account and event, as a reversible ledger transaction."""
    return await _load(ctx, req, lambda text, _key: campaigns.decode_code(text))


@endpoint(
    CAMPAIGN_FEEDBACK,
    "loadRewardForEvent",
    request=m.LoadRewardRequest,
    reply=m.LoadRewardReply,
    styles=B2B,
    summary="Load a campaign event's reward (encrypted code)",
    moves_value=True,
    errors=LOAD_REFUSALS,
)
async def load_reward_for_event(ctx: CallContext, req: m.LoadRewardRequest) -> m.LoadRewardReply:
    """As loadPendingEventReward, but the code is AES-GCM encrypted under the merchant's
    campaign key, so it cannot be forged; without a key every code is invalid_code."""
    return await _load(ctx, req, campaigns.decrypt_code)
