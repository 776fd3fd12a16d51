"""Marketing e-mails a partner sends to one guest (messaging.yaml), from a template of
the program file (outreach.marketing), rendered for the guest.

The message is queued in the outbox in the call's transaction (channel email, the HTML
part beside the text part) and sent by the worker through the configured transport
(SMTP); the call answers once it is queued. It also goes in the guest's inbox unless the
program turns that off. Nothing is queued when the call is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from openpxs.config.outreach import MarketingTemplateConfig
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.marketing import render
from openpxs.messaging.outbox import enqueue
from openpxs.services import inbox
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card, account_by_id
from openpxs.store.repositories.users import User

DELIVERY_METHODS = ("EMAIL",)
SUBJECT_LIMIT = 200


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
    if (delivery_method or "").strip().upper() not in DELIVERY_METHODS:
        raise Refused(Reason.INVALID_DELIVERY_METHOD, "only EMAIL is supported")
    user, account_id = await _user_and_account(call, to)
    address = user.email.strip() if user is not None and user.email else ""
    if user is None or not address:
        raise Refused(Reason.NO_EMAIL_ADDRESS)
    marketing = call.program.outreach.marketing
    if marketing.honour_opt_out and user.fields.get("optIn") is False:
        raise Refused(Reason.GUEST_OPTED_OUT)
    card = await call.uow.users.primary_card(call.merchant_id, account_id)
    values: dict[str, object] = {
        name: (params or {}).get(name, "") for name in template.external_fields
    }
    values["guest"] = {
        "firstName": user.fields.get("firstName") or "",
        "lastName": user.fields.get("lastName") or "",
        "printedCardNumber": card or "",
    }
    values["program"] = {"name": call.program.name}
    rendered = render(template.subject, template.html, template.text, values)
    subject = rendered.subject[:SUBJECT_LIMIT] or call.program.name
    try:
        await enqueue(
            call.uow,
            merchant_id=call.merchant_id,
            channel="email",
            recipient=address,
            subject=subject,
            body=rendered.text,
            html=rendered.html,
            now=call.now,
        )
    except ValueError as exc:
        # An address the outbox cannot put in a header (too long): no usable address.
        raise Refused(Reason.NO_EMAIL_ADDRESS, str(exc)) from None
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
