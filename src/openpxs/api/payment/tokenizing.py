"""Payment Service (payment.yaml): what a client needs to tokenize a card."""

from __future__ import annotations

from openpxs.api.payment import models as m
from openpxs.api.payment.errors import PAYMENT
from openpxs.domain.errors import Reason as R
from openpxs.services.card_tokenizing import spreedly_iframe
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    PAYMENT,
    "spreedlyIframeParams",
    method="GET",
    request=m.MerchantRequest,
    reply=m.SpreedlyIframeParamsReply,
    styles=("b2b", "oauth", "anonymous"),
    summary="Fresh parameters for one Spreedly iFrame tokenization",
    errors=(R.PAYMENTS_NOT_CONFIGURED,),
)
async def spreedly_iframe_params(
    ctx: CallContext, req: m.MerchantRequest
) -> m.SpreedlyIframeParamsReply:
    """Ask before every tokenization and never reuse the answer: the nonce is new each
    time. The signature is made with the certificate the merchant uploaded to Spreedly;
    a merchant whose processor is not Spreedly is not configured."""
    params = spreedly_iframe(ctx.program.payments, ctx.now)
    return m.SpreedlyIframeParamsReply(
        environmentKey=params.environment_key,
        nonce=params.nonce,
        timestamp=params.timestamp,
        certificateToken=params.certificate_token,
        signature=params.signature,
    )
