"""Check Service: price-match discounts (upload and reads) and reward details.

These endpoints describe the merchant's configuration to a POS or ordering site; none
of them moves value. Price-match records live in ``price_match_discounts``
(services.price_match); reward details come from the loyalty configuration.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpxs.api.check import models as mc
from openpxs.api.check.errors import B2B, CHECK
from openpxs.config.loyalty import RewardDefinition
from openpxs.domain.earning import DISCOUNT_TYPES
from openpxs.domain.errors import InvalidRequest, Reason
from openpxs.domain.price_match import PriceMatch
from openpxs.domain.program import Program, WalletDef
from openpxs.services import price_match
from openpxs.wire.context import CallContext
from openpxs.wire.limits import CHECK_BODY_LIMIT
from openpxs.wire.registry import endpoint


@endpoint(
    CHECK,
    "priceMatchDiscounts",
    request=mc.PostPriceMatchDiscountsRequest,
    body_limit=CHECK_BODY_LIMIT,
    reply=mc.CheckPostReply,
    styles=B2B,
    summary="Upload a store's price-match discounts",
    errors=(Reason.INVALID_STORE,),
)
async def post_price_match_discounts(
    ctx: CallContext, req: mc.PostPriceMatchDiscountsRequest
) -> mc.CheckPostReply:
    """Replaces the store's price-per-unit discounts with this list (an empty list clears
    it). Times without a zone are the merchant's local time; one item may not have two
    discounts in force at the same instant."""
    program = ctx.program
    program.store(req.storeCode)
    records = []
    for index, record in enumerate(req.priceMatchDiscounts):
        where = f"priceMatchDiscounts.{index}"
        if record.storeCode is not None and record.storeCode != req.storeCode:
            raise InvalidRequest(f"{where}.storeCode is not the request's storeCode")
        records.append(
            PriceMatch(
                store_code=req.storeCode,
                item_id=record.itemId,
                discount_per_unit=record.discountPerUnit,
                start_at=price_match.parse_datetime(
                    program, record.startDatetime, f"{where}.startDatetime"
                ),
                end_at=price_match.parse_datetime(
                    program, record.endDatetime, f"{where}.endDatetime"
                ),
            )
        )
    await price_match.replace_store_list(ctx.uow, program, req.storeCode, records)
    return mc.CheckPostReply()


def _local(program: Program, instant: datetime | None) -> str | None:
    # Replies carry DateTime as ISO 8601 with the offset (encoding.yaml), in the
    # merchant's time zone so that it reads as the store's clock.
    if instant is None:
        return None
    return instant.astimezone(ZoneInfo(program.timezone)).isoformat()


def _shown(value: Decimal) -> Decimal:
    """Money-like: two places, or up to four when the discount needs them (0.125)."""
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value.normalize()


def _price_match_reply(program: Program, found: list[PriceMatch]) -> mc.PriceMatchDiscountsReply:
    return mc.PriceMatchDiscountsReply(
        priceMatchDiscounts=[
            mc.PriceMatchDiscountOut(
                itemId=r.item_id,
                discountPerUnit=_shown(r.discount_per_unit),
                startDatetime=_local(program, r.start_at),
                endDatetime=_local(program, r.end_at),
                storeCode=r.store_code,
            )
            for r in found
        ]
    )


@endpoint(
    CHECK,
    "priceMatchDiscounts",
    method="GET",
    request=mc.StorePriceMatchDiscountsRequest,
    reply=mc.PriceMatchDiscountsReply,
    styles=B2B,
    summary="One store's price-match discounts",
    errors=(Reason.INVALID_STORE,),
)
async def get_price_match_discounts(
    ctx: CallContext, req: mc.StorePriceMatchDiscountsRequest
) -> mc.PriceMatchDiscountsReply:
    """The price-per-unit discounts stored for one store, in upload order."""
    program = ctx.program
    return _price_match_reply(program, await price_match.stored(ctx.uow, program, req.storeCode))


@endpoint(
    CHECK,
    "allPriceMatchDiscounts",
    method="GET",
    request=mc.AllPriceMatchDiscountsRequest,
    reply=mc.PriceMatchDiscountsReply,
    styles=B2B,
    summary="Every store's price-match discounts",
    errors=(),
)
async def all_price_match_discounts(
    ctx: CallContext, req: mc.AllPriceMatchDiscountsRequest
) -> mc.PriceMatchDiscountsReply:
    """The price-per-unit discounts of every store of the merchant, each with its
    storeCode, ordered by store and then upload order."""
    program = ctx.program
    return _price_match_reply(program, await price_match.stored(ctx.uow, program))


@endpoint(
    CHECK,
    "rewardDetails",
    method="GET",
    request=mc.RewardDetailsRequest,
    reply=mc.RewardDetailsReply,
    styles=B2B,
    summary="Describe reward wallets",
    errors=(),
)
async def reward_details(ctx: CallContext, req: mc.RewardDetailsRequest) -> mc.RewardDetailsReply:
    """Names, descriptions and discounts of the merchant's rewards: every wallet with a
    reward definition and every wallet of kind reward, by walletCode. walletCodes
    narrows the list; a code that is not a reward is an invalid request."""
    program = ctx.program
    rewards = _rewards(program)
    if req.walletCodes:
        unknown = sorted({code for code in req.walletCodes if code not in rewards})
        if unknown:
            listed = ", ".join(str(code) for code in unknown)
            raise InvalidRequest(f"walletCodes: {listed} is not a reward wallet")
        wanted = set(req.walletCodes)
        rewards = {code: detail for code, detail in rewards.items() if code in wanted}
    return mc.RewardDetailsReply(rewards=[rewards[code] for code in sorted(rewards)])


def _rewards(program: Program) -> dict[int, mc.RewardDetail]:
    definitions = {r.wallet: r.definition for r in program.loyalty.rewards}
    details = {}
    for wallet in program.wallets.values():
        definition = definitions.get(wallet.code)
        if definition is not None or wallet.kind == "reward":
            details[wallet.code] = _detail(wallet, definition)
    return details


def _detail(wallet: WalletDef, definition: RewardDefinition | None) -> mc.RewardDetail:
    detail = mc.RewardDetail(
        walletCode=wallet.code, name=wallet.name, description=wallet.description
    )
    if definition is not None:
        # RewardDetail.discountType (check.yaml): how the discount applies, as the
        # rules engine groups it (ITEM, MULTI_ITEM, SUBTOTAL, SERVICE_CHARGE).
        detail.discountType = DISCOUNT_TYPES[definition.kind]
        detail.discountAmount = definition.amount
        detail.discountPercent = definition.percent
    return detail
