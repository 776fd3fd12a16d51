"""Enrollment beyond create-and-register: loginless users, eClub forms, addresses,
external accounts, perks, related guests, codes sent to guests and account combining.

Like ``services.enrollment`` every function runs in the caller's one transaction and
refuses with ``ServiceFailure`` before anything is committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, func, insert, or_, select, update

from openpxs.domain.fields import (
    CheckedFields,
    FieldError,
    FieldSetting,
    check_field_set,
    check_required,
)
from openpxs.domain.intents import Intent, WearOutCodes
from openpxs.domain.program import CardTemplateDef, Program
from openpxs.messaging.outbox import enqueue
from openpxs.services import oauth
from openpxs.services.enrollment import field_failure
from openpxs.store.repositories.users import User
from openpxs.store.tables import (
    account_perks,
    accounts,
    cards,
    combine_workflows,
    external_accounts,
    related_guests,
    user_addresses,
    users,
)
from openpxs.store.uow import UnitOfWork
from openpxs.wire.envelope import ServiceFailure

LOGIN = ("username", "password")
EMAIL_VERIFICATION = "email_verification"
SMS_ENROLL = "sms_enroll"
AUTOMATIC_COMBINE = "automatic_combine"
COMBINE_LIFETIME = timedelta(minutes=30)
# Related guests are family members; more than this under one account is abuse.
MAX_RELATED_GUESTS = 20
MAX_ADDRESSES = 20

Login = Literal["refused", "optional"]


def failure(errors: Mapping[str, list[FieldError]]) -> ServiceFailure:
    checked = CheckedFields(errors={k: list(v) for k, v in errors.items()})
    return field_failure(checked)


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

    ``refused``: username/password may not be sent (createAndEdit, activateAndEdit,
    smsEnroll). ``optional``: the eClub sign-up, where a login may be sent but then
    both halves must be. ``require`` applies the form's required fields (login aside).
    """
    checked = CheckedFields()
    today = program.today(now)
    stores = frozenset(program.stores)
    check_field_set(checked, "user", set_user, form, today=today, store_codes=stores)
    check_field_set(checked, "account", set_account, form, today=today, store_codes=stores)
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
        without_login = {k: v for k, v in form.items() if k not in LOGIN}
        check_required(checked, without_login, registering=False)
    if not checked.ok:
        raise field_failure(checked)
    return checked


def eclub_template(program: Program, code: int | None) -> CardTemplateDef:
    template = program.templates.get(code) if code is not None else None
    if template is None or not template.eclub:
        raise ServiceFailure("enrollment.invalid_card_template", "Invalid card template")
    return template


@dataclass(frozen=True)
class InactiveCard:
    number: str
    template_code: int
    registration_code: str | None
    status: str


async def card_row(uow: UnitOfWork, merchant_id: int, number: str) -> InactiveCard | None:
    row = (
        await uow.conn.execute(
            select(
                cards.c.printed_card_number,
                cards.c.template_code,
                cards.c.registration_code,
                cards.c.status,
            ).where(cards.c.merchant_id == merchant_id, cards.c.printed_card_number == number)
        )
    ).first()
    if row is None:
        return None
    return InactiveCard(
        row.printed_card_number, row.template_code, row.registration_code, row.status
    )


async def primary_card(uow: UnitOfWork, merchant_id: int, account_id: int) -> str | None:
    return (await uow.users.primary_cards(merchant_id, [account_id])).get(account_id)


async def template_code_of(uow: UnitOfWork, merchant_id: int, account_id: int) -> int:
    code = (
        await uow.conn.execute(
            select(accounts.c.template_code).where(
                accounts.c.merchant_id == merchant_id, accounts.c.id == account_id
            )
        )
    ).scalar_one()
    return int(code)


# --- messages -----------------------------------------------------------------


async def send_sms_enroll(
    uow: UnitOfWork,
    program: Program,
    *,
    user_id: int,
    account_id: int,
    phone: str,
    now: datetime,
) -> None:
    """Text the guest a link that completes their enrollment; the code is in the body only."""
    messages = program.guest.messages
    code = await uow.codes.issue(
        merchant_id=program.merchant_id,
        purpose=SMS_ENROLL,
        now=now,
        lifetime=timedelta(minutes=messages.verification_code_minutes),
        user_id=user_id,
        account_id=account_id,
        target=phone,
    )
    # replace, not str.format: the operator's link text must not be read as a template
    # that could reach attributes of the arguments.
    link = messages.sms_enroll_link.replace("{code}", code)
    await enqueue(
        uow,
        merchant_id=program.merchant_id,
        channel="sms",
        recipient=phone,
        subject=None,
        body=f"{program.name}: finish joining our rewards program at {link}",
        now=now,
    )


async def send_code(
    uow: UnitOfWork,
    program: Program,
    *,
    purpose: str,
    user: User,
    channel: Literal["email", "sms"],
    recipient: str,
    subject: str,
    what: str,
    now: datetime,
) -> None:
    code = await uow.codes.issue(
        merchant_id=program.merchant_id,
        purpose=purpose,
        now=now,
        lifetime=timedelta(minutes=program.guest.messages.verification_code_minutes),
        user_id=user.id,
        account_id=user.account_id,
        target=recipient,
    )
    await enqueue(
        uow,
        merchant_id=program.merchant_id,
        channel=channel,
        recipient=recipient,
        subject=subject if channel == "email" else None,
        body=f"{program.name}: your code to {what} is {code}. "
        f"It is valid for {program.guest.messages.verification_code_minutes} minutes.",
        now=now,
    )


# --- users --------------------------------------------------------------------


async def forget_user(uow: UnitOfWork, merchant_id: int, user_id: int, now: datetime) -> None:
    """Delete a user: sign-ins end, addresses go, accounts stay unregistered with value."""
    await uow.tokens.revoke_user(merchant_id, user_id, now)
    await uow.conn.execute(
        delete(user_addresses).where(
            user_addresses.c.merchant_id == merchant_id, user_addresses.c.user_id == user_id
        )
    )
    await uow.users.delete(merchant_id, user_id)


# --- addresses ----------------------------------------------------------------

ADDRESS_COLUMNS = {
    "label": "label",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "stateProvince": "state_province",
    "postalCode": "postal_code",
    "country": "country",
}


def address_values(address: Mapping[str, Any]) -> dict[str, str | None]:
    """Column values of a wire Address; an address with no line, city or code is refused."""
    out: dict[str, str | None] = {}
    for member, column in ADDRESS_COLUMNS.items():
        value = address.get(member)
        text = value.strip() if isinstance(value, str) else None
        if text is not None and "\x00" in text:
            raise failure({f"address/{member}": [FieldError("invalid_format", "Invalid text")]})
        out[column] = text or None
    if not any(out[c] for c in ("address1", "address2", "city", "postal_code")):
        raise failure(
            {"address": [FieldError("required", "Give at least an address line, city or code")]}
        )
    return out


async def add_address(
    uow: UnitOfWork, merchant_id: int, user_id: int, values: Mapping[str, str | None]
) -> int:
    count = (
        await uow.conn.execute(
            select(func.count()).where(
                user_addresses.c.merchant_id == merchant_id, user_addresses.c.user_id == user_id
            )
        )
    ).scalar_one()
    if count >= MAX_ADDRESSES:
        raise failure(
            {"address": [FieldError("too_many", f"At most {MAX_ADDRESSES} addresses per user")]}
        )
    result = await uow.conn.execute(
        insert(user_addresses).values(merchant_id=merchant_id, user_id=user_id, **values)
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _address_of(merchant_id: int, user_id: int, address_id: int) -> Any:
    return (
        (user_addresses.c.merchant_id == merchant_id)
        & (user_addresses.c.user_id == user_id)
        & (user_addresses.c.id == address_id)
    )


async def edit_address(
    uow: UnitOfWork,
    merchant_id: int,
    user_id: int,
    address_id: int,
    values: Mapping[str, str | None],
) -> None:
    result = await uow.conn.execute(
        update(user_addresses).where(_address_of(merchant_id, user_id, address_id)).values(**values)
    )
    if result.rowcount != 1:
        raise ServiceFailure("enrollment.address_not_found", "Address not found")


async def delete_address(uow: UnitOfWork, merchant_id: int, user_id: int, address_id: int) -> None:
    result = await uow.conn.execute(
        delete(user_addresses).where(_address_of(merchant_id, user_id, address_id))
    )
    if result.rowcount != 1:
        raise ServiceFailure("enrollment.address_not_found", "Address not found")


# --- external accounts and perks ---------------------------------------------


async def link_external(
    uow: UnitOfWork, merchant_id: int, account_id: int, pairs: Sequence[tuple[str, str]]
) -> None:
    """Link identifiers; one already linked to another account is refused, not moved, so a
    caller cannot take over someone else's sign-in provider id or partner account."""
    errors: dict[str, list[FieldError]] = {}
    for index, (identifier, code) in enumerate(pairs):
        holder = (
            await uow.conn.execute(
                select(external_accounts.c.account_id).where(
                    external_accounts.c.merchant_id == merchant_id,
                    external_accounts.c.external_identifier == identifier,
                    external_accounts.c.account_code == code,
                )
            )
        ).scalar()
        if holder == account_id:
            continue
        if holder is not None:
            errors[f"addExternalAccounts/{index}"] = [
                FieldError("already_linked", "Already linked to another account")
            ]
            continue
        await uow.conn.execute(
            insert(external_accounts).values(
                merchant_id=merchant_id,
                account_id=account_id,
                external_identifier=identifier,
                account_code=code,
            )
        )
    if errors:
        raise failure(errors)


async def unlink_external(
    uow: UnitOfWork, merchant_id: int, account_id: int, pairs: Sequence[tuple[str, str]]
) -> None:
    for identifier, code in pairs:
        await uow.conn.execute(
            delete(external_accounts).where(
                external_accounts.c.merchant_id == merchant_id,
                external_accounts.c.account_id == account_id,
                external_accounts.c.external_identifier == identifier,
                external_accounts.c.account_code == code,
            )
        )


async def add_perk(
    uow: UnitOfWork, merchant_id: int, account_id: int, code: str, now: datetime
) -> None:
    held = (
        await uow.conn.execute(
            select(account_perks.c.perk_code).where(
                account_perks.c.merchant_id == merchant_id,
                account_perks.c.account_id == account_id,
                account_perks.c.perk_code == code,
            )
        )
    ).first()
    if held is None:
        await uow.conn.execute(
            insert(account_perks).values(
                merchant_id=merchant_id, account_id=account_id, perk_code=code, added_at=now
            )
        )


# --- related guests -----------------------------------------------------------

RELATED_TEXT = {"firstName": 100, "lastName": 100, "relationship": 64}


def check_related(
    raw: Mapping[str, Any], key: str, today: date, *, partial: bool
) -> dict[str, object]:
    """Column values of a related guest; errors keyed ``<key>/<member>``.

    ``partial`` (an edit) checks only the members sent; a new guest needs a first name.
    """
    errors: dict[str, list[FieldError]] = {}
    out: dict[str, object] = {}
    columns = {"firstName": "first_name", "lastName": "last_name", "relationship": "relationship"}
    for member, limit in RELATED_TEXT.items():
        if partial and member not in raw:
            continue
        value = raw.get(member)
        if value is None or (isinstance(value, str) and not value.strip()):
            out[columns[member]] = None
            continue
        if not isinstance(value, str) or "\x00" in value:
            errors[f"{key}/{member}"] = [FieldError("invalid_type", "Must be text")]
        elif len(value.strip()) > limit:
            errors[f"{key}/{member}"] = [
                FieldError("too_long", f"Must be at most {limit} characters")
            ]
        else:
            out[columns[member]] = value.strip()
    if not partial or "dateOfBirth" in raw:
        out["date_of_birth"] = None
        born = raw.get("dateOfBirth")
        if born not in (None, ""):
            day = _iso_day(born)
            if day is None:
                errors[f"{key}/dateOfBirth"] = [
                    FieldError("invalid_format", "Must be a date written YYYY-MM-DD")
                ]
            elif not date(1900, 1, 1) <= day <= today:
                errors[f"{key}/dateOfBirth"] = [
                    FieldError("invalid_date", "Must be a date between 1900-01-01 and today")
                ]
            else:
                out["date_of_birth"] = day
    if "first_name" in out and out["first_name"] is None and f"{key}/firstName" not in errors:
        errors[f"{key}/firstName"] = [FieldError("required", "This field is required")]
    if errors:
        raise failure(errors)
    return out


def _iso_day(value: object) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


async def related_of(uow: UnitOfWork, merchant_id: int, account_id: int) -> list[Any]:
    return list(
        (
            await uow.conn.execute(
                select(related_guests)
                .where(
                    related_guests.c.merchant_id == merchant_id,
                    related_guests.c.account_id == account_id,
                )
                .order_by(related_guests.c.id)
            )
        ).all()
    )


async def add_related(
    uow: UnitOfWork,
    merchant_id: int,
    account_id: int,
    guests: Sequence[Mapping[str, object]],
) -> None:
    existing = len(await related_of(uow, merchant_id, account_id))
    if existing + len(guests) > MAX_RELATED_GUESTS:
        raise failure(
            {
                "relatedGuests": [
                    FieldError(
                        "too_many", f"At most {MAX_RELATED_GUESTS} related guests per account"
                    )
                ]
            }
        )
    for values in guests:
        await uow.conn.execute(
            insert(related_guests).values(merchant_id=merchant_id, account_id=account_id, **values)
        )


def _related(merchant_id: int, account_id: int, guest_id: int) -> Any:
    return (
        (related_guests.c.merchant_id == merchant_id)
        & (related_guests.c.account_id == account_id)
        & (related_guests.c.id == guest_id)
    )


async def edit_related(
    uow: UnitOfWork,
    merchant_id: int,
    account_id: int,
    guest_id: int,
    values: Mapping[str, object],
) -> None:
    found = (
        await uow.conn.execute(
            select(related_guests.c.id).where(_related(merchant_id, account_id, guest_id))
        )
    ).first()
    if found is None:
        raise ServiceFailure("enrollment.related_guest_not_found", "Related guest not found")
    if values:
        await uow.conn.execute(
            update(related_guests)
            .where(_related(merchant_id, account_id, guest_id))
            .values(**values)
        )


async def remove_related(uow: UnitOfWork, merchant_id: int, account_id: int, guest_id: int) -> None:
    result = await uow.conn.execute(
        delete(related_guests).where(_related(merchant_id, account_id, guest_id))
    )
    if result.rowcount != 1:
        raise ServiceFailure("enrollment.related_guest_not_found", "Related guest not found")


# --- automatic combine --------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    account_id: int
    template_code: int
    card_number: str
    registered: bool


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


async def combine_candidates(
    uow: UnitOfWork, merchant_id: int, user: User, channel: Literal["email", "sms"]
) -> list[Candidate]:
    """Active accounts of other users (registered or not) sharing the caller's contact.

    Phones are compared as stored and as bare digits, which covers the forms the
    enrollment checks let through without a full-table scan.
    """
    if channel == "email":
        email = user.email or ""
        match: Any = func.lower(users.c.email) == email.strip().lower()
    else:
        phone = str(user.fields.get("mobilePhone") or "")
        match = or_(users.c.mobile_phone == phone, users.c.mobile_phone == _digits(phone))
    rows = (
        await uow.conn.execute(
            select(accounts.c.id, accounts.c.template_code, users.c.username)
            .select_from(
                accounts.join(
                    users,
                    (users.c.merchant_id == accounts.c.merchant_id)
                    & (users.c.id == accounts.c.user_id),
                )
            )
            .where(
                accounts.c.merchant_id == merchant_id,
                accounts.c.status == "active",
                users.c.id != user.id,
                match,
            )
            .order_by(accounts.c.id)
        )
    ).all()
    numbers = await uow.users.primary_cards(merchant_id, [r.id for r in rows])
    return [
        Candidate(r.id, r.template_code, numbers[r.id], r.username is not None)
        for r in rows
        if r.id in numbers
    ]


async def store_workflow(
    uow: UnitOfWork,
    merchant_id: int,
    workflow_id: str,
    user_id: int,
    account_ids: list[int],
    now: datetime,
) -> None:
    await uow.conn.execute(
        insert(combine_workflows).values(
            merchant_id=merchant_id,
            workflow_id=workflow_id,
            user_id=user_id,
            candidate_account_ids=account_ids,
            created_at=now,
            expires_at=now + COMBINE_LIFETIME,
        )
    )


@dataclass(frozen=True)
class Workflow:
    workflow_id: str
    user_id: int
    account_ids: list[int]


async def live_workflow(
    uow: UnitOfWork, merchant_id: int, workflow_id: str, now: datetime, *, lock: bool
) -> Workflow | None:
    stmt = select(combine_workflows).where(
        combine_workflows.c.merchant_id == merchant_id,
        combine_workflows.c.workflow_id == workflow_id,
    )
    if lock and uow.conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = (await uow.conn.execute(stmt)).first()
    if row is None or row.completed_at is not None or row.expires_at <= now:
        return None
    return Workflow(row.workflow_id, row.user_id, [int(a) for a in row.candidate_account_ids])


async def attach_accounts(
    uow: UnitOfWork, merchant_id: int, user_id: int, account_ids: list[int], now: datetime
) -> list[int]:
    """Give the accounts to the user (balances stay on each account).

    A former owner left without accounts is deleted, since a user row must point at an
    account it owns; one who keeps other accounts points at the first of them.
    """
    moved: list[int] = []
    former: set[int] = set()
    for account_id in sorted(account_ids):
        await uow.users.lock_account(merchant_id, account_id)
        row = (
            await uow.conn.execute(
                select(accounts.c.user_id, accounts.c.status).where(
                    accounts.c.merchant_id == merchant_id, accounts.c.id == account_id
                )
            )
        ).first()
        if row is None or row.status != "active" or row.user_id == user_id:
            continue
        if row.user_id is not None:
            former.add(row.user_id)
        await uow.users.attach_account(merchant_id, account_id, user_id, now)
        moved.append(account_id)
    for old in sorted(former):
        remaining = await uow.users.accounts_of(merchant_id, old)
        if remaining:
            await uow.users.set_columns(merchant_id, old, account_id=remaining[0])
        else:
            await forget_user(uow, merchant_id, old, now)
    return moved


async def finish_workflow(
    uow: UnitOfWork, merchant_id: int, workflow_id: str, now: datetime
) -> None:
    await uow.conn.execute(
        update(combine_workflows)
        .where(
            combine_workflows.c.merchant_id == merchant_id,
            combine_workflows.c.workflow_id == workflow_id,
        )
        .values(completed_at=now)
    )


def wrong_code(
    program: Program,
    purpose: str,
    user_id: int | None,
    subjects: list[str],
    now: datetime,
) -> tuple[Intent, ...]:
    """What a refused code leaves behind once its call rolls back: the guest's live codes
    worn out, and the guess counted against the integration."""
    intents: list[Intent] = []
    if user_id is not None:
        intents.append(WearOutCodes(program.merchant_id, purpose, now, user_id=user_id))
    if subjects:
        intents.append(oauth.count_failure(program, subjects, now, slow=False))
    return tuple(intents)
