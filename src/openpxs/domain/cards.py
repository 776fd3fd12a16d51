"""Cards and accounts: their states, the moves between them, and how a card is named.

A card is printed and loaded into the database ``inactive``; selling or registering it
makes it ``active`` on an account of its own. An exchange retires it as ``exchanged``
(its account moves to the replacement); a guest may ``disabled`` it and enable it again.
An account is ``active`` until a void of its activation or a combine ``closed`` it; an
operator may hold it ``suspended``.
Voids and reversals put cards back as the undone transaction found them: that is the
inverse of a move below, recorded in the transaction's card changes.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum

from openpxs.domain.errors import (
    CardAlreadyActive,
    CardNotActive,
    CardNotFound,
    CardNotInRequiredState,
    InvalidRegistrationCode,
    InvalidRequest,
)
from openpxs.security import seal_registration_code


class CardStatus(StrEnum):
    INACTIVE = "inactive"
    ACTIVE = "active"
    EXCHANGED = "exchanged"
    DISABLED = "disabled"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    # Held by the operator: no value moves until it is active again.
    SUSPENDED = "suspended"
    CLOSED = "closed"


# Every forward move a card can make, and what makes it.
CARD_MOVES: dict[tuple[CardStatus, CardStatus], str] = {
    (CardStatus.INACTIVE, CardStatus.ACTIVE): "sold, activated or registered",
    (CardStatus.ACTIVE, CardStatus.EXCHANGED): "replaced by another card",
    (CardStatus.ACTIVE, CardStatus.DISABLED): "disabled by its guest",
    (CardStatus.DISABLED, CardStatus.ACTIVE): "enabled again by its guest",
}


def may_move(from_status: CardStatus, to_status: CardStatus) -> bool:
    """Whether a card may go from one state to the other (staying put is no move)."""
    return (from_status, to_status) in CARD_MOVES


def require_move(card: Card, to_status: CardStatus) -> None:
    """Refuse a move the table does not allow."""
    if not may_move(card.status, to_status):
        raise CardNotInRequiredState(f"a card that is {card.status} cannot become {to_status}")


def may_put_back(from_status: CardStatus, to_status: CardStatus) -> bool:
    """Whether undoing a recorded change may take a card from ``to_status`` back to
    ``from_status``: the inverse of a forward move, or of a change that kept the state
    (a combine moves cards to another account without changing their state)."""
    return from_status == to_status or may_move(from_status, to_status)


@dataclass(frozen=True)
class Card:
    id: int
    number: str
    registration_code: str | None
    template_code: int
    status: CardStatus
    account_id: int | None
    # The account's status as read with the card, where it was: a read-only call can
    # refuse a closed account without taking its lock.
    account_status: AccountStatus | None = None

    @property
    def is_active(self) -> bool:
        return self.status == CardStatus.ACTIVE and self.account_id is not None

    def activated_on(self, account_id: int) -> Card:
        """This card as it is once made active on ``account_id``."""
        return Card(
            self.id,
            self.number,
            self.registration_code,
            self.template_code,
            CardStatus.ACTIVE,
            account_id,
            AccountStatus.ACTIVE,
        )


@dataclass(frozen=True)
class Account:
    id: int
    template_code: int
    status: AccountStatus
    # The registered guest owning the account; None while unregistered.
    user_id: int | None

    @property
    def is_active(self) -> bool:
        return self.status == AccountStatus.ACTIVE


@dataclass(frozen=True)
class CardRef:
    """A card as a caller names it (transaction.yaml CardInfo)."""

    number: str | None
    registration_code: str | None = None
    template_code: int | None = None
    magstripe: str | None = None

    def printed_number(self) -> str:
        if self.number:
            return self.number.strip()
        if self.magstripe:
            return number_from_track(self.magstripe)
        raise InvalidRequest("cardInfo.printedCardNumber is required")


def number_from_track(track: str) -> str:
    """The card number inside raw magnetic-stripe data (track 1 or track 2)."""
    text = track.strip().lstrip("%;")
    if text[:1] in ("B", "b"):
        text = text[1:]
    digits = ""
    for char in text:
        if char.isdigit():
            digits += char
        elif char in "=^?":
            break
    if not digits:
        raise InvalidRequest("cardInfo.magstripe holds no card number")
    return digits


def registration_code_matches(card: Card, given: str) -> bool:
    """The one comparison of a registration code, against its keyed digest (the code
    itself is not stored): constant time, so the reply's timing tells nothing."""
    if not card.registration_code:
        return given == ""  # a card issued without a code: only "no code" matches it
    sealed = seal_registration_code(card.number, given)
    return hmac.compare_digest(card.registration_code.encode(), sealed.encode())


def verify_card(card: Card | None, ref: CardRef) -> Card:
    """The card the caller named, if it exists and matches what the caller says of it."""
    if card is None or (ref.template_code is not None and ref.template_code != card.template_code):
        raise CardNotFound()
    if ref.registration_code is not None and not registration_code_matches(
        card, ref.registration_code
    ):
        raise InvalidRegistrationCode()
    return card


def require_active(card: Card) -> int:
    """The account of a card that can transact."""
    if card.status != CardStatus.ACTIVE or card.account_id is None:
        raise CardNotActive()
    return card.account_id


def require_inactive(card: Card, *, which: str = "the card") -> Card:
    """A card that can be sold, activated or registered: not yet active, not retired."""
    if card.status == CardStatus.ACTIVE:
        raise CardAlreadyActive(None if which == "the card" else f"{which} is already active")
    if card.status != CardStatus.INACTIVE:
        raise CardNotInRequiredState(f"{which} is {card.status}")
    return card


def may_auto_activate(card: Card, asked: bool) -> bool:
    """addRedeem and check posting with autoActivateCard: an inactive card is activated
    in the same call instead of refused."""
    return asked and card.status == CardStatus.INACTIVE


# How many digits of a card number a reply shows in maskedCardNumber.
MASK_SHOWN = 6


def mask(number: str) -> str:
    """A card number as every reply's maskedCardNumber shows it: its last six digits and
    nothing before them, the form of the contract's documented examples (guest.yaml
    CardInformation: "200841"). The one form for every service, so a client matches a
    masked number from one service against another's."""
    return number[-MASK_SHOWN:]
