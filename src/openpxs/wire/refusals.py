"""From a domain refusal to the reply a Paytronix client expects.

Each PXS service has one table (``api/<service>/errors.py``) that maps every reason
its operations can refuse with to the service's own error code, message, ``result``
value and HTTP status. Reasons about signing in, which any guest-facing operation can
meet before its handler runs, share one table (``SIGN_IN``) with codes outside any
service's prefix, as auth.yaml and oauth.yaml give them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from openpxs.domain.errors import DomainError, Reason
from openpxs.wire.envelope import ServiceFailure


@dataclass(frozen=True)
class WireError:
    code: str
    message: str
    status: int = 200
    result: str = "failure"
    headers: Mapping[str, str] = field(default_factory=dict)
    # How a refusal's detail joins the message; None: a detail is the whole message.
    joiner: str | None = ": "
    # The reply is only {"result": ...} (guestauthentication's noMatchingGuests).
    bare: bool = False
    # The code and message are also sent as ``code`` and ``message`` (the Geolocation
    # Service documents its failure with those names).
    plain_names: bool = False

    def message_for(self, detail: str | None) -> str:
        if not detail:
            return self.message
        if self.joiner is None:
            return detail
        return f"{self.message}{self.joiner}{detail}"


class Refusals:
    """One service's table: every reason it answers, and how."""

    def __init__(
        self,
        prefix: str,
        entries: Mapping[Reason, WireError],
        *,
        shared: Refusals | None = None,
    ):
        self.prefix = prefix
        self.entries = dict(entries)
        # Reasons met before any handler runs (signing in), answered alike everywhere.
        self.shared = shared

    def __contains__(self, reason: object) -> bool:
        return reason in self.entries or (self.shared is not None and reason in self.shared)

    def __getitem__(self, reason: Reason) -> WireError:
        found = self.entries.get(reason)
        if found is None and self.shared is not None and reason in self.shared:
            return self.shared[reason]
        if found is None:
            # A reason the table does not name: its code is still the service's, and
            # the test suite fails on any refusal an operation did not declare.
            return WireError(self.code_for(reason), reason.value.replace("_", " ").capitalize())
        return found

    def code_for(self, reason: Reason) -> str:
        entry = self.entries.get(reason)
        return entry.code if entry is not None else f"{self.prefix}.{reason.value}"

    def failure(self, error: DomainError) -> ServiceFailure:
        wire = self[error.reason]
        return ServiceFailure(
            wire.code,
            wire.message_for(error.detail),
            result=wire.result,
            status=wire.status,
            extra=error.members or None,
            headers=dict(wire.headers) or None,
            bare=wire.bare,
            plain_names=wire.plain_names,
        )

    def answering(self, result: str) -> Refusals:
        """The same table with every refusal answering ``result`` (adminAdjust's
        clients test for ``failure`` whatever went wrong)."""
        return Refusals(
            self.prefix,
            {reason: replace(wire, result=result) for reason, wire in self.entries.items()},
            shared=self.shared,
        )


TOO_MANY = "Too many failed attempts"
# Guest lookups by username answer this code in every service (errors.yaml user_info.).
USER_NOT_FOUND = WireError("user_info.not_found", "The user was not found")

# Refusals of the authentication styles (auth.yaml) and of OAuth tokens (oauth.yaml):
# any operation the style or token is accepted by may answer them.
SIGN_IN = Refusals(
    "system",
    {
        Reason.INVALID_CARD_CREDENTIALS: WireError(
            "system.invalid_card_credentials", "Card number or registration code is not valid"
        ),
        Reason.INVALID_GUEST_CREDENTIALS: WireError(
            "system.invalid_guest_credentials", "E-mail or card template is not valid"
        ),
        Reason.TOO_MANY_ATTEMPTS: WireError("system.too_many_attempts", TOO_MANY, joiner="; "),
        Reason.COULD_NOT_AUTHENTICATE: WireError(
            "could_not_authenticate", "Username or password is not valid"
        ),
        Reason.ACCOUNT_LOCKED: WireError("account_locked", TOO_MANY, joiner="; "),
        # Mobile clients react to HTTP 401 by refreshing their token (auth.yaml).
        Reason.INVALID_TOKEN: WireError(
            "invalid_token",
            "Invalid or expired access token",
            status=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            joiner=None,
        ),
    },
)


def table(
    prefix: str,
    messages: Mapping[Reason, str],
    *,
    user_data: Iterable[Reason] = (),
    user_data_result: str = "failure",
    special: Mapping[Reason, WireError] | None = None,
    shared: Refusals | None = None,
) -> Refusals:
    """A service's table: ``<prefix>.<reason>`` with the given messages; refusals about
    the caller's card or account data (``user_data``) answer ``user_data_result``;
    ``special`` entries are taken as they are."""
    about_user = set(user_data)
    entries: dict[Reason, WireError] = {
        reason: WireError(
            f"{prefix}.{reason.value}",
            message,
            result=user_data_result if reason in about_user else "failure",
        )
        for reason, message in messages.items()
    }
    entries.update(special or {})
    return Refusals(prefix, entries, shared=shared or SIGN_IN)
