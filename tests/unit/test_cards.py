"""Card and account states and the rules about naming a card (domain.cards)."""

from __future__ import annotations

import pytest

from openpxs.domain.cards import (
    Card,
    CardRef,
    CardStatus,
    mask,
    may_auto_activate,
    may_move,
    may_put_back,
    number_from_track,
    registration_code_matches,
    require_active,
    require_inactive,
    require_move,
    verify_card,
)
from openpxs.domain.errors import (
    CardAlreadyActive,
    CardNotActive,
    CardNotFound,
    CardNotInRequiredState,
    InvalidRegistrationCode,
    InvalidRequest,
)
from openpxs.security import seal_registration_code


def card(status: CardStatus, account: int | None = 7, code: str | None = "1234") -> Card:
    """A card issued with ``code`` (stored, as always, as its keyed digest)."""
    stored = seal_registration_code("6000000000000001", code) if code is not None else None
    return Card(1, "6000000000000001", stored, 2, status, account)


def test_only_the_moves_in_the_table_are_allowed() -> None:
    allowed = {
        (CardStatus.INACTIVE, CardStatus.ACTIVE),
        (CardStatus.ACTIVE, CardStatus.EXCHANGED),
        (CardStatus.ACTIVE, CardStatus.DISABLED),
        (CardStatus.DISABLED, CardStatus.ACTIVE),
    }
    for start in CardStatus:
        for end in CardStatus:
            assert may_move(start, end) == ((start, end) in allowed), (start, end)


def test_a_move_outside_the_table_is_refused() -> None:
    require_move(card(CardStatus.ACTIVE), CardStatus.DISABLED)
    with pytest.raises(CardNotInRequiredState):
        require_move(card(CardStatus.EXCHANGED), CardStatus.ACTIVE)
    with pytest.raises(CardNotInRequiredState):
        require_move(card(CardStatus.INACTIVE), CardStatus.DISABLED)


def test_undo_puts_back_the_inverse_of_a_move_or_an_unchanged_state() -> None:
    assert may_put_back(CardStatus.INACTIVE, CardStatus.ACTIVE)  # a sale voided
    assert may_put_back(CardStatus.EXCHANGED, CardStatus.EXCHANGED)  # a combine undone
    assert not may_put_back(CardStatus.EXCHANGED, CardStatus.ACTIVE)


def test_selling_needs_an_inactive_card_and_says_which_card_is_wrong() -> None:
    assert require_inactive(card(CardStatus.INACTIVE, None)).status == CardStatus.INACTIVE
    with pytest.raises(CardAlreadyActive) as active:
        require_inactive(card(CardStatus.ACTIVE))
    assert active.value.detail is None
    with pytest.raises(CardAlreadyActive) as replacement:
        require_inactive(card(CardStatus.ACTIVE), which="the replacement card")
    assert replacement.value.detail == "the replacement card is already active"
    with pytest.raises(CardNotInRequiredState) as exchanged:
        require_inactive(card(CardStatus.EXCHANGED))
    assert exchanged.value.detail == "the card is exchanged"


def test_transacting_needs_an_active_card_with_an_account() -> None:
    assert require_active(card(CardStatus.ACTIVE)) == 7
    for refused in (card(CardStatus.DISABLED), card(CardStatus.ACTIVE, None)):
        with pytest.raises(CardNotActive):
            require_active(refused)
    assert may_auto_activate(card(CardStatus.INACTIVE, None), True)
    assert not may_auto_activate(card(CardStatus.INACTIVE, None), False)
    assert not may_auto_activate(card(CardStatus.DISABLED), True)


def test_a_named_card_must_match_what_the_caller_says() -> None:
    found = card(CardStatus.ACTIVE)
    assert verify_card(found, CardRef("6000000000000001", "1234", 2)) is found
    with pytest.raises(CardNotFound):
        verify_card(None, CardRef("6000000000000001"))
    with pytest.raises(CardNotFound):
        verify_card(found, CardRef("6000000000000001", template_code=1))
    with pytest.raises(InvalidRegistrationCode):
        verify_card(found, CardRef("6000000000000001", "1235"))
    assert registration_code_matches(found, "1234")
    assert not registration_code_matches(card(CardStatus.ACTIVE, code=None), "1234")


def test_card_numbers_from_magnetic_stripes_and_masks() -> None:
    assert number_from_track("%B6000000000000001^GUEST/A^2812?") == "6000000000000001"
    assert number_from_track(";6000000000000001=2812?") == "6000000000000001"
    with pytest.raises(InvalidRequest):
        number_from_track("%B^NO NUMBER?")
    assert CardRef(None, magstripe=";6000000000000002=1?").printed_number() == "6000000000000002"
    # The contract's documented form: the last six digits, nothing before them.
    assert mask("6000000000000001") == "000001"
    assert mask("6000000000200841") == "200841"
    assert mask("123") == "123"
