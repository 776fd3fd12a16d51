"""Google Wallet Service (googlewallet.yaml): a card's loyalty object and the signed
Save to Google Wallet token."""

from __future__ import annotations

from openpxs.api.googlewallet import models as m
from openpxs.api.googlewallet.errors import GOOGLEWALLET, STYLES
from openpxs.domain.errors import Reason
from openpxs.services import wallet_passes
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

ERRORS = (Reason.CARD_NOT_FOUND, Reason.WALLET_NOT_CONFIGURED)


@endpoint(
    GOOGLEWALLET,
    "generateSaveToAndroidPayJWT",
    method="POST",
    request=m.GenerateJwtRequest,
    reply=m.GenerateJwtReply,
    styles=STYLES,
    summary="Save to Google Wallet token of a card",
    errors=ERRORS,
)
async def generate_jwt(ctx: CallContext, req: m.GenerateJwtRequest) -> m.GenerateJwtReply:
    """An RS256 JWT (iss: the service account's e-mail, aud google, typ savetowallet,
    origins: [url]) holding the card's loyalty object, signed with the merchant's
    service-account key; with the configured button theme and size and the object id
    (code). The object id is made on the card's first call and kept."""
    made = await wallet_passes.save_token(ctx, req.printedCardNumber, req.url)
    return m.GenerateJwtReply(jwt=made.jwt, theme=made.theme, size=made.size, code=made.object_id)


@endpoint(
    GOOGLEWALLET,
    "generateSaveToAndroidPayLoyaltyObject",
    method="POST",
    request=m.LoyaltyObjectRequest,
    reply=m.LoyaltyObjectReply,
    styles=STYLES,
    summary="Google Wallet loyalty object of a card",
    errors=ERRORS,
)
async def loyalty_object(ctx: CallContext, req: m.LoyaltyObjectRequest) -> m.LoyaltyObjectReply:
    """The data a client needs to create the card's loyalty object itself: class and
    object ids, card number, guest name, QR code barcode of the card number and the
    first balance of the card's template that is not money (the first one when all
    are) as loyaltyPoints."""
    found = await wallet_passes.google_object(ctx, req.printedCardNumber)
    return m.LoyaltyObjectReply(
        classId=found.class_id,
        objectId=found.object_id,
        accountId=found.account_id,
        accountName=found.account_name,
        barcodeType=found.barcode_type,
        barcodeValue=found.barcode_value,
        loyaltyPoints=found.points,
    )
