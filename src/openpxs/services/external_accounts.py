"""Identifiers of an account in other systems (push services, partners, sign-in
providers), linked and unlinked by the guest's app or a partner."""

from __future__ import annotations

from collections.abc import Sequence

from openpxs.domain.errors import InvalidRequest
from openpxs.domain.fields import FieldError, InvalidFields
from openpxs.services.context import Call
from openpxs.services.guest_access import AccountRef, account_by_card

# An (external identifier, account code) pair.
Pair = tuple[str, str]


async def edit_external_accounts(
    call: Call, number: str, add: Sequence[Pair], remove: Sequence[Pair]
) -> AccountRef:
    """Unlink ``remove``, then link ``add`` to the card's account. Linking a pair already
    on this account changes nothing; a pair linked to another account is refused, not
    moved, so a caller cannot take over someone else's sign-in provider id or partner
    account."""
    uow, merchant_id = call.uow, call.merchant_id
    ref = await account_by_card(call, number)
    if not add and not remove:
        raise InvalidRequest("Send addExternalAccounts or removeExternalAccounts")
    await uow.users.lock_account(merchant_id, ref.account_id)
    for identifier, code in remove:
        await uow.external_accounts.unlink(merchant_id, ref.account_id, identifier, code)
    errors: dict[str, list[FieldError]] = {}
    for index, (identifier, code) in enumerate(add):
        holder = await uow.external_accounts.holder(merchant_id, identifier, code)
        if holder == ref.account_id:
            continue
        if holder is not None:
            errors[f"addExternalAccounts/{index}"] = [
                FieldError("already_linked", "Already linked to another account")
            ]
            continue
        await uow.external_accounts.link(merchant_id, ref.account_id, identifier, code)
    if errors:
        raise InvalidFields(errors)
    return ref
