"""Enrollment: creating and activating accounts, registering users, editing their fields.

Everything a call changes happens in its one transaction: a validation problem or a taken
unique value raises before the transaction commits, so nothing is left half created.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from openpxs.domain.cards import CardRef
from openpxs.domain.fields import (
    UNIQUE_CAPABLE,
    CheckedFields,
    FieldSetting,
    check_field_set,
    check_required,
)
from openpxs.domain.program import CardTemplateDef, Program
from openpxs.domain.stamp import CallStamp
from openpxs.security import hash_secret
from openpxs.services.activation import activate
from openpxs.store.repositories.users import UniqueValueTaken, User
from openpxs.store.tables import accounts, cards
from openpxs.store.uow import UnitOfWork
from openpxs.wire.envelope import ServiceFailure

SERVICE_PREFIX = "enrollment"
VIRTUAL_CARD_PREFIX = "9"
VIRTUAL_CARD_LENGTH = 16


def field_failure(checked: CheckedFields) -> ServiceFailure:
    return ServiceFailure(
        "enrollment.field_validation",
        "One or more fields are invalid",
        extra={"errorsByField": errors_by_field(checked)},
    )


def errors_by_field(checked: CheckedFields) -> dict[str, list[dict[str, str]]]:
    return {
        key: [{"code": e.code, "message": e.message} for e in errors]
        for key, errors in checked.errors.items()
    }


def uniqueness_failure(field: str, scope_key: str = "setUserFields") -> ServiceFailure:
    return ServiceFailure(
        "enrollment.uniqueness_conflict",
        "A unique field is already in use by another user",
        result="uniquenessConflict",
        extra={
            "errorsByField": {
                f"{scope_key}/{field}": [
                    {"code": "not_unique", "message": "Already in use by another user"}
                ]
            }
        },
    )


def template_of(program: Program, code: int | None) -> CardTemplateDef:
    template = program.templates.get(code) if code is not None else None
    if template is None:
        raise ServiceFailure("enrollment.invalid_card_template", "Invalid card template")
    return template


def check_fields(
    program: Program,
    template: CardTemplateDef,
    set_user: object,
    set_account: object,
    now: datetime,
    *,
    creating: bool,
    registering: bool,
) -> CheckedFields:
    """Check both FieldSets of a call against the template's form; raise on any problem."""
    checked = CheckedFields()
    today = program.today(now)
    stores = frozenset(program.stores)
    form = template.form
    check_field_set(checked, "user", set_user, form, today=today, store_codes=stores)
    check_field_set(checked, "account", set_account, form, today=today, store_codes=stores)
    if not registering:
        for name in ("username", "password"):
            if name in checked.user and creating:
                checked.add_error("user", name, "not_allowed", "This call does not register")
    if creating:
        check_required(checked, _without_login(form, registering), registering=registering)
    if not checked.ok:
        raise field_failure(checked)
    return checked


def require_login(checked: CheckedFields) -> None:
    """Registering needs a username and a password, whatever else is known already."""
    for name in ("username", "password"):
        if checked.user.get(name) is None:
            checked.add_error("user", name, "required", "This field is required")
    if not checked.ok:
        raise field_failure(checked)


def _without_login(form: Mapping[str, FieldSetting], registering: bool) -> dict[str, FieldSetting]:
    if registering:
        return dict(form)
    return {k: v for k, v in form.items() if k not in ("username", "password")}


def unique_fields(form: Mapping[str, FieldSetting], enforce: Iterable[str] | None) -> set[str]:
    """The fields whose values must be unique: the form's, the call's and the username."""
    names = {name for name, setting in form.items() if setting.unique}
    for name in enforce or ():
        if name in UNIQUE_CAPABLE:
            names.add(name)
    names.add("username")
    return names


def check_enforce_list(enforce: object) -> list[str]:
    if enforce is None:
        return []
    if not isinstance(enforce, list) or not all(isinstance(n, str) for n in enforce):
        raise ServiceFailure("enrollment.invalid_request", "enforceUniqueFields must be a list")
    unknown = [n for n in enforce if n not in UNIQUE_CAPABLE]
    if unknown:
        raise ServiceFailure(
            "enrollment.invalid_request",
            f"These fields cannot be made unique: {', '.join(unknown)}",
        )
    return list(enforce)


async def claim_uniques(
    uow: UnitOfWork,
    merchant_id: int,
    user_id: int,
    values: Mapping[str, object],
    unique: set[str],
) -> None:
    claims = [(n, v) for n, v in values.items() if n in unique and isinstance(v, str) and v]
    cleared = [n for n, v in values.items() if n in unique and v is None]
    try:
        await uow.users.claim_unique(merchant_id, user_id, claims)
    except UniqueValueTaken as taken:
        raise uniqueness_failure(taken.field) from None
    if cleared:
        await uow.users.release_unique(merchant_id, user_id, cleared)


async def check_free(
    uow: UnitOfWork, merchant_id: int, values: Mapping[str, object], unique: set[str]
) -> None:
    """Refuse a taken unique value before any work is done (the claim re-checks later)."""
    for name, value in values.items():
        if (
            name in unique
            and isinstance(value, str)
            and value
            and await uow.users.unique_holder(merchant_id, name, value) is not None
        ):
            raise uniqueness_failure(name)


def resolve_store(program: Program, code: str | None) -> str | None:
    if code is None or code == "":
        return None
    if code not in program.stores:
        raise ServiceFailure("enrollment.invalid_store", f"No store has the code {code!r}")
    return code


@dataclass(frozen=True)
class NewAccount:
    account_id: int
    card_number: str
    transaction_id: int | None


async def _new_virtual_card(
    uow: UnitOfWork, program: Program, template_code: int, number: str | None
) -> str:
    """Insert an inactive card row: the caller's number, or a fresh random one."""
    for _ in range(10):
        candidate = number or VIRTUAL_CARD_PREFIX + "".join(
            secrets.choice("0123456789") for _ in range(VIRTUAL_CARD_LENGTH - 1)
        )
        try:
            async with uow.conn.begin_nested():
                await uow.conn.execute(
                    insert(cards).values(
                        merchant_id=program.merchant_id,
                        printed_card_number=candidate,
                        registration_code="".join(secrets.choice("0123456789") for _ in range(6)),
                        template_code=template_code,
                        status="inactive",
                    )
                )
            return candidate
        except IntegrityError:
            if number is not None:
                raise ServiceFailure(
                    "enrollment.card_number_in_use", "Card number is already in use"
                ) from None
    raise ServiceFailure("enrollment.system_error", "Could not allocate a card number")


async def create_account(
    uow: UnitOfWork,
    program: Program,
    where: CallStamp,
    template_code: int,
    account_fields: Mapping[str, object],
    *,
    card_number: str | None = None,
) -> NewAccount:
    """A new card, activated on a new account through the ledger's activation path."""
    if card_number is not None:
        existing = (
            await uow.conn.execute(
                select(cards.c.id).where(
                    cards.c.merchant_id == program.merchant_id,
                    cards.c.printed_card_number == card_number,
                )
            )
        ).first()
        if existing is not None:
            raise ServiceFailure("enrollment.card_number_in_use", "Card number is already in use")
    number = await _new_virtual_card(uow, program, template_code, card_number)
    outcome = await activate(uow, program, where, CardRef(number), "PX")
    assert outcome.view is not None
    await set_account_fields(
        uow,
        program.merchant_id,
        outcome.view.account_id,
        account_fields,
        enroll_store=where.store_code,
    )
    return NewAccount(outcome.view.account_id, number, outcome.transaction_id)


async def activate_existing(
    uow: UnitOfWork,
    program: Program,
    where: CallStamp,
    card_number: str,
    account_fields: Mapping[str, object],
) -> NewAccount:
    """Activate an inactive physical card on a new account with these fields."""
    found = (
        await uow.conn.execute(
            select(cards.c.status).where(
                cards.c.merchant_id == program.merchant_id,
                cards.c.printed_card_number == card_number,
            )
        )
    ).first()
    if found is None:
        raise ServiceFailure("enrollment.card_not_found", "Card not found")
    if found.status != "inactive":
        raise ServiceFailure("enrollment.card_already_active", "Card is already active")
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


@dataclass(frozen=True)
class Enrolled:
    account_id: int
    card_number: str
    user_id: int | None  # None: no user fields were sent and none was asked for

    @property
    def user(self) -> int:
        """The user of an enrollment that always keeps one (``user="always"``)."""
        if self.user_id is None:
            raise ValueError("this enrollment kept no user")
        return self.user_id


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
    return Enrolled(made.account_id, made.card_number, user_id)


async def set_account_fields(
    uow: UnitOfWork,
    merchant_id: int,
    account_id: int,
    values: Mapping[str, object],
    *,
    enroll_store: str | None = None,
) -> None:
    current = (
        await uow.conn.execute(
            select(accounts.c.fields).where(
                accounts.c.merchant_id == merchant_id, accounts.c.id == account_id
            )
        )
    ).scalar()
    merged = dict(current or {})
    for name, value in values.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    changes: dict[str, object] = {"fields": merged}
    if enroll_store is not None:
        changes["enroll_store_code"] = enroll_store
    await uow.conn.execute(
        update(accounts)
        .where(accounts.c.merchant_id == merchant_id, accounts.c.id == account_id)
        .values(**changes)
    )


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
    password_hash = hash_secret(password) if isinstance(password, str) else None
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
    if not user_values:
        return
    await uow.users.lock(program.merchant_id, user.id)
    unique = unique_fields(template.form, enforce)
    await claim_uniques(uow, program.merchant_id, user.id, user_values, unique)
    values = dict(user_values)
    password = values.pop("password", None)
    email_changed = "email" in values and values["email"] != user.fields.get("email")
    await uow.users.update(
        user,
        values,
        now,
        password_hash=hash_secret(password) if isinstance(password, str) else None,
        # A new address has not been verified yet.
        email_verified=False if email_changed else None,
    )


async def account_row(uow: UnitOfWork, merchant_id: int, account_id: int) -> object:
    return (
        await uow.conn.execute(
            select(accounts).where(
                accounts.c.merchant_id == merchant_id, accounts.c.id == account_id
            )
        )
    ).first()
