"""Automatic combine: a guest's other accounts, found by their e-mail or phone, gathered
under their user once they prove the address is theirs.

The workflow lives half an hour. Accounts of the guest's home account's card template
are then folded into it (balances move as ledger transactions, as
guest/attachAndCombineCards does); the others stay separate accounts of the guest.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from openpxs.domain.cards import AccountStatus
from openpxs.domain.errors import InvalidRequest, Reason, Refused
from openpxs.services import guest_cards
from openpxs.services.context import Call
from openpxs.services.guest_access import user_for
from openpxs.services.guest_codes import AUTOMATIC_COMBINE, send_code, wrong_code
from openpxs.services.user_deletion import forget_user
from openpxs.store.repositories.combine_workflows import Workflow
from openpxs.store.uow import UnitOfWork

LIFETIME = timedelta(minutes=30)
Channel = Literal["email", "sms"]


@dataclass(frozen=True)
class Candidate:
    account_id: int
    template_code: int
    card_number: str
    registered: bool


@dataclass(frozen=True)
class Begun:
    workflow_id: str
    candidates: list[Candidate]
    # Where the ownership code went, so the app can say so.
    channel: Channel


@dataclass(frozen=True)
class Combined:
    """The guest's home account after the combine, and its primary card."""

    account_id: int
    card_number: str


async def _sharing(
    call: Call, user_id: int, *, email: str | None = None, mobile_phone: str | None = None
) -> list[Candidate]:
    """Active accounts of other users with the same address, each with its card."""
    found = await call.uow.combine_workflows.accounts_sharing(
        call.merchant_id, user_id, email=email, mobile_phone=mobile_phone
    )
    numbers = await call.uow.users.primary_cards(call.merchant_id, [a.account_id for a in found])
    return [
        Candidate(a.account_id, a.template_code, numbers[a.account_id], a.registered)
        for a in found
        if a.account_id in numbers
    ]


async def begin(call: Call, username: str | None) -> Begun:
    """Match on the user's e-mail when other accounts share it, else on their mobile
    phone, and send that address a one-time code."""
    user = await user_for(call, username)
    channel: Channel = "email"
    found: list[Candidate] = []
    if user.email:
        found = await _sharing(call, user.id, email=user.email)
    phone = user.fields.get("mobilePhone")
    if not found and isinstance(phone, str) and phone:
        channel = "sms"
        found = await _sharing(call, user.id, mobile_phone=phone)
    if not found:
        raise Refused(Reason.NO_COMBINE_CANDIDATES)
    workflow_id = secrets.token_urlsafe(24)
    await call.uow.combine_workflows.start(
        call.merchant_id,
        workflow_id,
        user.id,
        [c.account_id for c in found],
        call.now,
        call.now + LIFETIME,
    )
    await send_code(
        call.uow,
        call.program,
        purpose=AUTOMATIC_COMBINE,
        user=user,
        channel=channel,
        recipient=user.email if channel == "email" and user.email else str(phone),
        subject="Combine your accounts",
        what="combine your accounts",
        now=call.now,
    )
    return Begun(workflow_id, found, channel)


async def _workflow(call: Call, workflow_id: str, *, lock: bool) -> Workflow:
    """A live workflow of the caller (any of the merchant's for b2b)."""
    flow = await call.uow.combine_workflows.live(call.merchant_id, workflow_id, call.now, lock=lock)
    if flow is None or (call.principal.is_guest and flow.user_id != call.principal.user_id):
        raise Refused(Reason.INVALID_WORKFLOW)
    return flow


async def candidates(call: Call, workflow_id: str) -> list[Candidate]:
    """The accounts the workflow found that are still not the guest's."""
    uow, merchant_id = call.uow, call.merchant_id
    flow = await _workflow(call, workflow_id, lock=False)
    user = await uow.users.by_id(merchant_id, flow.user_id)
    if user is None:
        raise Refused(Reason.INVALID_WORKFLOW)
    numbers = await uow.users.primary_cards(merchant_id, flow.account_ids)
    found = []
    for account_id in flow.account_ids:
        number = numbers.get(account_id)
        owner = await uow.users.of_account(merchant_id, account_id)
        if number is None or (owner is not None and owner.id == user.id):
            continue
        template = await uow.accounts.template_of(merchant_id, account_id)
        assert template is not None
        registered = owner is not None and owner.username is not None
        found.append(Candidate(account_id, template, number, registered))
    return found


async def complete(
    call: Call, workflow_id: str, code: str | None, account_ids: list[int] | None
) -> Combined:
    """Attach the chosen candidates (all by default) to the guest and end the workflow.

    A guest must send the code from ``begin``; a b2b caller acts with the merchant's
    authority and may leave it out.
    """
    uow, program, merchant_id = call.uow, call.program, call.merchant_id
    flow = await _workflow(call, workflow_id, lock=True)
    chosen = flow.account_ids if account_ids is None else list(dict.fromkeys(account_ids))
    if not chosen or not set(chosen) <= set(flow.account_ids):
        raise InvalidRequest("accountIds must be candidates of the workflow")
    if call.principal.is_guest or code:
        used = await uow.codes.use(
            merchant_id=merchant_id,
            purpose=AUTOMATIC_COMBINE,
            code=code or "",
            now=call.now,
            user_id=flow.user_id,
        )
        if used is None:
            raise Refused(
                Reason.INVALID_VERIFICATION_CODE,
                intents=wrong_code(program, AUTOMATIC_COMBINE, flow.user_id, None, None, call.now),
            )
    moved = await attach_accounts(uow, merchant_id, flow.user_id, chosen, call.now)
    await uow.combine_workflows.finish(merchant_id, flow.workflow_id, call.now)
    user = await uow.users.by_id(merchant_id, flow.user_id)
    assert user is not None
    home = await guest_cards.home_account(uow, merchant_id, user)
    if home is None:
        raise Refused(Reason.INVALID_WORKFLOW)
    target = await uow.users.primary_card(merchant_id, home.id)
    assert target is not None
    # Value can only be folded within one program; accounts of another template stay
    # separate accounts of the guest.
    numbers = await uow.users.primary_cards(merchant_id, moved)
    sources = [
        numbers[a]
        for a in moved
        if a != home.id
        and a in numbers
        and await uow.accounts.template_of(merchant_id, a) == home.template_code
    ]
    if sources:
        await guest_cards.combine(uow, program, call.online_stamp(), target, sources)
    return Combined(home.id, target)


async def attach_accounts(
    uow: UnitOfWork, merchant_id: int, user_id: int, account_ids: list[int], now: datetime
) -> list[int]:
    """Give the accounts to the user (balances stay on each account); the ones moved.

    A former owner left without accounts is forgotten, since a user row must point at an
    account it owns; one who keeps other accounts points at the first of them.
    """
    moved: list[int] = []
    former: set[int] = set()
    for account_id in sorted(account_ids):
        await uow.users.lock_account(merchant_id, account_id)
        account = await uow.accounts.get(merchant_id, account_id)
        if account is None or account.status != AccountStatus.ACTIVE or account.user_id == user_id:
            continue
        if account.user_id is not None:
            former.add(account.user_id)
        await uow.users.attach_account(merchant_id, account_id, user_id, now)
        moved.append(account_id)
    for old in sorted(former):
        remaining = await uow.users.accounts_of(merchant_id, old)
        if remaining:
            await uow.users.set_columns(merchant_id, old, account_id=remaining[0])
        else:
            await forget_user(uow, merchant_id, old, now)
    return moved
