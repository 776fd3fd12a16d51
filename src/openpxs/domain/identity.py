"""Who a call comes from (an integration of a merchant) and on whose behalf it acts."""

from __future__ import annotations

from dataclasses import dataclass

# The authentication styles in which a call acts for one guest (auth.yaml).
GUEST_STYLES = frozenset({"card", "guest", "email", "oauth"})


@dataclass(frozen=True)
class Integration:
    """A POS, app or website credential of one merchant, with the styles it may use."""

    id: int
    merchant_id: int
    identifier: str
    styles: tuple[str, ...]


@dataclass(frozen=True)
class Principal:
    """On whose behalf the call runs, proven by the authentication style."""

    style: str
    merchant_id: int
    card_number: str | None = None
    account_id: int | None = None
    # The registered guest (oauth, guest and email styles; card when registered).
    user_id: int | None = None
    # OAuth scopes granted to the token; None for styles that are not scoped.
    scopes: frozenset[str] | None = None
    # The sign-in the access token belongs to (oauth only), for revocation.
    token_family: str | None = None

    @property
    def is_guest(self) -> bool:
        """Acting for one guest, who may reach only their own cards, accounts and user."""
        return self.style in GUEST_STYLES

    def may_reach(self, account_id: int, user_id: int | None) -> bool:
        """Whether this caller may see or change the account (owned by ``user_id``)."""
        if not self.is_guest:
            return True
        if self.style == "card":
            return self.account_id == account_id
        return self.user_id is not None and self.user_id == user_id
