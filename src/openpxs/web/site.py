"""Which merchant's site a request is for, and running its use cases.

A page runs its use case the way the API's dispatcher does: one unit of work, the
merchant's program loaded once, a ``Call`` for the site's own integration acting for the
guest its session cookie names (or for no one); a refusal rolls everything back and then
what it asks to keep (failed sign-ins counted) is done in a unit of work of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from starlette.requests import Request

from openpxs import security
from openpxs.config.website import WebsiteConfig
from openpxs.domain.errors import DomainError, InvalidMerchant
from openpxs.domain.identity import Integration, Principal
from openpxs.domain.program import Program
from openpxs.services import after_refusal, oauth
from openpxs.services.card_payments import Units
from openpxs.services.context import Call
from openpxs.store.uow import reading, unit_of_work
from openpxs.web.protection import SESSION_COOKIE
from openpxs.wire.dispatch import Runtime

T = TypeVar("T")


@dataclass(frozen=True)
class Site:
    program: Program
    config: WebsiteConfig
    integration: Integration
    # Where the site's pages are: /m/{merchantId}/guest or /guest (its own host).
    base: str

    @property
    def merchant_id(self) -> int:
        return self.program.merchant_id


class NoSite(Exception):
    """No merchant serves a guest website at this address."""


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _merchant_by_host(request: Request, host: str) -> int | None:
    async with reading(runtime_of(request).engine) as uow:
        for merchant_id in await uow.programs.merchant_ids():
            site = (await uow.programs.load(merchant_id)).guest.website
            if site is not None and host in site.hosts:
                return merchant_id
    return None


async def find_site(request: Request) -> Site:
    merchant_id: int | None = request.path_params.get("merchant_id")
    base = f"/m/{merchant_id}/guest"
    if merchant_id is None:
        host = request.headers.get("host", "").lower()
        merchant_id = await _merchant_by_host(request, host)
        base = "/guest"
    if merchant_id is None:
        raise NoSite()
    async with reading(runtime_of(request).engine) as uow:
        try:
            program = await uow.programs.load(merchant_id)
        except InvalidMerchant:
            raise NoSite() from None
        config = program.guest.website
        if config is None:
            raise NoSite()
        stored = await uow.integrations.by_identifier(config.integration)
    if stored is None or not stored.enabled or stored.integration.merchant_id != merchant_id:
        raise NoSite()
    return Site(program, config, stored.integration, base)


async def client_integration(request: Request, site: Site, identifier: str) -> Integration | None:
    """The application an SSO request names, if it is this merchant's and enabled."""
    async with reading(runtime_of(request).engine) as uow:
        stored = await uow.integrations.by_identifier(identifier)
    if stored is None or not stored.enabled or stored.integration.merchant_id != site.merchant_id:
        return None
    return stored.integration


def anonymous(site: Site) -> Principal:
    return Principal(style="anonymous", merchant_id=site.merchant_id)


async def run(
    request: Request,
    site: Site,
    use_case: Callable[[Call], Awaitable[T]],
    *,
    signed_in: bool,
) -> T:
    """Run ``use_case`` in one unit of work, for the guest of the session cookie
    (``signed_in``; a missing or ended session refuses with INVALID_TOKEN) or for no one."""
    runtime = runtime_of(request)
    now = runtime.clock.now()
    source = runtime.addresses.of(request)
    try:
        async with unit_of_work(runtime.engine) as uow:
            principal = anonymous(site)
            if signed_in:
                principal = await oauth.principal_for_token(
                    uow, site.integration, request.cookies.get(SESSION_COOKIE), now
                )
            call = Call(uow, site.program, site.integration, principal, now, source=source)
            return await use_case(call)
    except DomainError as error:
        if error.intents:
            async with unit_of_work(runtime.engine) as uow:
                delay = await after_refusal.carry_out(uow, error.intents)
            if delay:
                await asyncio.sleep(delay)
        raise


async def run_paying(
    request: Request,
    site: Site,
    use_case: Callable[[Call, Units], Awaitable[T]],
) -> T:
    """Run a use case that pays (it commits its own steps, as the API's payment
    endpoints do) for the guest of the session cookie: the session is checked in a unit
    of work of its own, then ``use_case`` gets the factory of units of work."""
    runtime = runtime_of(request)
    now = runtime.clock.now()
    source = runtime.addresses.of(request)
    try:
        async with unit_of_work(runtime.engine) as uow:
            principal = await oauth.principal_for_token(
                uow, site.integration, request.cookies.get(SESSION_COOKIE), now
            )
            call = Call(uow, site.program, site.integration, principal, now, source=source)
        return await use_case(call, lambda: unit_of_work(runtime.engine))
    except DomainError as error:
        if error.intents:
            async with unit_of_work(runtime.engine) as uow:
                delay = await after_refusal.carry_out(uow, error.intents)
            if delay:
                await asyncio.sleep(delay)
        raise


async def check_password_ahead(request: Request, site: Site, username: str, password: str) -> None:
    """The sign-in's argon2 check, run before its transaction as the API does, so the
    transaction is not held while it runs."""
    runtime = runtime_of(request)
    async with reading(runtime.engine) as uow:
        stored = await oauth.password_to_check(
            uow, site.program, username, runtime.clock.now(), runtime.addresses.of(request)
        )
    if stored is not None:
        await security.check_ahead(stored, password)
