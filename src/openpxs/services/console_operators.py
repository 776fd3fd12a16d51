"""Owners manage their merchant's operators from the console: the same rules as
``openpxs operators`` (services.operators), audited (never with the password)."""

from __future__ import annotations

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.operators import Operator, Permission, parse_role
from openpxs.services import operators
from openpxs.services.staff import StaffCall


async def operators_of(call: StaffCall) -> list[Operator]:
    call.require(Permission.MANAGE_OPERATORS)
    return await call.uow.operators.of_merchant(call.merchant_id)


async def add(call: StaffCall, email: str, role: str, password: str) -> Operator:
    call.require(Permission.MANAGE_OPERATORS)
    added = await operators.add_operator(
        call.uow, call.merchant_id, email, password, parse_role(role), call.now
    )
    new = added.operator
    await call.audit(
        "add_operator", None, None, {"operator": new.id, "email": new.email, "role": new.role.value}
    )
    return new


async def set_enabled(call: StaffCall, operator_id: int, enabled: bool) -> None:
    """Disable (ending their sessions) or enable another operator of the merchant."""
    call.require(Permission.MANAGE_OPERATORS)
    if operator_id == call.operator.id:
        raise Refused(Reason.INVALID_REQUEST, "an operator cannot disable themselves")
    found = await call.uow.operators.by_id(call.merchant_id, operator_id)
    if found is None:
        raise Refused(Reason.USER_NOT_FOUND, "no such operator")
    await operators.set_enabled(call.uow, call.merchant_id, found.email, enabled, call.now)
    await call.audit(
        "enable_operator" if enabled else "disable_operator",
        None,
        {"operator": found.id, "email": found.email, "enabled": found.enabled},
        {"operator": found.id, "email": found.email, "enabled": enabled},
    )
