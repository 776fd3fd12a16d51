"""Marketing messages a partner sends to one guest (messaging.yaml), from a template of
the program file (outreach.marketing), rendered for the guest.

With deliveryMethod EMAIL the message is queued in the outbox in the call's transaction
(channel email, the HTML part beside the text part) and sent by the worker through the
configured transport (SMTP); with PUSH one push is queued per phone registered on the
account (pushmessaging), sent to APNs or FCM. The call answers once it is queued. It
also goes in the guest's inbox unless the program turns that off. Nothing is queued
when the call is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from openpxs.config.outreach import MarketingTemplateConfig
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.marketing import render, render_text
from openpxs.messaging.outbox import enqueue
from openpxs.services import inbox
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card, account_by_id
from openpxs.services.push_devices import enqueue_push
from openpxs.store.repositories.users import User

DELIVERY_METHODS = ("EMAIL", "PUSH")
SUBJECT_LIMIT = 200
# A push without its own text shows the text part, cut here: a lock screen shows about
# this much, and APNs refuses payloads over 4 KB.
PUSH_TEXT_LIMIT = 240


@dataclass(frozen=True)
class Recipient:
    """Whom to send to: how the caller named them, resolved."""

    card: str | None = None
    account_id: int | None = None
    email: str | None = None


def _template(call: Call, code: int | None) -> MarketingTemplateConfig:
    template = call.program.outreach.template(code)
    if template is None:
        raise Refused(Reason.INVALID_TEMPLATE)
    return template


async def _user_and_account(call: Call, to: Recipient) -> tuple[User | None, int]:
    if to.email is not None:
        email = to.email.strip()
        users = await call.uow.users.by_email(call.merchant_id, email) if email else []
        if not users:
            raise Refused(Reason.USER_NOT_FOUND, "no guest has this e-mail address")
        user = min(users, key=lambda u: u.id)
        return user, user.account_id
    ref = (
        await account_by_id(call, to.account_id)
        if to.card is None
        else await account_by_card(call, to.card)
    )
    return await call.uow.users.of_account(call.merchant_id, ref.account_id), ref.account_id


async def send(
    call: Call,
    to: Recipient,
    template_code: int | None,
    params: Mapping[str, str] | None,
    delivery_method: str | None,
) -> None:
    template = _template(call, template_code)
    method = (delivery_method or "").strip().upper()
    if method not in DELIVERY_METHODS:
        raise Refused(Reason.INVALID_DELIVERY_METHOD, "EMAIL or PUSH")
    user, account_id = await _user_and_account(call, to)
    address = user.email.strip() if user is not None and user.email else ""
    if method == "EMAIL" and (user is None or not address):
        raise Refused(Reason.NO_EMAIL_ADDRESS)
    marketing = call.program.outreach.marketing
    if marketing.honour_opt_out and user is not None and user.fields.get("optIn") is False:
        raise Refused(Reason.GUEST_OPTED_OUT)
    card = await call.uow.users.primary_card(call.merchant_id, account_id)
    values: dict[str, object] = {
        name: (params or {}).get(name, "") for name in template.external_fields
    }
    fields = user.fields if user is not None else {}
    values["guest"] = {
        "firstName": fields.get("firstName") or "",
        "lastName": fields.get("lastName") or "",
        "printedCardNumber": card or "",
    }
    values["program"] = {"name": call.program.name}
    rendered = render(template.subject, template.html, template.text, values)
    subject = rendered.subject[:SUBJECT_LIMIT] or call.program.name
    if method == "PUSH":
        text = (
            render_text(template.push_text, values)
            if template.push_text is not None
            else rendered.text
        )
        queued = await enqueue_push(
            call.uow,
            call.merchant_id,
            account_id,
            title=subject,
            body=" ".join(text.split())[:PUSH_TEXT_LIMIT],
            data={"campaignMessageTemplateCode": str(template.code)},
            now=call.now,
        )
        if queued == 0:
            raise Refused(Reason.NO_PUSH_DEVICE)
    else:
        await _queue_email(call, address, subject, rendered.text, rendered.html)
    if marketing.inbox:
        await inbox.notify(
            call.uow,
            call.merchant_id,
            account_id,
            subject=subject,
            body=rendered.text,
            now=call.now,
            image_url=template.image_url,
        )


async def _queue_email(call: Call, address: str, subject: str, text: str, html: str) -> None:
    try:
        await enqueue(
            call.uow,
            merchant_id=call.merchant_id,
            channel="email",
            recipient=address,
            subject=subject,
            body=text,
            html=html,
            now=call.now,
        )
    except ValueError as exc:
        # An address the outbox cannot put in a header (too long): no usable address.
        raise Refused(Reason.NO_EMAIL_ADDRESS, str(exc)) from None
