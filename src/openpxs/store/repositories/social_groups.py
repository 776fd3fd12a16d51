"""Social groups: groups, their members and roles, join requests and invitations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from openpxs.store.direct import DirectQuery
from openpxs.store.repositories import CHUNK, Repository
from openpxs.store.tables import (
    accounts,
    external_accounts,
    social_group_invitations,
    social_group_members,
    social_group_requests,
    social_groups,
    users,
)

G, M, Q, V = social_groups, social_group_members, social_group_requests, social_group_invitations


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    description: str | None
    created_by: int


@dataclass(frozen=True)
class Member:
    group_id: int
    user_id: int
    role: str
    username: str | None
    first_name: str | None
    last_name: str | None


@dataclass(frozen=True)
class JoinRequest:
    id: int
    group_id: int
    user_id: int
    username: str | None
    message: str | None
    created_at: datetime


@dataclass(frozen=True)
class Invitation:
    id: int
    code: str
    group_id: int
    group_name: str
    inviter_user_id: int | None
    inviter_username: str | None
    email: str | None
    external_identifier: str | None
    account_code: str | None
    created_at: datetime

    @property
    def open(self) -> bool:
        """A shareable invitation message, addressed to no one."""
        return self.email is None and self.account_code is None


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# Asked on every posted check of a registered guest while a group challenge runs: built
# once.
_GROUPS_OF = (
    select(M.c.user_id, M.c.group_id)
    .where(M.c.merchant_id == bindparam("m"), M.c.user_id.in_(bindparam("users", expanding=True)))
    .order_by(M.c.joined_at, M.c.group_id)
)
# One user's (bound as ``m`` and ``user``), in no particular order: what a posted check
# asks for its guest.
GROUPS_OF_ONE = select(M.c.user_id, M.c.group_id).where(
    M.c.merchant_id == bindparam("m"), M.c.user_id == bindparam("user")
)
_GROUPS_OF_ONE = DirectQuery(GROUPS_OF_ONE.order_by(M.c.joined_at, M.c.group_id))


_INVITATION = (
    select(
        V.c.id,
        V.c.code,
        V.c.group_id,
        G.c.name.label("group_name"),
        V.c.inviter_user_id,
        users.c.username.label("inviter_username"),
        V.c.email,
        V.c.external_identifier,
        V.c.account_code,
        V.c.created_at,
    )
    .join(G, G.c.id == V.c.group_id)
    .outerjoin(users, users.c.id == V.c.inviter_user_id)
)


def _invitation(row: object) -> Invitation:
    r = row._mapping  # type: ignore[attr-defined]
    return Invitation(**{k: r[k] for k in Invitation.__dataclass_fields__})


class SocialGroupRepository(Repository):
    __slots__ = ()

    # --- groups ---------------------------------------------------------------------------

    async def create(
        self, merchant_id: int, name: str, description: str | None, user_id: int, now: datetime
    ) -> int:
        found = await self.conn.execute(
            insert(G)
            .values(
                merchant_id=merchant_id,
                name=name,
                description=description,
                created_by=user_id,
                created_at=now,
            )
            .returning(G.c.id)
        )
        group_id = int(found.scalar_one())
        await self.conn.execute(
            insert(M).values(
                merchant_id=merchant_id,
                group_id=group_id,
                user_id=user_id,
                role="OWNER",
                joined_at=now,
            )
        )
        return group_id

    async def group(self, merchant_id: int, group_id: int, *, lock: bool = False) -> Group | None:
        """The group; ``lock`` serialises every change to it (PostgreSQL row lock)."""
        stmt = select(G.c.id, G.c.name, G.c.description, G.c.created_by).where(
            G.c.merchant_id == merchant_id, G.c.id == group_id
        )
        if lock and self.postgres:
            stmt = stmt.with_for_update()
        row = (await self.conn.execute(stmt)).first()
        return None if row is None else Group(row.id, row.name, row.description, row.created_by)

    async def groups(self, merchant_id: int, group_ids: list[int]) -> list[Group]:
        found: list[Group] = []
        for chunk in _chunks(sorted(set(group_ids))):
            rows = await self.conn.execute(
                select(G.c.id, G.c.name, G.c.description, G.c.created_by)
                .where(G.c.merchant_id == merchant_id, G.c.id.in_(chunk))
                .order_by(G.c.id)
            )
            found += [Group(r.id, r.name, r.description, r.created_by) for r in rows]
        return found

    async def modify(
        self,
        merchant_id: int,
        group_id: int,
        name: str | None,
        description: str | None,
        set_description: bool,
    ) -> None:
        """A new name when one is given; the description when ``set_description`` (None
        clears it)."""
        values: dict[str, object] = {}
        if name is not None:
            values["name"] = name
        if set_description:
            values["description"] = description
        if values:
            await self.conn.execute(
                update(G).where(G.c.merchant_id == merchant_id, G.c.id == group_id).values(values)
            )

    async def dissolve(self, merchant_id: int, group_id: int) -> None:
        for table in (V, Q, M):
            await self.conn.execute(
                delete(table).where(
                    table.c.merchant_id == merchant_id, table.c.group_id == group_id
                )
            )
        await self.conn.execute(delete(G).where(G.c.merchant_id == merchant_id, G.c.id == group_id))

    async def created_count(self, merchant_id: int, user_id: int) -> int:
        found = await self.conn.execute(
            select(func.count())
            .select_from(G)
            .where(G.c.merchant_id == merchant_id, G.c.created_by == user_id)
        )
        return int(found.scalar_one())

    # --- members --------------------------------------------------------------------------

    async def role(self, merchant_id: int, group_id: int, user_id: int) -> str | None:
        return (
            await self.conn.execute(
                select(M.c.role).where(
                    M.c.merchant_id == merchant_id, M.c.group_id == group_id, M.c.user_id == user_id
                )
            )
        ).scalar()

    async def members(self, merchant_id: int, group_ids: list[int]) -> dict[int, list[Member]]:
        """Each group's members, owner first, then admins, then by joining order."""
        found: dict[int, list[Member]] = {g: [] for g in group_ids}
        rank = {"OWNER": 0, "ADMIN": 1, "MEMBER": 2}
        for chunk in _chunks(sorted(set(group_ids))):
            rows = await self.conn.execute(
                select(
                    M.c.group_id,
                    M.c.user_id,
                    M.c.role,
                    M.c.joined_at,
                    users.c.username,
                    users.c.first_name,
                    users.c.last_name,
                )
                .outerjoin(users, users.c.id == M.c.user_id)
                .where(M.c.merchant_id == merchant_id, M.c.group_id.in_(chunk))
                .order_by(M.c.group_id, M.c.joined_at, M.c.user_id)
            )
            for r in rows:
                found.setdefault(r.group_id, []).append(
                    Member(r.group_id, r.user_id, r.role, r.username, r.first_name, r.last_name)
                )
        for listed in found.values():
            listed.sort(key=lambda m: rank.get(m.role, 3))
        return found

    async def member_count(self, merchant_id: int, group_id: int) -> int:
        found = await self.conn.execute(
            select(func.count())
            .select_from(M)
            .where(M.c.merchant_id == merchant_id, M.c.group_id == group_id)
        )
        return int(found.scalar_one())

    async def groups_of(self, merchant_id: int, user_ids: list[int]) -> dict[int, list[int]]:
        """The groups each user belongs to, oldest membership first."""
        found: dict[int, list[int]] = {u: [] for u in user_ids}
        for chunk in _chunks(sorted(set(user_ids))):
            rows: Sequence[Any]
            if len(chunk) == 1:
                rows = await _GROUPS_OF_ONE.rows(self.conn, {"m": merchant_id, "user": chunk[0]})
            else:
                params = {"m": merchant_id, "users": chunk}
                rows = (await self.conn.execute(_GROUPS_OF, params)).all()
            for r in rows:
                found.setdefault(r.user_id, []).append(r.group_id)
        return found

    async def add_member(
        self, merchant_id: int, group_id: int, user_id: int, role: str, now: datetime
    ) -> bool:
        """False when the user is already a member (the primary key decides a race)."""
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    insert(M).values(
                        merchant_id=merchant_id,
                        group_id=group_id,
                        user_id=user_id,
                        role=role,
                        joined_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def remove_member(self, merchant_id: int, group_id: int, user_id: int) -> None:
        await self.conn.execute(
            delete(M).where(
                M.c.merchant_id == merchant_id, M.c.group_id == group_id, M.c.user_id == user_id
            )
        )

    async def set_role(self, merchant_id: int, group_id: int, user_id: int, role: str) -> None:
        await self.conn.execute(
            update(M)
            .where(M.c.merchant_id == merchant_id, M.c.group_id == group_id, M.c.user_id == user_id)
            .values(role=role)
        )

    async def users_of_accounts(self, merchant_id: int, account_ids: list[int]) -> list[int]:
        rows = await self.conn.execute(
            select(accounts.c.user_id).where(
                accounts.c.merchant_id == merchant_id,
                accounts.c.id.in_(account_ids),
                accounts.c.user_id.is_not(None),
            )
        )
        return sorted({r.user_id for r in rows})

    async def users_by_external(
        self, merchant_id: int, identifier: str, codes: list[str]
    ) -> dict[str, list[int]]:
        """The users whose accounts carry each external account code."""
        found: dict[str, set[int]] = {}
        rows = await self.conn.execute(
            select(external_accounts.c.account_code, accounts.c.user_id)
            .join(accounts, accounts.c.id == external_accounts.c.account_id)
            .where(
                external_accounts.c.merchant_id == merchant_id,
                external_accounts.c.external_identifier == identifier,
                external_accounts.c.account_code.in_(codes),
                accounts.c.user_id.is_not(None),
            )
        )
        for r in rows:
            found.setdefault(r.account_code, set()).add(r.user_id)
        return {code: sorted(ids) for code, ids in found.items()}

    async def users_by_email(self, merchant_id: int, emails: list[str]) -> dict[str, list[int]]:
        """The users with each (lower case) e-mail address."""
        found: dict[str, set[int]] = {}
        rows = await self.conn.execute(
            select(func.lower(users.c.email).label("email"), users.c.id).where(
                users.c.merchant_id == merchant_id, func.lower(users.c.email).in_(emails)
            )
        )
        for r in rows:
            found.setdefault(r.email, set()).add(r.id)
        return {email: sorted(ids) for email, ids in found.items()}

    async def external_accounts_of(self, merchant_id: int, user_id: int) -> list[tuple[str, str]]:
        rows = await self.conn.execute(
            select(external_accounts.c.external_identifier, external_accounts.c.account_code)
            .join(accounts, accounts.c.id == external_accounts.c.account_id)
            .where(external_accounts.c.merchant_id == merchant_id, accounts.c.user_id == user_id)
        )
        return [(r.external_identifier, r.account_code) for r in rows]

    # --- requests -------------------------------------------------------------------------

    async def add_request(
        self, merchant_id: int, group_id: int, user_id: int, message: str | None, now: datetime
    ) -> JoinRequest | None:
        """None when the user already has a request to the group."""
        try:
            async with self.conn.begin_nested():
                found = await self.conn.execute(
                    insert(Q)
                    .values(
                        merchant_id=merchant_id,
                        group_id=group_id,
                        user_id=user_id,
                        message=message,
                        created_at=now,
                    )
                    .returning(Q.c.id)
                )
                request_id = int(found.scalar_one())
        except IntegrityError:
            return None
        return await self.request(merchant_id, group_id, request_id=request_id)

    async def request(
        self,
        merchant_id: int,
        group_id: int,
        *,
        request_id: int | None = None,
        user_id: int | None = None,
    ) -> JoinRequest | None:
        where = [Q.c.merchant_id == merchant_id, Q.c.group_id == group_id]
        if request_id is not None:
            where.append(Q.c.id == request_id)
        if user_id is not None:
            where.append(Q.c.user_id == user_id)
        found = await self._requests(*where)
        return found[0] if found else None

    async def requests_for(self, merchant_id: int, group_ids: list[int]) -> list[JoinRequest]:
        if not group_ids:
            return []
        return await self._requests(Q.c.merchant_id == merchant_id, Q.c.group_id.in_(group_ids))

    async def _requests(self, *where: object) -> list[JoinRequest]:
        rows = await self.conn.execute(
            select(Q.c.id, Q.c.group_id, Q.c.user_id, users.c.username, Q.c.message, Q.c.created_at)
            .outerjoin(users, users.c.id == Q.c.user_id)
            .where(*where)  # type: ignore[arg-type]
            .order_by(Q.c.id)
        )
        return [JoinRequest(*r) for r in rows]

    async def delete_requests_of(self, merchant_id: int, user_id: int) -> None:
        await self.conn.execute(
            delete(Q).where(Q.c.merchant_id == merchant_id, Q.c.user_id == user_id)
        )

    async def forget_inviter(self, merchant_id: int, user_id: int) -> None:
        """Invitations the user sent stay the group's, sent by no one now."""
        await self.conn.execute(
            update(V)
            .where(V.c.merchant_id == merchant_id, V.c.inviter_user_id == user_id)
            .values(inviter_user_id=None)
        )

    async def request_count(self, merchant_id: int, user_id: int) -> int:
        found = await self.conn.execute(
            select(func.count())
            .select_from(Q)
            .where(Q.c.merchant_id == merchant_id, Q.c.user_id == user_id)
        )
        return int(found.scalar_one())

    async def delete_request(self, merchant_id: int, request_id: int) -> bool:
        found = await self.conn.execute(
            delete(Q).where(Q.c.merchant_id == merchant_id, Q.c.id == request_id)
        )
        return bool(found.rowcount)

    # --- invitations ----------------------------------------------------------------------

    async def add_invitation(
        self,
        merchant_id: int,
        group_id: int,
        code: str,
        inviter_user_id: int,
        now: datetime,
        *,
        email: str | None = None,
        external: tuple[str, str] | None = None,
    ) -> bool:
        """False when the group already invites this address or external account."""
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    insert(V).values(
                        merchant_id=merchant_id,
                        code=code,
                        group_id=group_id,
                        inviter_user_id=inviter_user_id,
                        email=email,
                        external_identifier=external[0] if external else None,
                        account_code=external[1] if external else None,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def invitation(self, merchant_id: int, code: str) -> Invitation | None:
        row = (
            await self.conn.execute(
                _INVITATION.where(V.c.merchant_id == merchant_id, V.c.code == code)
            )
        ).first()
        return None if row is None else _invitation(row)

    async def invitations_for_group(self, merchant_id: int, group_id: int) -> list[Invitation]:
        rows = await self.conn.execute(
            _INVITATION.where(V.c.merchant_id == merchant_id, V.c.group_id == group_id).order_by(
                V.c.id
            )
        )
        return [_invitation(r) for r in rows]

    async def invitations_to(
        self, merchant_id: int, email: str | None, external: list[tuple[str, str]]
    ) -> list[Invitation]:
        """Invitations addressed to the e-mail address or any of the external accounts."""
        matches = [
            and_(V.c.external_identifier == ident, V.c.account_code == code)
            for ident, code in external
        ]
        if email:
            matches.append(V.c.email == email)
        if not matches:
            return []
        rows = await self.conn.execute(
            _INVITATION.where(V.c.merchant_id == merchant_id, or_(*matches)).order_by(V.c.id)
        )
        return [_invitation(r) for r in rows]

    async def invitation_count(self, merchant_id: int, group_id: int) -> int:
        found = await self.conn.execute(
            select(func.count())
            .select_from(V)
            .where(V.c.merchant_id == merchant_id, V.c.group_id == group_id)
        )
        return int(found.scalar_one())

    async def delete_invitation(self, merchant_id: int, invitation_id: int) -> None:
        await self.conn.execute(
            delete(V).where(V.c.merchant_id == merchant_id, V.c.id == invitation_id)
        )
