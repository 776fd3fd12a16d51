"""Changing the fields of an enrolled guest: any mix of user and account fields
(editAccount), user fields alone (editUser), an eClub member's (editEClubAccount).

Only the fields sent change (null clears one), checked against the form of the
account's card template; unique values stay unique.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpxs.domain.errors import DomainError, InvalidRequest, Reason, Refused
from openpxs.domain.fields import CheckedFields
from openpxs.domain.program import CardTemplateDef
from openpxs.services.context import Call
from openpxs.services.enrollment import eclub_template, edit_user, template_of
from openpxs.services.form_fields import FieldsSent, check_enforce_list, check_fields
from openpxs.services.guest_access import account_by_card, account_by_id, user_for
from openpxs.services.new_accounts import set_account_fields

NOTHING_SENT = "Send at least one field to change"


@dataclass(frozen=True)
class Changed:
    account_id: int
    card_number: str | None


async def _template_code(call: Call, account_id: int) -> int | None:
    return await call.uow.accounts.template_of(call.merchant_id, account_id)


async def _change(
    call: Call,
    template: CardTemplateDef,
    account_id: int,
    checked: CheckedFields,
    enforce: list[str],
    *,
    no_user: DomainError,
) -> None:
    """Write the checked user and account fields of an account; ``no_user`` refuses
    user fields for an account without a user."""
    if not checked.user and not checked.account:
        raise InvalidRequest(NOTHING_SENT)
    if checked.user:
        user = await call.uow.users.of_account(call.merchant_id, account_id)
        if user is None:
            raise no_user
        await edit_user(call.uow, call.program, template, user, checked.user, enforce, call.now)
    if checked.account:
        await set_account_fields(call.uow, call.merchant_id, account_id, checked.account)


async def edit_account(call: Call, number: str, sent: FieldsSent) -> Changed:
    """Change any mix of the user and account fields of a card's account; the account's
    user must exist for user fields to change."""
    program = call.program
    ref = await account_by_card(call, number)
    template = template_of(program, ref.template_code)
    enforce = check_enforce_list(sent.enforce_unique)
    checked = check_fields(
        program, template, sent.user, sent.account, call.now, creating=False, registering=False
    )
    unregistered = Refused(
        Reason.CARD_NOT_REGISTERED, "The account has no registered user whose fields could change"
    )
    await _change(call, template, ref.account_id, checked, enforce, no_user=unregistered)
    return Changed(ref.account_id, ref.card_number)


async def edit_user_fields(
    call: Call, username: str | None, set_user: object, enforce_unique: object
) -> Changed:
    """Change user fields of the user a call is about (as editAccount's user part)."""
    uow, program = call.uow, call.program
    user = await user_for(call, username)
    template = template_of(program, await _template_code(call, user.account_id))
    enforce = check_enforce_list(enforce_unique)
    checked = check_fields(
        program, template, set_user, None, call.now, creating=False, registering=False
    )
    if not checked.user:
        raise InvalidRequest(NOTHING_SENT)
    await edit_user(uow, program, template, user, checked.user, enforce, call.now)
    return Changed(user.account_id, await uow.users.primary_card(call.merchant_id, user.account_id))


async def _eclub_account(call: Call, number: str | None, email: str | None) -> int:
    """The eClub member's account, by card number or by the e-mail they signed up with."""
    if number:
        return (await account_by_card(call, number)).account_id
    if not email:
        raise InvalidRequest("Send email or printedCardNumber")
    user = await call.uow.users.by_unique(call.merchant_id, "email", email)
    if user is None:
        matches = await call.uow.users.by_email(call.merchant_id, email)
        user = matches[0] if len(matches) == 1 else None
    if user is None:
        raise Refused(Reason.USER_NOT_FOUND)
    try:
        ref = await account_by_id(call, user.account_id)
    except DomainError:
        # Another guest's account is answered as no member at all.
        raise Refused(Reason.USER_NOT_FOUND) from None
    return ref.account_id


async def edit_eclub(
    call: Call, number: str | None, email: str | None, sent: FieldsSent
) -> Changed:
    """As editAccount for an account of an eClub template (others are an invalid card
    template); the member may add a login here."""
    uow, program = call.uow, call.program
    account_id = await _eclub_account(call, number, email)
    template = eclub_template(program, await _template_code(call, account_id))
    checked = check_fields(
        program, template, sent.user, sent.account, call.now, creating=False, registering=False
    )
    await _change(call, template, account_id, checked, [], no_user=Refused(Reason.USER_NOT_FOUND))
    return Changed(account_id, await uow.users.primary_card(call.merchant_id, account_id))
