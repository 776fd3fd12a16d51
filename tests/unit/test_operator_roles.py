"""What each console role may do (domain.operators), and the second factor's codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from openpxs.domain.errors import Refused
from openpxs.domain.operators import (
    Operator,
    OperatorRefused,
    Permission,
    Role,
    checked_comment,
    needs_second_factor,
    require,
    totp_matches,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def operator(role: Role, secret: str | None = None) -> Operator:
    return Operator(1000, 1, "x@example.com", role, True, NOW, secret)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.OWNER, set(Permission)),
        (
            Role.MANAGER,
            set(Permission) - {Permission.MANAGE_OPERATORS},
        ),
        (Role.CSR, {Permission.VIEW_GUESTS, Permission.VIEW_AUDIT, Permission.SERVE_GUESTS}),
        (Role.ANALYST, {Permission.VIEW_GUESTS, Permission.VIEW_AUDIT, Permission.VIEW_REPORTS}),
    ],
)
def test_each_role_may_do_exactly_its_share(role: Role, allowed: set[Permission]) -> None:
    who = operator(role)
    assert {p for p in Permission if who.may(p)} == allowed
    for refused in set(Permission) - allowed:
        with pytest.raises(OperatorRefused):
            require(who, refused)


def test_second_factor_codes() -> None:
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).at(NOW)
    assert totp_matches(secret, code, NOW)
    assert totp_matches(secret, code, NOW + timedelta(seconds=30))  # one step of drift
    assert not totp_matches(secret, code, NOW + timedelta(minutes=5))
    assert not totp_matches(secret, "12345", NOW) and not totp_matches(secret, "abcdef", NOW)


def test_who_needs_a_second_factor() -> None:
    assert not needs_second_factor(operator(Role.OWNER), owners_must=False)
    assert needs_second_factor(operator(Role.OWNER), owners_must=True)
    assert not needs_second_factor(operator(Role.CSR), owners_must=True)
    assert needs_second_factor(operator(Role.CSR, "A" * 32), owners_must=False)


def test_a_comment_is_mandatory_and_bounded() -> None:
    assert checked_comment("  missing points  ") == "missing points"
    for wrong in (None, "", "   ", "x" * 501):
        with pytest.raises(Refused):
            checked_comment(wrong)
