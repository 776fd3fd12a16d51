"""Payment methods kept on a card's account (payment/addPaymentMethod and friends).

A method is a processor token the processor has verified and kept, with display data;
``usages`` say which features charge it by default (RECHARGE, AUTO_RECHARGE,
SUBSCRIPTION, SALE), each usage belonging to at most one method of the account.
"""

from __future__ import annotations

from dataclasses import replace

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.payments import BillingAddress, PaymentFailed
from openpxs.services.card_payments import Units
from openpxs.services.card_payments import configured_processor as processor_of
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card
from openpxs.services.recharge import ADDRESS_FIELDS, forget_token, paying_account
from openpxs.store.repositories.payment_methods import StoredMethod

USAGES = ("RECHARGE", "AUTO_RECHARGE", "SUBSCRIPTION", "SALE")


def check_usages(usages: list[str] | None) -> list[str]:
    wanted = [u.strip().upper() for u in usages or []]
    unknown = sorted({u for u in wanted if u not in USAGES})
    if unknown:
        raise Refused(
            Reason.INVALID_USAGE, f"unknown usage {', '.join(unknown)}; use {', '.join(USAGES)}"
        )
    return list(dict.fromkeys(wanted))  # repeats once, order kept


async def add_method(
    call: Call,
    units: Units,
    *,
    card_number: str | None,
    method_type: str | None,
    token: str | None,
    cardholder_name: str | None,
    address: BillingAddress | None,
    usages: list[str] | None,
    retry_key: str | None,
) -> StoredMethod:
    """Verify the token with the processor (no money moves), then keep it."""
    payments = call.program.payments
    processor = processor_of(call.program)
    async with units() as uow:
        checked = replace(call, uow=uow)
        account = await paying_account(checked, card_number)
        wanted = check_usages(usages)
        given = (token or "").strip()
        if (method_type or "CC").upper() != "CC" or not given:
            raise Refused(
                Reason.INVALID_PAYMENT_METHOD, "a payment method needs type CC and a token"
            )
        if given.replace(" ", "").replace("-", "").isdigit():
            raise Refused(
                Reason.INVALID_PAYMENT_METHOD, "send a processor token, not a card number"
            )
        needs_address = payments.recharge is not None and payments.recharge.require_billing_address
        if needs_address and (
            address is None or any(not (getattr(address, f) or "").strip() for f in ADDRESS_FIELDS)
        ):
            raise Refused(
                Reason.ADDRESS_REQUIRED,
                "address1, city, stateProvince, postalCode and country are required",
            )
    key = f"method:{call.integration.id}:{retry_key}" if retry_key else None
    kept = await processor.verify_and_save(
        given, key or f"method:{account.account_id}:{given}"[:100], address
    )
    if not kept.result.approved or kept.token is None:
        raise PaymentFailed(kept.result)
    async with units() as uow:
        for existing in await uow.payment_methods.methods(call.merchant_id, account.account_id):
            if existing.token == kept.token:
                return existing  # the same verification again: the method it made
        return await uow.payment_methods.add_method(
            call.merchant_id,
            account.account_id,
            processor.name,
            kept.token,
            kept.card,
            cardholder_name,
            address,
            wanted,
            call.now,
        )


async def methods_of(call: Call, card_number: str | None) -> list[StoredMethod]:
    account = await account_by_card(call, card_number)
    return await call.uow.payment_methods.methods(call.merchant_id, account.account_id)


async def method_of(
    call: Call, card_number: str | None, method_id: str | None, usage: str | None
) -> StoredMethod:
    """One method, by id or as the default for a usage."""
    methods = await methods_of(call, card_number)
    for method in methods:
        if method_id is not None and str(method.id) == method_id.strip():
            return method
        if method_id is None and usage is not None and usage.strip().upper() in method.usages:
            return method
    raise Refused(Reason.PAYMENT_METHOD_NOT_FOUND)


async def edit_usages(
    call: Call, card_number: str | None, method_id: str | None, usages: list[str] | None
) -> StoredMethod:
    method = await method_of(call, card_number, method_id, None)
    return await call.uow.payment_methods.set_usages(method, check_usages(usages))


async def delete_method(call: Call, card_number: str | None, method_id: str | None) -> None:
    # Only by id: a usage must not select what is deleted.
    method = await method_of(call, card_number, method_id or "", None)
    await call.uow.payment_methods.delete_method(method)
    if call.program.payments.processor is not None:
        await forget_token(
            processor_of(call.program),
            method.token,
            f"delete-method:{method.merchant_id}:{method.id}",
        )
