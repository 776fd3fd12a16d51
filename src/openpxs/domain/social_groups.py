"""The rules of social groups: roles and who may do what, and invitation codes.

A group has exactly one OWNER, any number of ADMINs and MEMBERs. The owner and admins
manage the group (accept or reject requests, edit it, remove members); only the owner
changes roles, and hands ownership over by making another member OWNER (the old owner
becomes an ADMIN). Any member may invite. An admin may remove members but not the owner
or another admin. The owner cannot leave while others remain: it hands ownership over
first; an owner who is the last member dissolves the group by leaving. A guest who is
deleted leaves every group: an owner's group passes to the longest-standing admin, else
the longest-standing member, and is dissolved when nobody else is in it.
"""

from __future__ import annotations

import re
import secrets
from enum import StrEnum

from openpxs.domain.errors import Reason, Refused

# Invitation codes: 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
_CODE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
# The most friends' identifiers one lookup may name.
MAX_LOOKUP = 100


class Role(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


def parse_role(value: str | None) -> Role:
    try:
        return Role((value or "").strip().upper())
    except ValueError:
        raise Refused(Reason.INVALID_ROLE, "role is OWNER, ADMIN or MEMBER") from None


def new_invitation_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_invitation_code(value: str | None) -> str:
    """The code as stored (upper case, no spaces or dashes), or INVALID_INVITATION_CODE
    when it cannot be one."""
    code = re.sub(r"[\s-]", "", value or "").upper()
    if not _CODE.match(code):
        raise Refused(Reason.INVALID_INVITATION_CODE)
    return code


def normal_email(value: str | None) -> str | None:
    """An address as invitations and lookups compare it: trimmed, lower case; None when
    it is not an address."""
    email = (value or "").strip().lower()
    if not email or len(email) > 254 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        return None
    return email


def manages(role: Role | None) -> bool:
    """Owner and admins accept and reject requests, edit the group, remove members."""
    return role in (Role.OWNER, Role.ADMIN)


def require_manager(role: Role | None) -> None:
    if not manages(role):
        raise Refused(Reason.NOT_AUTHORIZED, "only the group's owner or an admin may do this")


def may_remove(actor: Role | None, target: Role) -> bool:
    """The owner removes anyone else; an admin removes plain members only."""
    if actor == Role.OWNER:
        return target != Role.OWNER
    return actor == Role.ADMIN and target == Role.MEMBER


def check_role_change(actor: Role | None, *, self_change: bool, new_role: Role) -> None:
    """Only the owner changes roles; the owner gives up ownership only by making another
    member OWNER, so a group always keeps exactly one."""
    if actor != Role.OWNER:
        raise Refused(Reason.NOT_AUTHORIZED, "only the group's owner changes roles")
    if self_change and new_role != Role.OWNER:
        raise Refused(Reason.NOT_AUTHORIZED, "hand ownership over by making another member OWNER")


def check_leave(role: Role, members: int) -> bool:
    """Whether leaving dissolves the group (its last member leaves); an owner with
    others still in the group is refused."""
    if members <= 1:
        return True
    if role == Role.OWNER:
        raise Refused(
            Reason.NOT_AUTHORIZED,
            "the owner must make another member OWNER before leaving",
        )
    return False


def successor(others: list[tuple[Role, int]]) -> int | None:
    """Who becomes owner when the owner is deleted: of the other members, each (role,
    user id) in joining order, the first admin, else the first member; None when there is
    nobody else (the group is dissolved)."""
    for wanted in (Role.ADMIN, Role.MEMBER):
        for role, user_id in others:
            if role == wanted:
                return user_id
    return None
