"""Payment Service (payment.yaml): payment methods kept on a card's account."""

from __future__ import annotations

from openpxs.api.payment import models as m
from openpxs.api.payment.errors import PAYMENT, STYLES
from openpxs.api.payment.handlers import address_of, saved_card_view
from openpxs.domain.errors import Reason as R
from openpxs.services import payment_methods as methods
from openpxs.store.repositories.payment_methods import StoredMethod
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


def _method(kept: StoredMethod) -> m.SavedPaymentMethod:
    shown = saved_card_view(kept)
    return m.SavedPaymentMethod(
        paymentMethodId=str(kept.id),
        type="CREDIT_CARD",
        cardType=shown.cardType or None,
        lastFour=shown.lastFour or None,
        expDate=shown.expDate or None,
        cardholderName=shown.cardholderName,
        usages=list(kept.usages),
        address=shown.address,
    )


@endpoint(
    PAYMENT,
    "addPaymentMethod",
    request=m.AddPaymentMethodRequest,
    reply=m.PaymentMethodReply,
    styles=STYLES,
    summary="Verify a card token with the processor and keep it on the account",
    errors=(
        R.CARD_NOT_FOUND,
        R.CARD_NOT_ACTIVE,
        R.EMAIL_NOT_VERIFIED,
        R.INVALID_PAYMENT_METHOD,
        R.ADDRESS_REQUIRED,
        R.INVALID_USAGE,
        R.PROCESSOR_DECLINED,
        R.PROCESSOR_ERROR,
        R.PAYMENTS_NOT_CONFIGURED,
    ),
    scope="account_write",
    own_transactions=True,
)
async def add_payment_method(
    ctx: CallContext, req: m.AddPaymentMethodRequest
) -> m.PaymentMethodReply:
    """The token (paymentMethod type CC) is verified and kept by the processor; no money
    moves. The method is stored with its display data and usages (RECHARGE,
    AUTO_RECHARGE, SUBSCRIPTION, SALE); a usage given here is taken from the method that
    had it. Adding the same token again answers the method it made."""
    assert ctx.units is not None
    method = req.paymentMethod
    kept = await methods.add_method(
        ctx,
        ctx.units,
        card_number=req.printedCardNumber,
        method_type=method.type if method else None,
        token=method.token if method else None,
        cardholder_name=method.cardholderName if method else None,
        address=address_of(req.address),
        usages=req.usages,
        retry_key=ctx.idempotency_key,
    )
    return m.PaymentMethodReply(paymentMethod=_method(kept))


@endpoint(
    PAYMENT,
    "savedPaymentMethods",
    method="GET",
    request=m.CardRequest,
    reply=m.SavedPaymentMethodsReply,
    styles=STYLES,
    summary="The payment methods kept on the card's account",
    errors=(R.CARD_NOT_FOUND,),
    scope="account_read",
)
async def saved_payment_methods(ctx: CallContext, req: m.CardRequest) -> m.SavedPaymentMethodsReply:
    """Every method with its usages, oldest first; none is an empty list. The credit
    card kept by recharge (savedCreditCard) is not one of them."""
    kept = await methods.methods_of(ctx, req.printedCardNumber)
    return m.SavedPaymentMethodsReply(paymentMethods=[_method(k) for k in kept])


@endpoint(
    PAYMENT,
    "savedPaymentMethod",
    method="GET",
    request=m.PaymentMethodRequest,
    reply=m.PaymentMethodReply,
    styles=STYLES,
    summary="One payment method, by id or as the default for a usage",
    errors=(R.CARD_NOT_FOUND, R.PAYMENT_METHOD_NOT_FOUND),
    scope="account_read",
)
async def saved_payment_method(
    ctx: CallContext, req: m.PaymentMethodRequest
) -> m.PaymentMethodReply:
    """paymentMethodId selects a method; without it, usage selects the method that is
    its default."""
    kept = await methods.method_of(ctx, req.printedCardNumber, req.paymentMethodId, req.usage)
    return m.PaymentMethodReply(paymentMethod=_method(kept))


@endpoint(
    PAYMENT,
    "editPaymentMethodUsages",
    request=m.EditUsagesRequest,
    reply=m.PaymentMethodReply,
    styles=STYLES,
    summary="Replace what a payment method is the default for",
    errors=(R.CARD_NOT_FOUND, R.PAYMENT_METHOD_NOT_FOUND, R.INVALID_USAGE),
    scope="account_write",
)
async def edit_payment_method_usages(
    ctx: CallContext, req: m.EditUsagesRequest
) -> m.PaymentMethodReply:
    """usages is the full new list; each usage is taken from the method that had it."""
    kept = await methods.edit_usages(ctx, req.printedCardNumber, req.paymentMethodId, req.usages)
    return m.PaymentMethodReply(paymentMethod=_method(kept))


@endpoint(
    PAYMENT,
    "deletePaymentMethod",
    request=m.PaymentMethodRequest,
    reply=m.SimpleReply,
    styles=STYLES,
    summary="Remove a payment method from the account",
    errors=(R.CARD_NOT_FOUND, R.PAYMENT_METHOD_NOT_FOUND),
    scope="account_write",
)
async def delete_payment_method(ctx: CallContext, req: m.PaymentMethodRequest) -> m.SimpleReply:
    """Removes the method (paymentMethodId) and asks the processor to forget its token."""
    # The card is checked first: another guest's card is not found, whatever else is sent.
    await methods.delete_method(ctx, req.printedCardNumber, req.paymentMethodId)
    return m.SimpleReply()
