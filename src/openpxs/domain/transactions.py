"""Ledger transactions: what kinds there are, and what can be undone.

Every value-moving call writes one transaction record; its journal rows and card changes
hang off it. A void or reversal is a new transaction that targets the one it undoes.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpxs.domain.cards import CardStatus


class Kind:
    """The kinds of transaction record (the transactionType of a history entry)."""

    ACTIVATE = "activate"
    ACTIVATE_ADD = "activateAdd"
    ADD_REDEEM = "addRedeem"
    BULK_ACTIVATE_ADD = "bulkActivateAdd"
    EXCHANGE = "exchange"
    ADMIN_ADJUST = "adminAdjust"
    REVERSE = "reverse"
    VOID_BULK_ACTIVATE_ADD = "voidBulkActivateAdd"
    EXPIRE = "expire"
    CHECK = "check"
    COMBINE_CARDS = "combineCards"
    DISABLE_CARD = "disableCard"
    ENABLE_CARD = "enableCard"
    VISIT_CODE = "visitCode"
    CAMPAIGN_LOAD = "campaignLoad"
    RECHARGE = "recharge"  # stored value paid for with a card (services.card_payments)
    SALE = "sale"  # cards of a web store order, activated and loaded (services.sales)
    SURVEY_REWARD = "surveyReward"  # the reward for a survey response (services.surveys)
    # A balance transfer is a pair: out of the source account, into the receiving one.
    BALANCE_TRANSFER_OUT = "balanceTransferOut"
    BALANCE_TRANSFER_IN = "balanceTransferIn"
    # A gift of a reward: out of the giver; into the recipient (at once, or when a held
    # gift is claimed); back to the giver when a held gift lapses unclaimed.
    GIFT_TRANSFER_OUT = "giftTransferOut"
    GIFT_TRANSFER_IN = "giftTransferIn"
    GIFT_TRANSFER_RETURN = "giftTransferReturn"
    # What a paid subscription period grants (services.subscriptions).
    SUBSCRIPTION_GRANT = "subscriptionGrant"
    CHALLENGE_REWARD = "challengeReward"  # paid by a completed challenge occurrence


def void_kind(kind: str) -> str:
    """The kind of the void of a ``kind`` transaction: addRedeem -> voidAddRedeem."""
    return f"void{kind[0].upper()}{kind[1:]}"


# Transactions that activate a card: undoing them discards the account they made.
ACTIVATIONS = frozenset(
    {Kind.ACTIVATE, Kind.ACTIVATE_ADD, Kind.BULK_ACTIVATE_ADD, Kind.ADD_REDEEM, Kind.SALE}
)
# Expiry is the server's own bookkeeping; a combine moved cards and closed an account,
# which undoing its ledger moves alone would leave behind.
# Transfers are pairs (or held gifts) across two accounts: undoing one side alone would
# create or destroy value, so they are not undone by transaction/reverse or void.
NOT_UNDOABLE = frozenset(
    {
        Kind.EXPIRE,
        Kind.COMBINE_CARDS,
        Kind.BALANCE_TRANSFER_OUT,
        Kind.BALANCE_TRANSFER_IN,
        Kind.GIFT_TRANSFER_OUT,
        Kind.GIFT_TRANSFER_IN,
        Kind.GIFT_TRANSFER_RETURN,
        Kind.SUBSCRIPTION_GRANT,
    }
)


@dataclass(frozen=True)
class TransactionRecord:
    id: int
    kind: str
    account_id: int | None
    card_number: str | None
    store_code: str | None
    contents_hash: str | None
    target_id: int | None
    undone_by_id: int | None

    @property
    def is_undo(self) -> bool:
        return self.target_id is not None

    @property
    def undoable(self) -> bool:
        return self.kind not in NOT_UNDOABLE and not self.is_undo


@dataclass(frozen=True)
class CardChange:
    """A card's state change made by a transaction, kept so an undo can put it back."""

    card_id: int
    account_id: int
    from_status: CardStatus
    to_status: CardStatus
