"""Finding the account or user a Guest Service call names by something other than a
card or an account id: an external account code, an eClub membership, the account's
registered owner."""

from __future__ import annotations

from openpxs.domain.errors import InvalidRequest, Reason, Refused
from openpxs.services.account_overview import AccountCards, account_cards
from openpxs.services.context import Call
from openpxs.services.guest_access import AccountRef, account_by_id
from openpxs.store.repositories.users import User


async def cards_of_external_account(
    call: Call, account_code: str, external_identifier: str | None
) -> AccountCards:
    """The cards of the active account linked to an external account code. When one code
    is linked through several external systems to different accounts, the external
    identifier must say which."""
    found = await call.uow.accounts.active_with_external_code(
        call.merchant_id, account_code, external_identifier
    )
    if not found:
        raise Refused(Reason.EXTERNAL_ACCOUNT_NOT_FOUND)
    if len(found) > 1:
        raise InvalidRequest(
            "accountCode is linked to several accounts; send externalIdentifier too"
        )
    return await account_cards(call, found[0])


async def eclub_account(call: Call, account_id: int | None, email: str | None) -> AccountRef:
    """The eClub account named by ``account_id``, else by the member's e-mail, else (a
    signed-in guest) the caller's own; anything that is not an eClub account is "not
    found"."""
    program, principal = call.program, call.principal
    if account_id is None:
        eclub_templates = [t.code for t in program.templates.values() if t.eclub]
        user_ids: list[int] = []
        if email:
            user_ids = [u.id for u in await call.uow.users.by_email(call.merchant_id, email)]
        elif principal.user_id is not None:
            user_ids = [principal.user_id]
        if principal.is_guest:
            # A guest naming someone else's e-mail finds nothing, as if it were unknown.
            user_ids = [u for u in user_ids if u == principal.user_id]
        if user_ids and eclub_templates:
            account_id = await call.uow.accounts.first_active_of_templates(
                call.merchant_id, user_ids, eclub_templates
            )
    ref = await account_by_id(call, account_id)
    template = program.templates.get(ref.template_code)
    if template is None or not template.eclub:
        raise Refused(Reason.ACCOUNT_NOT_FOUND)
    return ref


async def eclub_member(call: Call, account_id: int | None, email: str | None) -> User:
    """The registered user of an eClub account (found as ``eclub_account`` finds it)."""
    ref = await eclub_account(call, account_id, email)
    return await registered_owner(call, ref, unregistered=Reason.ACCOUNT_NOT_FOUND)


async def registered_owner(
    call: Call, ref: AccountRef, *, unregistered: Reason = Reason.CARD_NOT_REGISTERED
) -> User:
    """The registered user owning the account; an account nobody registered is refused
    with ``unregistered`` (how the caller named the account decides which refusal fits)."""
    user = await call.uow.users.of_account(call.merchant_id, ref.account_id)
    if user is None:
        raise Refused(unregistered)
    return user
