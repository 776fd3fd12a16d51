"""The operator's session and running the console's use cases.

The session cookie (``pxs_console``, HttpOnly, SameSite=Lax, Secure over TLS, path
/console/) holds a random token; the server keeps its digest in ``operator_sessions``
(``services.operators``). A page runs its use case in one unit of work, as the API's
dispatcher runs a call: the session is read again inside it, so an operator disabled
meanwhile does nothing; a refusal rolls everything back, and what it asks to keep
(a failed sign-in counted) is then done in a unit of work of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.requests import Request

from openpxs.domain.errors import DomainError, Reason, Refused
from openpxs.domain.operators import Operator
from openpxs.services import after_refusal, operators
from openpxs.services.staff import StaffCall
from openpxs.store.uow import UnitOfWork, reading, rolled_back, unit_of_work
from openpxs.web.site import runtime_of

T = TypeVar("T")

BASE = "/console"
COOKIE_PATH = BASE + "/"
SESSION_COOKIE = "pxs_console"


async def signed_in(request: Request) -> Operator | None:
    runtime = runtime_of(request)
    async with reading(runtime.engine) as uow:
        return await operators.session_operator(
            uow, request.cookies.get(SESSION_COOKIE), runtime.clock.now()
        )


async def run_unit(request: Request, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """``work`` in one unit of work; a refusal's intents carried out after its rollback."""
    runtime = runtime_of(request)
    try:
        async with unit_of_work(runtime.engine) as uow:
            return await work(uow)
    except DomainError as error:
        if error.intents:
            async with unit_of_work(runtime.engine) as uow:
                delay = await after_refusal.carry_out(uow, error.intents)
            if delay:
                await asyncio.sleep(delay)
        raise


async def run(request: Request, use_case: Callable[[StaffCall], Awaitable[T]]) -> T:
    """Run ``use_case`` for the operator of the session (refused with INVALID_TOKEN
    when it has ended)."""
    runtime = runtime_of(request)
    now = runtime.clock.now()

    async def work(uow: UnitOfWork) -> T:
        operator = await operators.session_operator(uow, request.cookies.get(SESSION_COOKIE), now)
        if operator is None:
            raise Refused(Reason.INVALID_TOKEN)
        program = await uow.programs.load(operator.merchant_id)
        call = StaffCall(uow, program, operator, now, source=runtime.addresses.of(request))
        return await use_case(call)

    return await run_unit(request, work)


async def run_rolled_back(request: Request, use_case: Callable[[StaffCall], Awaitable[T]]) -> T:
    """Run ``use_case`` as ``run`` does, in a unit of work that is always rolled back:
    for working out what a change would do (a draft's simulation) and keeping nothing."""
    runtime = runtime_of(request)
    now = runtime.clock.now()
    async with rolled_back(runtime.engine) as uow:
        operator = await operators.session_operator(uow, request.cookies.get(SESSION_COOKIE), now)
        if operator is None:
            raise Refused(Reason.INVALID_TOKEN)
        program = await uow.programs.load(operator.merchant_id)
        call = StaffCall(uow, program, operator, now, source=runtime.addresses.of(request))
        return await use_case(call)
