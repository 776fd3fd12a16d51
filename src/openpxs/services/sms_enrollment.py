"""SMS enrollment: an account for a mobile phone, texted a link that finishes enrolling.

The phone belongs to a user without a login; the text carries a one-time code in the
program's enrollment link, the reply never does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from openpxs.domain.errors import CardNotActive
from openpxs.domain.program import Program
from openpxs.messaging.outbox import enqueue
from openpxs.services.context import Call
from openpxs.services.enrollment import (
    Enrolled,
    edit_user,
    enroll,
    register_user,
    resolve_store,
    template_of,
)
from openpxs.services.form_fields import check_form
from openpxs.services.guest_access import AccountRef, account_by_card
from openpxs.store.uow import UnitOfWork

SMS_ENROLL = "sms_enroll"


def _phone_fields(phone: str) -> dict[str, object]:
    return {"style": "string", "mobilePhone": phone}


async def sms_enroll(
    call: Call, template_code: int, store_code: str | None, phone: str
) -> Enrolled:
    """A virtual card on a new account whose user holds only the phone, which is unique
    (another user's phone is a uniqueness conflict)."""
    program = call.program
    template = template_of(program, template_code)
    store = resolve_store(program, store_code)
    checked = check_form(
        program, template.form, _phone_fields(phone), None, call.now, login="refused", require=False
    )
    enrolled = await enroll(
        call.uow,
        program,
        call.online_stamp(store),
        template,
        checked,
        ["mobilePhone"],
        user="always",
    )
    await send_link(
        call.uow,
        program,
        user_id=enrolled.user,
        account_id=enrolled.account_id,
        phone=str(checked.user["mobilePhone"]),
        now=call.now,
    )
    return enrolled


async def edit_sms_enroll(call: Call, number: str, phone: str) -> AccountRef:
    """Store the phone on an active account's user (a user without a login is made for
    an unregistered account) and text it the link; its uniqueness follows the form."""
    uow, program = call.uow, call.program
    ref = await account_by_card(call, number)
    if not ref.in_use:
        raise CardNotActive()
    template = template_of(program, ref.template_code)
    checked = check_form(
        program, template.form, _phone_fields(phone), None, call.now, login="refused", require=False
    )
    user = await uow.users.of_account(call.merchant_id, ref.account_id)
    if user is None:
        await uow.users.lock_account(call.merchant_id, ref.account_id)
        user_id = await register_user(
            uow, program, template, ref.account_id, checked.user, [], call.now
        )
    else:
        await edit_user(uow, program, template, user, checked.user, [], call.now)
        user_id = user.id
    await send_link(
        uow,
        program,
        user_id=user_id,
        account_id=ref.account_id,
        phone=str(checked.user["mobilePhone"]),
        now=call.now,
    )
    return ref


async def send_link(
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
