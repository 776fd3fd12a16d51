"""Campaign Feedback Service (campaignfeedback.yaml): 'click to load' campaign rewards.

Both endpoints take the merchantId and a code from the campaign link; they differ only
in how the code is read (services.campaigns explains both forms).
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field

from openpxs.domain.money import from_units
from openpxs.services import campaigns
from openpxs.store.catalog import load_program
from openpxs.wire.context import CallContext
from openpxs.wire.registry import Service, endpoint
from openpxs.wire.types import DecimalOut, FlexInt, ReplyModel, WireModel

CAMPAIGN_FEEDBACK = Service(
    name="campaignfeedback",
    title="Campaign Feedback Service",
    success="success",
    # The documented codes are event_reward.*, not campaignfeedback.*.
    error_prefix="event_reward",
    messages={
        "system_error": "System error",
        "invalid_code": "Invalid code",
        "invalid_merchant": "Invalid merchant",
        "invalid_card": "Invalid card",
        "invalid_account": "Invalid account",
        "invalid_user": "Invalid user",
        "invalid_event": "Invalid event",
        "invalid_wallet_spec": "Invalid wallet specification",
        "invalid_store": "Invalid store",
        "account_not_active": "Account not active",
        "card_not_active": "Card not active",
        "account_not_in_event": "Account not associated to event",
        "reward_already_loaded": "Reward already loaded",
        "transaction_denied": "Unable to load reward",
        # Not in the documented table: a body that is not a LoadReward request at all.
        "invalid_request": "Invalid request",
    },
)
B2B = ("b2b",)
ERRORS = tuple(
    f"event_reward.{reason}"
    for reason in (
        "system_error",
        "invalid_code",
        "invalid_merchant",
        "invalid_card",
        "invalid_account",
        "invalid_event",
        "invalid_wallet_spec",
        "invalid_store",
        "account_not_active",
        "card_not_active",
        "account_not_in_event",
        "reward_already_loaded",
        "transaction_denied",
    )
)


class LoadRewardRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    # An empty or absent code is simply an invalid code, not a malformed request.
    code: str = Field(default="", max_length=campaigns.MAX_CODE_LENGTH * 2)

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class AdjustmentInformation(ReplyModel):
    walletCode: int
    name: str
    amount: DecimalOut
    expiration: str | None = None
    tinyName: str
    shortName: str
    longName: str


class LoadRewardReply(ReplyModel):
    result: str = "success"
    printedCardNumber: str
    adjustmentInformation: list[AdjustmentInformation]


async def _load(
    ctx: CallContext,
    req: LoadRewardRequest,
    read: Callable[[str, str | None], campaigns.CampaignCode],
) -> LoadRewardReply:
    program = await load_program(ctx.conn, ctx.merchant_id)
    code = read(req.code, program.loyalty.campaign_key)
    loaded = await campaigns.load_reward(
        ctx.conn, program, code, ctx.merchant_id, ctx.integration.id, ctx.now
    )
    wallet = loaded.move.wallet
    return LoadRewardReply(
        printedCardNumber=loaded.card_number,
        adjustmentInformation=[
            AdjustmentInformation(
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
    request=LoadRewardRequest,
    reply=LoadRewardReply,
    styles=B2B,
    summary="Load a campaign event's reward (Base64 code)",
    moves_value=True,
    errors=ERRORS,
)
async def load_pending_event_reward(ctx: CallContext, req: LoadRewardRequest) -> LoadRewardReply:
    """Decodes the Base64 code (merchantId, printedCardNumber and eventId as
    name=value pairs) and loads the event's reward onto the card's account, once per
    account and event, as a reversible ledger transaction."""
    return await _load(ctx, req, lambda text, _key: campaigns.decode_code(text))


@endpoint(
    CAMPAIGN_FEEDBACK,
    "loadRewardForEvent",
    request=LoadRewardRequest,
    reply=LoadRewardReply,
    styles=B2B,
    summary="Load a campaign event's reward (encrypted code)",
    moves_value=True,
    errors=ERRORS,
)
async def load_reward_for_event(ctx: CallContext, req: LoadRewardRequest) -> LoadRewardReply:
    """As loadPendingEventReward, but the code is AES-GCM encrypted under the merchant's
    campaign key, so it cannot be forged; without a key every code is invalid_code."""
    return await _load(ctx, req, campaigns.decrypt_code)
