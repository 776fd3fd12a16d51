"""A new account for a guest who enrolls: on a virtual card made for them, or on an
inactive physical card they hold, activated through the ledger's activation path (so a
void of the activation can undo it like any other)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from openpxs.domain.cards import CardRef
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.fields import FieldError, InvalidFields
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.services.activation import activate
from openpxs.store.uow import UnitOfWork

VIRTUAL_CARD_PREFIX = "9"
VIRTUAL_CARD_LENGTH = 16
REGISTRATION_CODE_LENGTH = 6
# Random numbers collide rarely; a few tries make a failure all but impossible.
ALLOCATION_TRIES = 10


@dataclass(frozen=True)
class NewAccount:
    account_id: int
    card_number: str
    transaction_id: int | None


def _digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))


def check_chosen_number(number: str) -> None:
    """A card number the caller picks: printed, typed by people and scanned by POS
    readers, so digits only."""
    if not number.isascii() or not number.isdigit() or not 6 <= len(number) <= 32:
        raise InvalidFields(
            {"printedCardNumber": [FieldError("invalid_format", "Must be 6 to 32 digits")]}
        )


def new_registration_code() -> str:
    return _digits(REGISTRATION_CODE_LENGTH)


async def new_virtual_card(
    uow: UnitOfWork,
    program: Program,
    template_code: int,
    number: str | None = None,
    registration_code: str | None = None,
) -> str:
    """An inactive card: the caller's number, or a fresh random one; its registration
    code is ``registration_code`` (to be told to its holder) or a random one."""
    for _ in range(ALLOCATION_TRIES):
        candidate = number or VIRTUAL_CARD_PREFIX + _digits(VIRTUAL_CARD_LENGTH - 1)
        if await uow.cards.add_inactive(
            program.merchant_id,
            candidate,
            template_code=template_code,
            registration_code=registration_code or new_registration_code(),
        ):
            return candidate
        if number is not None:
            raise Refused(Reason.CARD_NUMBER_IN_USE)
    raise Refused(Reason.SYSTEM_ERROR, "Could not allocate a card number")


async def create_account(
    uow: UnitOfWork,
    program: Program,
    where: CallStamp,
    template_code: int,
    account_fields: Mapping[str, object],
    *,
    card_number: str | None = None,
) -> NewAccount:
    """A new virtual card (``card_number``, or a fresh one) active on a new account."""
    if card_number is not None and await uow.cards.find(program.merchant_id, card_number):
        raise Refused(Reason.CARD_NUMBER_IN_USE)
    number = await new_virtual_card(uow, program, template_code, card_number)
    return await activate_existing(uow, program, where, number, account_fields)


async def activate_existing(
    uow: UnitOfWork,
    program: Program,
    where: CallStamp,
    card_number: str,
    account_fields: Mapping[str, object],
) -> NewAccount:
    """Activate an inactive card on a new account with these fields (the activation
    refuses a card that is not inactive)."""
    outcome = await activate(uow, program, where, CardRef(card_number), "PX")
    assert outcome.view is not None
    await set_account_fields(
        uow,
        program.merchant_id,
        outcome.view.account_id,
        account_fields,
        enroll_store=where.store_code,
    )
    return NewAccount(outcome.view.account_id, card_number, outcome.transaction_id)


async def set_account_fields(
    uow: UnitOfWork,
    merchant_id: int,
    account_id: int,
    values: Mapping[str, object],
    *,
    enroll_store: str | None = None,
) -> None:
    """Change the account fields given (None clears one); the others keep their values."""
    merged = await uow.accounts.fields_of(merchant_id, account_id)
    for name, value in values.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    await uow.accounts.set_fields(merchant_id, account_id, merged, enroll_store=enroll_store)
