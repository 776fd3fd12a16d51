"""Registered users: their fields, unique values and the accounts they own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    bindparam,
    delete,
    false,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from openpxs.domain.cards import AccountStatus, CardStatus
from openpxs.domain.fields import normalise_unique
from openpxs.store.direct import DirectQuery
from openpxs.store.repositories import Repository
from openpxs.store.tables import (
    accounts,
    cards,
    phone_digits,
    user_addresses,
    user_unique_values,
    users,
)

# User fields kept in their own columns (the POS searches them); the rest go in `fields`.
COLUMN_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "phone": "phone",
    "mobilePhone": "mobile_phone",
    "postalCode": "postal_code",
    "username": "username",
}


@dataclass(frozen=True)
class User:
    id: int
    merchant_id: int
    account_id: int
    username: str | None
    password_hash: str | None
    fields: dict[str, Any]
    email_verified: bool
    sms_opt_in_verified: bool
    language: str | None
    message_frequency: str | None

    @property
    def email(self) -> str | None:
        value = self.fields.get("email")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Address:
    id: int
    label: str | None
    address1: str | None
    address2: str | None
    city: str | None
    state_province: str | None
    postal_code: str | None
    country: str | None


# User fields a caller may identify a guest by, and their columns.
IDENTIFYING_COLUMNS = {
    "email": "email",
    "mobilePhone": "mobile_phone",
    "phone": "phone",
    "firstName": "first_name",
    "lastName": "last_name",
    "postalCode": "postal_code",
}


def _field_matches(name: str, value: str) -> ColumnElement[bool]:
    """The user's field equals the given value, compared the way people write it: phone
    numbers by their digits, postal codes without spaces, the rest ignoring case."""
    column = users.c[IDENTIFYING_COLUMNS[name]]
    if name in ("mobilePhone", "phone"):
        digits = normalise_unique("mobilePhone", value)
        return phone_digits(column) == digits if digits else false()
    if name == "postalCode":
        return func.lower(func.replace(column, " ", "")) == value.replace(" ", "").lower()
    return func.lower(func.trim(column)) == value.lower()


class UniqueValueTaken(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is taken")
        self.field = field


def _user(row: Any) -> User:
    fields: dict[str, Any] = dict(row.fields or {})
    for name, column in COLUMN_FIELDS.items():
        value = getattr(row, column)
        if value is not None:
            fields[name] = value
    return User(
        id=row.id,
        merchant_id=row.merchant_id,
        account_id=row.account_id,
        username=row.username,
        password_hash=row.password_hash,
        fields=fields,
        email_verified=bool(row.email_verified),
        sms_opt_in_verified=bool(row.sms_opt_in_verified),
        language=row.language,
        message_frequency=row.message_frequency,
    )


def _split(values: dict[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """(column values, values for the JSON `fields`) of a set of user fields."""
    columns: dict[str, object] = {}
    extra: dict[str, object] = {}
    for name, value in values.items():
        if name == "password":
            continue
        if name in COLUMN_FIELDS:
            columns[COLUMN_FIELDS[name]] = value
        else:
            extra[name] = value
    return columns, extra


_USER_OF_ACCOUNT = DirectQuery(
    select(users)
    .select_from(
        users.join(
            accounts,
            (accounts.c.merchant_id == users.c.merchant_id) & (accounts.c.user_id == users.c.id),
        )
    )
    .where(accounts.c.merchant_id == bindparam("m"), accounts.c.id == bindparam("a"))
)

# A guest's name (bound as ``m`` and ``user``), as a check's reply shows it.
GUEST_NAME = select(users.c.first_name, users.c.last_name).where(
    users.c.merchant_id == bindparam("m"), users.c.id == bindparam("user")
)
# Built once: many guest calls find their guest by id.
_USER_BY_ID = DirectQuery(
    select(users).where(users.c.merchant_id == bindparam("m"), users.c.id == bindparam("u"))
)


class UserRepository(Repository):
    """Registered users: their fields, unique values and the accounts they own."""

    __slots__ = ()

    async def by_id(self, merchant_id: int, user_id: int) -> User | None:
        row = await _USER_BY_ID.first(self.conn, {"m": merchant_id, "u": user_id})
        return None if row is None else _user(row)

    async def by_unique(self, merchant_id: int, field: str, value: str) -> User | None:
        """The user holding a unique value (username, e-mail, ...), case-insensitively."""
        user_id = (
            await self.conn.execute(
                select(user_unique_values.c.user_id).where(
                    user_unique_values.c.merchant_id == merchant_id,
                    user_unique_values.c.field == field,
                    user_unique_values.c.value_key == normalise_unique(field, value),
                )
            )
        ).scalar()
        return None if user_id is None else await self.by_id(merchant_id, user_id)

    async def by_email(self, merchant_id: int, email: str) -> list[User]:
        rows = await self.conn.execute(
            select(users).where(
                users.c.merchant_id == merchant_id,
                func.lower(users.c.email) == email.strip().lower(),
            )
        )
        return [_user(r) for r in rows]

    async def of_account(self, merchant_id: int, account_id: int) -> User | None:
        row = await _USER_OF_ACCOUNT.first(self.conn, {"m": merchant_id, "a": account_id})
        return None if row is None else _user(row)

    # Built once, one round trip: check replies name the account's guest.
    async def lock(self, merchant_id: int, user_id: int) -> None:
        """Serialise changes to one user (their fields and unique claims)."""
        stmt = select(users.c.id).where(users.c.merchant_id == merchant_id, users.c.id == user_id)
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        await self.conn.execute(stmt)

    async def lock_account(self, merchant_id: int, account_id: int) -> None:
        """Serialise two registrations of the same account."""
        stmt = select(accounts.c.id).where(
            accounts.c.merchant_id == merchant_id, accounts.c.id == account_id
        )
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        await self.conn.execute(stmt)

    async def create(
        self,
        merchant_id: int,
        account_id: int,
        values: dict[str, object],
        password_hash: str | None,
        now: datetime,
    ) -> int:
        columns, extra = _split({k: v for k, v in values.items() if v is not None})
        result = await self.conn.execute(
            insert(users).values(
                merchant_id=merchant_id,
                account_id=account_id,
                password_hash=password_hash,
                fields=extra,
                created_at=now,
                updated_at=now,
                **columns,
            )
        )
        user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        await self.attach_account(merchant_id, account_id, user_id, now)
        return user_id

    async def update(
        self,
        user: User,
        values: dict[str, object],
        now: datetime,
        *,
        password_hash: str | None = None,
        email_verified: bool | None = None,
    ) -> None:
        """Set the given fields (None clears one); other fields keep their values."""
        columns, extra = _split(values)
        merged = {k: v for k, v in user.fields.items() if k not in COLUMN_FIELDS}
        for name, value in extra.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        changes: dict[str, object] = {"fields": merged, "updated_at": now, **columns}
        if password_hash is not None:
            changes["password_hash"] = password_hash
        if email_verified is not None:
            changes["email_verified"] = email_verified
        await self.conn.execute(
            update(users)
            .where(users.c.merchant_id == user.merchant_id, users.c.id == user.id)
            .values(**changes)
        )

    async def set_columns(self, merchant_id: int, user_id: int, **values: object) -> None:
        await self.conn.execute(
            update(users)
            .where(users.c.merchant_id == merchant_id, users.c.id == user_id)
            .values(**values)
        )

    async def claim_unique(
        self, merchant_id: int, user_id: int, claims: Iterable[tuple[str, str]]
    ) -> None:
        """Claim (field, value) pairs for a user; a value another user holds is refused.

        The user's earlier claims on those fields are released first. The primary key
        decides between two users claiming the same value at the same moment.
        """
        for field, value in claims:
            key = normalise_unique(field, value)
            holder = (
                await self.conn.execute(
                    select(user_unique_values.c.user_id).where(
                        user_unique_values.c.merchant_id == merchant_id,
                        user_unique_values.c.field == field,
                        user_unique_values.c.value_key == key,
                    )
                )
            ).scalar()
            if holder == user_id:
                continue
            if holder is not None:
                raise UniqueValueTaken(field)
            await self.release_unique(merchant_id, user_id, [field])
            try:
                async with self.conn.begin_nested():
                    await self.conn.execute(
                        insert(user_unique_values).values(
                            merchant_id=merchant_id, field=field, value_key=key, user_id=user_id
                        )
                    )
            except IntegrityError:
                raise UniqueValueTaken(field) from None

    async def release_unique(
        self, merchant_id: int, user_id: int, fields: Iterable[str] | None = None
    ) -> None:
        stmt = delete(user_unique_values).where(
            user_unique_values.c.merchant_id == merchant_id, user_unique_values.c.user_id == user_id
        )
        if fields is not None:
            stmt = stmt.where(user_unique_values.c.field.in_(list(fields)))
        await self.conn.execute(stmt)

    async def unique_holder(self, merchant_id: int, field: str, value: str) -> int | None:
        return (
            await self.conn.execute(
                select(user_unique_values.c.user_id).where(
                    user_unique_values.c.merchant_id == merchant_id,
                    user_unique_values.c.field == field,
                    user_unique_values.c.value_key == normalise_unique(field, value),
                )
            )
        ).scalar()

    async def attach_account(
        self, merchant_id: int, account_id: int, user_id: int, now: datetime
    ) -> None:
        await self.conn.execute(
            update(accounts)
            .where(accounts.c.merchant_id == merchant_id, accounts.c.id == account_id)
            .values(user_id=user_id, registered_at=now)
        )

    async def accounts_of(self, merchant_id: int, user_id: int) -> list[int]:
        rows = await self.conn.execute(
            select(accounts.c.id)
            .where(
                accounts.c.merchant_id == merchant_id,
                accounts.c.user_id == user_id,
                accounts.c.status == AccountStatus.ACTIVE.value,
            )
            .order_by(accounts.c.id)
        )
        return [r.id for r in rows]

    async def primary_card(self, merchant_id: int, account_id: int) -> str | None:
        return (await self.primary_cards(merchant_id, [account_id])).get(account_id)

    async def primary_cards(self, merchant_id: int, account_ids: list[int]) -> dict[int, str]:
        """The primary (first active, else first) card number of each account."""
        if not account_ids:
            return {}
        rows = await self.conn.execute(
            select(cards.c.account_id, cards.c.printed_card_number, cards.c.status)
            .where(cards.c.merchant_id == merchant_id, cards.c.account_id.in_(account_ids))
            .order_by(cards.c.id)
        )
        first: dict[int, str] = {}
        first_active: dict[int, str] = {}
        for r in rows:
            first.setdefault(r.account_id, r.printed_card_number)
            if r.status == CardStatus.ACTIVE:
                first_active.setdefault(r.account_id, r.printed_card_number)
        return {**first, **first_active}

    async def matching(
        self, merchant_id: int, given: dict[str, str], user_id: int | None = None
    ) -> list[int]:
        """Ids of at most two users whose identifying fields hold every given value
        (only ``user_id``, when given)."""
        stmt = select(users.c.id).where(
            users.c.merchant_id == merchant_id,
            *(_field_matches(name, value) for name, value in given.items()),
        )
        if user_id is not None:
            stmt = stmt.where(users.c.id == user_id)
        return [row.id for row in await self.conn.execute(stmt.order_by(users.c.id).limit(2))]

    async def with_mobile_phone(
        self, merchant_id: int, digits: str, *, limit: int = 2
    ) -> list[tuple[int, str]]:
        """(id, stored number) of at most ``limit`` users whose mobile number has these
        digits."""
        rows = await self.conn.execute(
            select(users.c.id, users.c.mobile_phone)
            .where(
                users.c.merchant_id == merchant_id,
                users.c.mobile_phone.is_not(None),
                phone_digits(users.c.mobile_phone) == digits,
            )
            .order_by(users.c.id)
            .limit(limit)
        )
        return [(row.id, row.mobile_phone) for row in rows]

    async def delete(self, merchant_id: int, user_id: int) -> None:
        """Forget a user: their accounts stay, unregistered, with their balances."""
        await self.release_unique(merchant_id, user_id)
        await self.conn.execute(
            update(accounts)
            .where(accounts.c.merchant_id == merchant_id, accounts.c.user_id == user_id)
            .values(user_id=None, registered_at=None)
        )
        await self.conn.execute(
            delete(users).where(users.c.merchant_id == merchant_id, users.c.id == user_id)
        )

    async def addresses_of(self, merchant_id: int, user_id: int) -> list[Address]:
        """The user's addresses, in the order they were added."""
        rows = await self.conn.execute(
            select(user_addresses)
            .where(user_addresses.c.merchant_id == merchant_id, user_addresses.c.user_id == user_id)
            .order_by(user_addresses.c.id)
        )
        return [
            Address(
                r.id,
                r.label,
                r.address1,
                r.address2,
                r.city,
                r.state_province,
                r.postal_code,
                r.country,
            )
            for r in rows
        ]

    async def move_primary_account(
        self, merchant_id: int, from_account_ids: list[int], to_account_id: int
    ) -> None:
        """Users whose primary account is one of ``from_account_ids`` get ``to_account_id``
        as their primary account instead."""
        await self.conn.execute(
            update(users)
            .where(users.c.merchant_id == merchant_id, users.c.account_id.in_(from_account_ids))
            .values(account_id=to_account_id)
        )
