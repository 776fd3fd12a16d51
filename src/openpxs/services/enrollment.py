"""Enrollment: the ways a guest joins a program - a virtual card with a login or without
one, an email club, an inactive physical card activated, a login added to an active card.

Everything a call changes happens in its one transaction: a bad field or a taken unique
value refuses before the transaction commits, so nothing is left half created.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from openpxs.domain.cards import Card, registration_code_matches, require_inactive
from openpxs.domain.errors import CardNotActive, CardNotFound, InvalidStore, Reason, Refused
from openpxs.domain.fields import CheckedFields
from openpxs.domain.program import CardTemplateDef, Program
from openpxs.domain.stamp import CallStamp
from openpxs.domain.webhooks import ACCOUNT_ENROLLED
from openpxs.security import hash_password_off_loop
from openpxs.services import guessing, oauth, webhooks
from openpxs.services.context import Call
from openpxs.services.form_fields import (
    FieldsSent,
    check_enforce_list,
    check_fields,
    check_form,
    check_free,
    claim_uniques,
    require_login,
    unique_fields,
)
from openpxs.services.guest_access import account_by_card
from openpxs.services.new_accounts import (
    activate_existing,
    check_chosen_number,
    create_account,
    set_account_fields,
)
from openpxs.store.repositories.users import User
from openpxs.store.uow import UnitOfWork


@dataclass(frozen=True)
class Enrolled:
    account_id: int
    card_number: str
    user_id: int | None  # None: no user fields were sent and none was asked for
    # The new guest signed in at once, where the call gives a login.
    tokens: oauth.TokenSet | None = None

    @property
    def user(self) -> int:
        """The user of an enrollment that always keeps one (``user="always"``)."""
        if self.user_id is None:
            raise ValueError("this enrollment kept no user")
        return self.user_id


def template_of(program: Program, code: int | None) -> CardTemplateDef:
    template = program.templates.get(code) if code is not None else None
    if template is None:
        raise Refused(Reason.INVALID_CARD_TEMPLATE)
    return template


def eclub_template(program: Program, code: int | None) -> CardTemplateDef:
    template = template_of(program, code)
    if not template.eclub:
        raise Refused(Reason.INVALID_CARD_TEMPLATE)
    return template


def resolve_store(program: Program, code: str | None) -> str | None:
    """The store a guest enrolls at, where the call names one."""
    if code is None or code == "":
        return None
    if code not in program.stores:
        raise InvalidStore(f"No store has the code {code!r}")
    return code


async def enroll(
    uow: UnitOfWork,
    program: Program,
    where: CallStamp,
    template: CardTemplateDef,
    checked: CheckedFields,
    enforce: list[str],
    *,
    user: Literal["always", "if_sent"],
    card_number: str | None = None,
    activate: str | None = None,
) -> Enrolled:
    """The steps every way into a program shares, once its fields are checked.

    Taken unique values are refused before a card is spent on the guest. Then a virtual
    card (``card_number``, or a fresh one) is created on a new account, or the inactive
    physical card ``activate`` is activated on one, with the account fields. The guest's
    user is kept ``always`` (registrations, email clubs) or ``if_sent`` (user fields
    sent without a login).
    """
    await check_free(uow, program.merchant_id, checked.user, unique_fields(template.form, enforce))
    if activate is None:
        made = await create_account(
            uow, program, where, template.code, checked.account, card_number=card_number
        )
    else:
        made = await activate_existing(uow, program, where, activate, checked.account)
    user_id = None
    if user == "always" or any(v is not None for v in checked.user.values()):
        user_id = await register_user(
            uow, program, template, made.account_id, checked.user, enforce, where.now
        )
    await webhooks.announce(
        uow,
        program,
        ACCOUNT_ENROLLED,
        {
            "accountId": made.account_id,
            "printedCardNumber": made.card_number,
            "cardTemplateCode": template.code,
            "storeCode": where.store_code,
            "registered": user_id is not None,
        },
        where.now,
    )
    return Enrolled(made.account_id, made.card_number, user_id)


async def register_user(
    uow: UnitOfWork,
    program: Program,
    template: CardTemplateDef,
    account_id: int,
    user_values: Mapping[str, object],
    enforce: Iterable[str] | None,
    now: datetime,
) -> int:
    """Create the user from checked fields, claim the unique ones, attach the account."""
    unique = unique_fields(template.form, enforce)
    await check_free(uow, program.merchant_id, user_values, unique)
    password = user_values.get("password")
    password_hash = await hash_password_off_loop(password) if isinstance(password, str) else None
    user_id = await uow.users.create(
        program.merchant_id, account_id, dict(user_values), password_hash, now
    )
    await claim_uniques(uow, program.merchant_id, user_id, user_values, unique)
    return user_id


async def edit_user(
    uow: UnitOfWork,
    program: Program,
    template: CardTemplateDef,
    user: User,
    user_values: Mapping[str, object],
    enforce: Iterable[str] | None,
    now: datetime,
) -> None:
    """Change the user fields given (None clears one); unique values are claimed anew."""
    if not user_values:
        return
    await uow.users.lock(program.merchant_id, user.id)
    await claim_uniques(
        uow, program.merchant_id, user.id, user_values, unique_fields(template.form, enforce)
    )
    values = dict(user_values)
    password = values.pop("password", None)
    email_changed = "email" in values and values["email"] != user.fields.get("email")
    await uow.users.update(
        user,
        values,
        now,
        password_hash=(
            await hash_password_off_loop(password) if isinstance(password, str) else None
        ),
        # A new address has not been verified yet.
        email_verified=False if email_changed else None,
    )


async def _signed_in(call: Call, enrolled: Enrolled) -> Enrolled:
    """The enrollment with the new guest signed in, so the app needs no second call."""
    user = await call.uow.users.by_id(call.merchant_id, enrolled.user)
    assert user is not None
    tokens = await oauth.issue_tokens(
        call.uow, call.program, call.integration, user, oauth.DEFAULT_SCOPE, call.now
    )
    return Enrolled(enrolled.account_id, enrolled.card_number, enrolled.user_id, tokens)


async def _join(
    call: Call,
    template: CardTemplateDef,
    store_code: str | None,
    sent: FieldsSent,
    *,
    login: bool,
    card_number: str | None = None,
    activate: str | None = None,
) -> Enrolled:
    """A new account for the guest, registered with a login (``login``) or keeping the
    user fields sent on a user without one."""
    program = call.program
    enforce = check_enforce_list(sent.enforce_unique)
    store = resolve_store(program, store_code)
    if login:
        checked = check_fields(
            program, template, sent.user, sent.account, call.now, creating=True, registering=True
        )
    else:
        checked = check_form(
            program,
            template.form,
            sent.user,
            sent.account,
            call.now,
            login="refused",
            require=sent.has_user_fields,
        )
    enrolled = await enroll(
        call.uow,
        program,
        call.online_stamp(store),
        template,
        checked,
        enforce,
        user="always" if login else "if_sent",
        card_number=card_number,
        activate=activate,
    )
    return await _signed_in(call, enrolled) if login else enrolled


async def sign_up(
    call: Call,
    template_code: int,
    store_code: str | None,
    sent: FieldsSent,
    *,
    login: bool,
    card_number: str | None = None,
) -> Enrolled:
    """A virtual card on a new account: createAndRegister and its card-number variant
    (``login``: signed in at once), createAndEdit (no login)."""
    if card_number is not None:
        check_chosen_number(card_number)
    template = template_of(call.program, template_code)
    return await _join(call, template, store_code, sent, login=login, card_number=card_number)


async def join_eclub(
    call: Call, template_code: int, store_code: str | None, sent: FieldsSent
) -> Enrolled:
    """An email club member on a virtual card. The form's required fields apply; a login
    is optional, and only with one is the guest signed in."""
    program = call.program
    template = eclub_template(program, template_code)
    enforce = check_enforce_list(sent.enforce_unique)
    store = resolve_store(program, store_code)
    checked = check_form(
        program, template.form, sent.user, sent.account, call.now, login="optional", require=True
    )
    enrolled = await enroll(
        call.uow, program, call.online_stamp(store), template, checked, enforce, user="always"
    )
    if checked.user.get("password") is None:
        return enrolled
    return await _signed_in(call, enrolled)


async def inactive_card(call: Call, number: str, registration_code: str | None) -> Card:
    """The physical card to activate, if the caller may: b2b any card; a card-style
    caller only its own; an anonymous caller must prove it holds the card with the
    registration code printed on it, wrong guesses counted as for card sign-in."""
    uow, program = call.uow, call.program
    card = await uow.cards.find(call.merchant_id, number)
    principal = call.principal
    if principal.style == "card" and principal.card_number != number:
        raise CardNotFound()
    if principal.style == "anonymous":
        guess = guessing.card_guess(number)
        await guessing.refuse_while_backing_off(uow, program, guess, call.guesser, call.now)
        if card is None or not registration_code_matches(card, registration_code or ""):
            raise CardNotFound(
                intents=(guessing.missed(program, guess, call.guesser, call.now, slow=True),)
            )
        await guessing.succeeded(uow, program, guess, call.guesser)
    if card is None:
        raise CardNotFound()
    return require_inactive(card)


async def activate_card(
    call: Call,
    number: str,
    registration_code: str | None,
    store_code: str | None,
    sent: FieldsSent,
    *,
    login: bool,
) -> Enrolled:
    """An inactive physical card activated on a new account: activateAndRegister
    (``login``: signed in at once) and activateAndEdit (no login)."""
    card = await inactive_card(call, number, registration_code)
    template = template_of(call.program, card.template_code)
    return await _join(call, template, store_code, sent, login=login, activate=card.number)


async def register_card(call: Call, number: str, sent: FieldsSent) -> Enrolled:
    """Register a guest on an active card: a new user attached to the card's account, or
    a login for the guest the account already knows by fields only (createAndEdit,
    smsEnroll), who keeps those fields."""
    uow, program = call.uow, call.program
    ref = await account_by_card(call, number)
    if not ref.in_use:
        raise CardNotActive()
    # Read the owner again under the account's lock: two registrations of one card
    # must not both succeed.
    await uow.users.lock_account(call.merchant_id, ref.account_id)
    existing = await uow.users.of_account(call.merchant_id, ref.account_id)
    if existing is not None and existing.username is not None:
        raise Refused(Reason.CARD_ALREADY_REGISTERED)
    template = template_of(program, ref.template_code)
    enforce = check_enforce_list(sent.enforce_unique)
    new_user = existing is None
    checked = check_fields(
        program,
        template,
        sent.user,
        sent.account,
        call.now,
        creating=new_user,
        registering=new_user,
    )
    if existing is None:
        user_id = await register_user(
            uow, program, template, ref.account_id, checked.user, enforce, call.now
        )
    else:
        require_login(checked)
        await edit_user(uow, program, template, existing, checked.user, enforce, call.now)
        user_id = existing.id
    await set_account_fields(uow, call.merchant_id, ref.account_id, checked.account)
    return await _signed_in(call, Enrolled(ref.account_id, ref.card_number, user_id))
