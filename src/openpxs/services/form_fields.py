"""The enrollment form: checking the FieldSets a call sends, and claiming the values that
must be unique.

A FieldSet is checked whole against the card template's form, so one refusal names every
bad field (``domain.fields.InvalidFields``). Unique values are looked at before any work
is done and claimed when the user is written; the claim decides a race.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from openpxs.domain.errors import InvalidRequest
from openpxs.domain.fields import (
    UNIQUE_CAPABLE,
    CheckedFields,
    FieldError,
    FieldSetting,
    UniqueValueInUse,
    check_field_set,
    check_required,
    require_ok,
)
from openpxs.domain.program import CardTemplateDef, Program
from openpxs.store.repositories.users import UniqueValueTaken
from openpxs.store.uow import UnitOfWork

LOGIN = ("username", "password")
# What a call that creates an account does with a login: "refused" (createAndEdit,
# activateAndEdit, smsEnroll) or "optional" (the eClub sign-up, both halves or neither).
Login = Literal["refused", "optional"]


@dataclass(frozen=True)
class FieldsSent:
    """The FieldSets and the uniqueness list of a call, as the client sent them."""

    user: object = None
    account: object = None
    enforce_unique: object = None

    @property
    def has_user_fields(self) -> bool:
        """Whether any user field was sent (a FieldSet's ``style`` is not one)."""
        return isinstance(self.user, Mapping) and any(k != "style" for k in self.user)


def _check_sets(
    program: Program,
    form: Mapping[str, FieldSetting],
    set_user: object,
    set_account: object,
    now: datetime,
) -> CheckedFields:
    checked = CheckedFields()
    today = program.today(now)
    stores = frozenset(program.stores)
    check_field_set(checked, "user", set_user, form, today=today, store_codes=stores)
    check_field_set(checked, "account", set_account, form, today=today, store_codes=stores)
    return checked


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
    """Check both FieldSets of a call against the template's form; refuse any problem."""
    form = template.form
    checked = _check_sets(program, form, set_user, set_account, now)
    if creating and not registering:
        for name in LOGIN:
            if name in checked.user:
                checked.add_error("user", name, "not_allowed", "This call does not register")
    if creating:
        required = form if registering else _without_login(form)
        check_required(checked, required, registering=registering)
    return require_ok(checked)


def check_form(
    program: Program,
    form: Mapping[str, FieldSetting],
    set_user: object,
    set_account: object,
    now: datetime,
    *,
    login: Login,
    require: bool,
) -> CheckedFields:
    """Check FieldSets for calls that create an account without a mandatory login.

    ``require`` applies the form's required fields (the login aside).
    """
    checked = _check_sets(program, form, set_user, set_account, now)
    if login == "refused":
        # Judged on the member's presence: whatever its value, this call cannot take it.
        sent = set(set_user) if isinstance(set_user, Mapping) else set()
        for name in LOGIN:
            if name in sent:
                checked.user.pop(name, None)
                checked.errors[f"setUserFields/{name}"] = [
                    FieldError("not_allowed", "This call does not register")
                ]
    else:
        given = [name for name in LOGIN if checked.user.get(name) is not None]
        if len(given) == 1:
            missing = next(name for name in LOGIN if name not in given)
            checked.add_error(
                "user", missing, "required", "A login needs both username and password"
            )
    if require:
        check_required(checked, _without_login(form), registering=False)
    return require_ok(checked)


def require_login(checked: CheckedFields) -> None:
    """Registering needs a username and a password, whatever else is known already."""
    for name in LOGIN:
        if checked.user.get(name) is None:
            checked.add_error("user", name, "required", "This field is required")
    require_ok(checked)


def _without_login(form: Mapping[str, FieldSetting]) -> dict[str, FieldSetting]:
    return {k: v for k, v in form.items() if k not in LOGIN}


def unique_fields(form: Mapping[str, FieldSetting], enforce: Iterable[str] | None) -> set[str]:
    """The fields whose values must be unique: the form's, the call's and the username."""
    names = {name for name, setting in form.items() if setting.unique}
    for name in enforce or ():
        if name in UNIQUE_CAPABLE:
            names.add(name)
    names.add("username")
    return names


def check_enforce_list(enforce: object) -> list[str]:
    """The call's ``enforceUniqueFields``: field names that can be made unique."""
    if enforce is None:
        return []
    if not isinstance(enforce, list) or not all(isinstance(n, str) for n in enforce):
        raise InvalidRequest("enforceUniqueFields must be a list")
    unknown = [n for n in enforce if n not in UNIQUE_CAPABLE]
    if unknown:
        raise InvalidRequest(f"These fields cannot be made unique: {', '.join(unknown)}")
    return list(enforce)


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
            raise UniqueValueInUse(name)


async def claim_uniques(
    uow: UnitOfWork,
    merchant_id: int,
    user_id: int,
    values: Mapping[str, object],
    unique: set[str],
) -> None:
    """Claim the user's unique values; a cleared one is released for others."""
    claims = [(n, v) for n, v in values.items() if n in unique and isinstance(v, str) and v]
    cleared = [n for n, v in values.items() if n in unique and v is None]
    try:
        await uow.users.claim_unique(merchant_id, user_id, claims)
    except UniqueValueTaken as taken:
        raise UniqueValueInUse(taken.field) from None
    if cleared:
        await uow.users.release_unique(merchant_id, user_id, cleared)
