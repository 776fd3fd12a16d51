"""Twilio's inbound message webhook (not a PXS operation): a guest's reply to the
server's SMS sender. STOP (STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) opts the number
out of every SMS, START (YES, UNSTOP) back in, recorded where the outbox worker checks
before each SMS (``services.sms_subscriptions``); any other text changes nothing.

Twilio POSTs the message as a form and signs it with the account's auth token in
X-Twilio-Signature (``integrations.sms.twilio_signature``); an unsigned or wrongly
signed request is 403 and changes nothing. The answer is empty TwiML: Twilio itself
answers the keyword to the guest (Advanced Opt-Out).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response

from openpxs.domain.sms import opt_in_of_reply
from openpxs.integrations.sms import twilio_request_valid
from openpxs.services.sms_subscriptions import reply_received
from openpxs.store.uow import unit_of_work

log = logging.getLogger("openpxs.messages")
PATH = "/twilio/sms"
# An inbound message's form is a few hundred bytes; anything much bigger is not Twilio.
BODY_LIMIT = 64 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twilio_router(auth_token: str, public_url: str = "") -> APIRouter:
    """The webhook, checked with ``auth_token`` against ``public_url`` (the address
    configured in Twilio's console; empty: the URL as the request arrived)."""
    router = APIRouter(include_in_schema=False)

    @router.post(PATH)
    async def inbound_sms(request: Request) -> Response:
        if not auth_token:
            # No Twilio account configured: nothing could sign a request.
            return Response(status_code=404)
        body = await request.body()
        if len(body) > BODY_LIMIT:
            return Response(status_code=413)
        try:
            params = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            return Response(status_code=400)
        url = public_url or str(request.url)
        signature = request.headers.get("x-twilio-signature", "")
        if not twilio_request_valid(auth_token, url, params, signature):
            log.warning("inbound SMS refused: bad signature")
            return Response(status_code=403)
        form = dict(params)
        opt_in = opt_in_of_reply(form.get("Body", ""))
        if opt_in is not None and form.get("From"):
            runtime = request.app.state.runtime
            async with unit_of_work(runtime.engine) as uow:
                await reply_received(uow, form["From"], opt_in, runtime.clock.now())
            log.info("SMS reply recorded", extra={"fields": {"opt_in": opt_in}})
        return Response(EMPTY_TWIML, media_type="text/xml")

    return router
