"""SMS providers: the interface the outbox sends through, and a Twilio-shaped HTTP
adapter.

``TwilioSms`` speaks Twilio's Programmable Messaging API: ``POST {base_url}/2010-04-01/
Accounts/{AccountSid}/Messages.json`` with HTTP basic auth (the account SID and auth
token) and a form body (``To``, ``From`` or ``MessagingServiceSid``, ``Body``); 201
with the message's ``sid``. Refusals are JSON with Twilio's numeric ``code``: 21610
(the number texted STOP to this sender) raises ``SmsOptedOut``; other 4xx refuse the
message for good (``SmsRejected``); 429, 5xx and network errors may pass
(``SmsUnavailable``). Texts never carry the token or the message body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ssl
from typing import Protocol

import httpx

PRODUCTION_URL = "https://api.twilio.com"
# Twilio: "Attempt to send to unsubscribed recipient" (the number replied STOP).
OPTED_OUT_CODE = 21610


class SmsError(Exception):
    pass


class SmsOptedOut(SmsError):
    """The number opted out (STOP) with the provider: nothing reaches it."""


class SmsRejected(SmsError):
    """Refused for good (an invalid number, a sender the account does not own)."""


class SmsUnavailable(SmsError):
    """May pass: try again later."""


class SmsProvider(Protocol):
    async def send_sms(self, to: str, body: str) -> str | None:
        """Send one text; returns the provider's message id, or raises an ``SmsError``."""
        ...


class TwilioSms:
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        base_url: str = PRODUCTION_URL,
        default_country_code: str = "1",
        ca_file: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("Twilio needs the account SID and auth token")
        if not from_number and not messaging_service_sid:
            raise ValueError("Twilio needs a sender: a From number or a messaging service SID")
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.from_number, self.messaging_service_sid = from_number, messaging_service_sid
        self.base_url = base_url.rstrip("/")
        self.default_country_code = default_country_code.lstrip("+")
        self.timeout = timeout
        self._verify = ssl.create_default_context(cafile=ca_file)

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def e164(self, number: str) -> str:
        """The number as Twilio wants it: "+" and digits. A number of ten digits or
        fewer written without "+" ("617-555-0123", as guests type it) is taken to lack
        its country code and gets the default one."""
        digits = "".join(ch for ch in number if ch.isdigit())
        if not number.strip().startswith("+") and len(digits) <= 10:
            return f"+{self.default_country_code}{digits}"
        return f"+{digits}"

    async def send_sms(self, to: str, body: str) -> str | None:
        form = {"To": self.e164(to), "Body": body}
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            assert self.from_number
            form["From"] = self.from_number
        try:
            async with httpx.AsyncClient(timeout=self.timeout, verify=self._verify) as client:
                response = await client.post(
                    self.messages_url, data=form, auth=(self.account_sid, self._auth_token)
                )
        except httpx.HTTPError as exc:
            raise SmsUnavailable(f"SMS provider unreachable: {type(exc).__name__}") from None
        if response.status_code in (200, 201):
            sid = _field(response, "sid")
            return str(sid) if sid is not None else None
        code = _field(response, "code")
        text = f"SMS provider {response.status_code} code {code}"
        if code == OPTED_OUT_CODE:
            raise SmsOptedOut(text)
        if response.status_code >= 500 or response.status_code == 429:
            raise SmsUnavailable(text)
        raise SmsRejected(text)


def _field(response: httpx.Response, name: str) -> object:
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get(name) if isinstance(data, dict) else None


def twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """What Twilio sends as X-Twilio-Signature for a form POST to ``url``: the base64
    HMAC-SHA1, keyed with the account's auth token, of the URL (as Twilio requested it,
    query string included) followed by every parameter's name and value, sorted by name
    (values of one name in order too), with nothing between them."""
    signed = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def twilio_request_valid(
    auth_token: str, url: str, params: list[tuple[str, str]], signature: str
) -> bool:
    """Whether ``signature`` is Twilio's for this request (compared in constant time)."""
    if not auth_token or not signature:
        return False
    expected = twilio_signature(auth_token, url, params)
    return hmac.compare_digest(
        expected.encode("ascii"), signature.strip().encode("ascii", "replace")
    )
