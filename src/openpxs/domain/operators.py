"""Operators: the staff of a merchant who sign in to the operator console, and what
each role may do there.

An owner may do everything; a manager runs the program, reads the reports and serves
guests; a CSR serves guests (looks them up, adjusts a wallet with a comment, exchanges
or locks cards, resends a verification e-mail); an analyst reads reports and looks,
but changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pyotp

from openpxs.domain.errors import Reason, Refused


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    CSR = "csr"
    ANALYST = "analyst"


class Permission(StrEnum):
    # Looking: guests' accounts and history, the audit trail.
    VIEW_GUESTS = "view_guests"
    VIEW_AUDIT = "view_audit"
    VIEW_REPORTS = "view_reports"
    # Serving guests: adjust a wallet, lock/unlock or exchange a card, resend verification.
    SERVE_GUESTS = "serve_guests"
    # Privacy requests and account housekeeping: merge, export, erase.
    MANAGE_GUEST_DATA = "manage_guest_data"
    # The program file: edit, simulate, apply; card ranges.
    MANAGE_PROGRAM = "manage_program"
    # Other operators.
    MANAGE_OPERATORS = "manage_operators"
    # The outbox: messages waiting or given up, and sending given-up ones again.
    MANAGE_OUTBOX = "manage_outbox"


_LOOK = frozenset({Permission.VIEW_GUESTS, Permission.VIEW_AUDIT, Permission.VIEW_REPORTS})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.MANAGER: _LOOK
    | {
        Permission.SERVE_GUESTS,
        Permission.MANAGE_GUEST_DATA,
        Permission.MANAGE_PROGRAM,
        Permission.MANAGE_OUTBOX,
    },
    # A CSR sees the audit too: what colleagues already did for the guest on the line.
    Role.CSR: frozenset({Permission.VIEW_GUESTS, Permission.VIEW_AUDIT, Permission.SERVE_GUESTS}),
    Role.ANALYST: _LOOK,
}

MIN_PASSWORD_LENGTH = 10
MAX_COMMENT_LENGTH = 500


@dataclass(frozen=True)
class Operator:
    merchant_id: int
    id: int
    email: str
    role: Role
    enabled: bool
    created_at: datetime
    # Base32 TOTP secret; None: the operator has no second factor.
    totp_secret: str | None = None

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


class OperatorRefused(Refused):
    """An operator may not do this (the role does not allow it)."""

    def __init__(self, permission: Permission) -> None:
        super().__init__(Reason.INSUFFICIENT_SCOPE, f"the role may not {permission.value}")
        self.permission = permission


def require(operator: Operator, permission: Permission) -> None:
    if not operator.may(permission):
        raise OperatorRefused(permission)


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise Refused(Reason.INVALID_REQUEST, f"role must be one of {roles}") from None


def normalise_email(text: str) -> str:
    """The sign-in name: trimmed, lower-case, one @ with something on either side."""
    email = text.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain or len(email) > 254:
        raise Refused(Reason.INVALID_REQUEST, "not an e-mail address")
    return email


def check_password_rule(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused(
            Reason.INVALID_REQUEST,
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters",
        )


def needs_second_factor(operator: Operator, owners_must: bool) -> bool:
    """Whether signing in asks for a TOTP code: always when the operator set one up."""
    return operator.totp_secret is not None or (owners_must and operator.role == Role.OWNER)


def checked_comment(text: str | None) -> str:
    """An operator's comment on a change: mandatory, trimmed, at most 500 characters."""
    comment = (text or "").strip()
    if not comment:
        raise Refused(Reason.INVALID_REQUEST, "a comment is required")
    if len(comment) > MAX_COMMENT_LENGTH:
        raise Refused(
            Reason.INVALID_REQUEST, f"the comment is over {MAX_COMMENT_LENGTH} characters"
        )
    return comment


def totp_matches(secret: str, code: str, now: datetime) -> bool:
    """A six-digit code of the operator's authenticator app, this 30-second step or the
    one either side (clocks drift)."""
    digits = code.strip().replace(" ", "")
    if not digits.isdigit() or len(digits) != 6:
        return False
    return bool(pyotp.TOTP(secret).verify(digits, for_time=now, valid_window=1))


def new_totp_secret() -> str:
    return str(pyotp.random_base32())


def totp_uri(secret: str, email: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads (as a QR code or typed)."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer))
