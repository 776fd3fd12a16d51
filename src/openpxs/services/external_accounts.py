"""Identifiers of an account in other systems (push services, partners, sign-in
providers), linked and unlinked by the guest's app or a partner.

A sign-in provider's id (Sign in with Apple's) signs a guest in, so naming one is not
enough to link it: the caller must prove it with the provider's identity token
(``proven``), or anyone who learnt someone's Apple id could have their sign-in land in
an account of his own.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from openpxs.domain.errors import InvalidRequest
from openpxs.domain.fields import FieldError, InvalidFields
from openpxs.domain.program import Program
from openpxs.services.context import Call
from openpxs.services.guest_access import AccountRef, account_by_card

# An (external identifier, account code) pair.
Pair = tuple[str, str]
# Sign in with Apple's identifier when the program names none (guest.apple,
# guest.website.apple): reserved all the same, so that links made before Apple is
# configured cannot be unproven ones.
APPLE = "apple"
PROOF_REQUIRED = FieldError(
    "proof_required", "Linking a sign-in provider's id needs its identity token (id_token)"
)
ALREADY_LINKED = FieldError("already_linked", "Already linked to another account")


def sign_in_identifiers(program: Program) -> frozenset[str]:
    """The external identifiers whose ids sign a guest in: linked only with proof."""
    names = {APPLE}
    if program.guest.apple is not None:
        names.add(program.guest.apple.external_identifier)
    website = program.guest.website
    if website is not None and website.apple is not None:
        names.add(website.apple.external_identifier)
    return frozenset(names)


def unproven(program: Program, add: Sequence[Pair], proven: Collection[Pair]) -> list[int]:
    """The positions in ``add`` of sign-in provider ids the caller has not proven."""
    reserved = sign_in_identifiers(program)
    return [i for i, pair in enumerate(add) if pair[0] in reserved and pair not in proven]


async def edit_external_accounts(
    call: Call,
    number: str,
    add: Sequence[Pair],
    remove: Sequence[Pair],
    proven: Collection[Pair] = (),
) -> AccountRef:
    """Unlink ``remove``, then link ``add`` to the card's account. Linking a pair already
    on this account changes nothing; a pair linked to another account is refused, not
    moved, so a caller cannot take over someone else's sign-in provider id or partner
    account; a sign-in provider's id must be among ``proven``."""
    uow, merchant_id = call.uow, call.merchant_id
    ref = await account_by_card(call, number)
    if not add and not remove:
        raise InvalidRequest("Send addExternalAccounts or removeExternalAccounts")
    errors: dict[str, list[FieldError]] = {
        f"addExternalAccounts/{i}": [PROOF_REQUIRED] for i in unproven(call.program, add, proven)
    }
    if errors:
        raise InvalidFields(errors)
    await uow.users.lock_account(merchant_id, ref.account_id)
    for identifier, code in remove:
        await uow.external_accounts.unlink(merchant_id, ref.account_id, identifier, code)
    for index, (identifier, code) in enumerate(add):
        holder = await uow.external_accounts.holder(merchant_id, identifier, code)
        if holder == ref.account_id:
            continue
        if holder is not None or not await uow.external_accounts.link(
            merchant_id, ref.account_id, identifier, code
        ):
            # Linked elsewhere, now or by a call that got there first.
            errors[f"addExternalAccounts/{index}"] = [ALREADY_LINKED]
    if errors:
        raise InvalidFields(errors)
    return ref
