"""'Click to load' campaign rewards (campaignfeedback.yaml).

A campaign e-mail carries a code naming the merchant, a card and an event of the
merchant's ``loyalty.events``; following it loads the event's reward onto the card's
account, once per account and event. The code comes in two forms:

* encoded: Base64 (standard or URL-safe alphabet, padding optional) of query-string
  pairs, ``merchantId=1000&printedCardNumber=7000000000000001&eventId=BIRTHDAY``;
* encrypted: Base64url of ``nonce (12 bytes) || AES-GCM ciphertext`` of the same pairs,
  under the merchant's ``loyalty.campaign_key``. The GCM tag makes a forged or altered
  code undecryptable, so a guest cannot load a reward for another card or event.

The load is an ordinary ledger transaction of kind ``campaignLoad`` at the event's
store: it shows in transaction history, ``openpxs audit`` covers it and
transaction/reverse.json undoes it. A reversed load no longer counts, so the link
works again afterwards (as a reversed check gives its coupon use back).
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import insert, select, update

from openpxs.config.loyalty import CampaignEvent
from openpxs.domain.cards import Card
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.moves import AppliedMove, Move, apply_moves, check_moves
from openpxs.domain.program import Program, WalletDef
from openpxs.services.books import open_settled_book
from openpxs.services.context import Call
from openpxs.store.tables import cards, event_loads, transactions
from openpxs.store.uow import UnitOfWork

LOAD_KIND = "campaignLoad"
NONCE_BYTES = 12
# Far longer than any real code; a bigger one is refused before it is decoded.
MAX_CODE_LENGTH = 2048
PAIR_NAMES = ("merchantId", "printedCardNumber", "eventId")


class CampaignRefusal(DomainError):
    """A refusal of a campaign code. ``card_number`` is the card the code named, when it
    could be read: the reply carries it even on failure (campaignfeedback.yaml
    LoadRewardReply)."""

    def __init__(self, detail: str | None = None, *, card_number: str | None = None):
        super().__init__(
            detail, members={"printedCardNumber": card_number} if card_number else None
        )


class InvalidCode(CampaignRefusal):
    reason = Reason.INVALID_CAMPAIGN_CODE


class InvalidMerchant(CampaignRefusal):
    reason = Reason.INVALID_MERCHANT


class InvalidCard(CampaignRefusal):
    reason = Reason.CARD_NOT_FOUND


class InvalidAccount(CampaignRefusal):
    reason = Reason.ACCOUNT_NOT_FOUND


class InvalidEvent(CampaignRefusal):
    reason = Reason.INVALID_EVENT


class InvalidWalletSpec(CampaignRefusal):
    reason = Reason.INVALID_WALLET_SPEC


class InvalidEventStore(CampaignRefusal):
    reason = Reason.INVALID_STORE


class AccountNotActive(CampaignRefusal):
    reason = Reason.ACCOUNT_NOT_ACTIVE


class CardNotActive(CampaignRefusal):
    reason = Reason.CARD_NOT_ACTIVE


class AccountNotInEvent(CampaignRefusal):
    reason = Reason.ACCOUNT_NOT_IN_EVENT


class RewardAlreadyLoaded(CampaignRefusal):
    reason = Reason.REWARD_ALREADY_LOADED


class TransactionDenied(CampaignRefusal):
    reason = Reason.TRANSACTION_DENIED


class CampaignSystemError(CampaignRefusal):
    reason = Reason.SYSTEM_ERROR


@dataclass(frozen=True)
class CampaignCode:
    merchant_id: int
    card_number: str
    event_id: str


@dataclass(frozen=True)
class Loaded:
    card_number: str  # the account's primary card
    event: CampaignEvent
    move: AppliedMove
    transaction_id: int


# --- codes -----------------------------------------------------------------------------


def pairs_text(code: CampaignCode) -> str:
    return urlencode(
        {
            "merchantId": code.merchant_id,
            "printedCardNumber": code.card_number,
            "eventId": code.event_id,
        }
    )


def encode_code(code: CampaignCode) -> str:
    """The encoded form, as a merchant's mailing tool would build it (URL-safe, unpadded)."""
    return base64.urlsafe_b64encode(pairs_text(code).encode()).decode().rstrip("=")


def encrypt_code(code: CampaignCode, campaign_key: str, nonce: bytes | None = None) -> str:
    """The encrypted form under the merchant's campaign key (base64url, unpadded)."""
    nonce = nonce if nonce is not None else os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key(campaign_key)).encrypt(nonce, pairs_text(code).encode(), None)
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def decode_code(text: str) -> CampaignCode:
    return parse_pairs(_text(_unbase64(text)))


def decrypt_code(text: str, campaign_key: str | None) -> CampaignCode:
    if not campaign_key:
        # Without a key no code can be genuine; saying so with invalid_code (not a
        # system error) tells the guest the link is unusable, which it is.
        raise InvalidCode("the merchant has no campaign key for encrypted codes")
    key = _key(campaign_key)
    raw = _unbase64(text)
    if len(raw) <= NONCE_BYTES:
        raise InvalidCode("the code is too short to be encrypted")
    try:
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
    except InvalidTag:
        raise InvalidCode("the code cannot be decrypted with the merchant's key") from None
    return parse_pairs(_text(plain))


def _key(campaign_key: str) -> bytes:
    try:
        key = base64.b64decode(campaign_key, validate=True)
    except (binascii.Error, ValueError):
        raise CampaignSystemError("the merchant's campaign key is not Base64") from None
    if len(key) not in (16, 24, 32):
        raise CampaignSystemError("the merchant's campaign key is not an AES key")
    return key


def _unbase64(text: str) -> bytes:
    """Either alphabet, padding optional: mailing tools differ and URLs drop '='."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > MAX_CODE_LENGTH:
        raise InvalidCode("the code is empty or too long")
    standard = cleaned.replace("-", "+").replace("_", "/").rstrip("=")
    try:
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidCode("the code is not Base64") from None


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidCode("the code does not hold text") from None


def parse_pairs(text: str) -> CampaignCode:
    """merchantId, printedCardNumber and eventId, each exactly once; others are ignored."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidCode("the code does not hold name=value pairs") from None
    found: dict[str, str] = {}
    for name, value in pairs:
        if name in PAIR_NAMES:
            if name in found:
                raise InvalidCode(f"the code names {name} twice")
            found[name] = value.strip()
    card = found.get("printedCardNumber") or None
    missing = [name for name in PAIR_NAMES if not found.get(name)]
    if missing:
        raise InvalidCode(f"the code has no {', '.join(missing)}", card_number=card)
    merchant = found["merchantId"]
    if not merchant.isascii() or not merchant.isdigit() or len(merchant) > 9:
        raise InvalidCode("the code's merchantId is not a number", card_number=card)
    if len(found["printedCardNumber"]) > 64 or len(found["eventId"]) > 64:
        raise InvalidCode("the code's card number or event id is too long")
    return CampaignCode(int(merchant), found["printedCardNumber"], found["eventId"])


# --- loading ---------------------------------------------------------------------------


async def load_reward(call: Call, code: CampaignCode) -> Loaded:
    """Load the event's reward onto the account of the code's card, once."""
    uow, program, merchant_id, now = call.uow, call.program, call.merchant_id, call.now
    number = code.card_number
    if code.merchant_id != merchant_id:
        raise InvalidMerchant(f"the code is for merchant {code.merchant_id}", card_number=number)
    card = await uow.cards.find(merchant_id, number, lock=True)
    if card is None:
        raise InvalidCard("no card has this number", card_number=number)
    if card.status != "active":
        raise CardNotActive(f"the card is {card.status}", card_number=number)
    if card.account_id is None:
        raise InvalidAccount("the card has no account", card_number=number)
    statuses = await uow.accounts.lock(merchant_id, [card.account_id])
    status = statuses.get(card.account_id)
    if status is None:
        raise InvalidAccount("the card's account does not exist", card_number=number)
    if status != "active":
        raise AccountNotActive(f"the account is {status}", card_number=number)
    event = _event(program, code.event_id, number)
    wallet = _event_wallet(program, event, number)
    _require_audience(program, event, card, wallet)
    if event.store not in program.stores:
        raise InvalidEventStore(
            f"the event's store {event.store!r} is not configured", card_number=number
        )
    earlier = await _earlier_load(uow, merchant_id, card.account_id, event.id)
    if earlier is not None and earlier.undone_by_id is None:
        raise RewardAlreadyLoaded(card_number=number)
    move = _move(program, event, card, now, number)
    where = call.online_stamp(event.store)
    txn = await uow.transactions.record(
        where, LOAD_KIND, account_id=card.account_id, card_number=card.number
    )
    book = await open_settled_book(uow, program, card.account_id, where)
    try:
        apply_moves(book, program, [move], [], now)
    except DomainError as refusal:
        raise TransactionDenied(str(refusal), card_number=number) from None
    await uow.ledger.write([book], txn, now)
    await _remember_load(uow, merchant_id, card.account_id, event.id, txn, now, earlier)
    return Loaded(await _primary_card(uow, merchant_id, card), event, move, txn)


def _event(program: Program, event_id: str, number: str) -> CampaignEvent:
    for event in program.loyalty.events:
        if event.id == event_id:
            return event
    raise InvalidEvent(f"no event {event_id!r}", card_number=number)


def _event_wallet(program: Program, event: CampaignEvent, number: str) -> WalletDef:
    wallet = program.wallets.get(event.wallet)
    if wallet is None:
        raise InvalidWalletSpec(
            f"the event's wallet {event.wallet} is not configured", card_number=number
        )
    return wallet


def _require_audience(
    program: Program, event: CampaignEvent, card: Card, wallet: WalletDef
) -> None:
    """The event's card templates, when listed; and the account must be able to hold
    the reward at all (a gift card has no loyalty wallets)."""
    if event.templates and card.template_code not in event.templates:
        raise AccountNotInEvent("the card's template is not in the event", card_number=card.number)
    template = program.templates.get(card.template_code)
    if template is None or wallet.program not in template.programs:
        raise AccountNotInEvent(
            f"the card's template has no wallet {wallet.code}", card_number=card.number
        )


def _move(
    program: Program, event: CampaignEvent, card: Card, now: datetime, number: str
) -> AppliedMove:
    expires_on: date | None = None
    if event.expires_after_days is not None:
        expires_on = program.today(now) + timedelta(days=event.expires_after_days)
    try:
        (move,) = check_moves(
            program,
            card.template_code,
            "PX",
            [Move(event.wallet, event.quantity, expires_on)],
            now,
        )
    except DomainError as refusal:
        # The quantity does not fit the wallet (e.g. 1.5 of a whole-unit wallet).
        raise InvalidWalletSpec(str(refusal), card_number=number) from None
    return move


@dataclass(frozen=True)
class _EarlierLoad:
    transaction_id: int
    undone_by_id: int | None


async def _earlier_load(
    uow: UnitOfWork, merchant_id: int, account_id: int, event_id: str
) -> _EarlierLoad | None:
    row = (
        await uow.conn.execute(
            select(event_loads.c.transaction_id, transactions.c.undone_by_id)
            .select_from(
                event_loads.outerjoin(
                    transactions,
                    (transactions.c.merchant_id == event_loads.c.merchant_id)
                    & (transactions.c.id == event_loads.c.transaction_id),
                )
            )
            .where(
                event_loads.c.merchant_id == merchant_id,
                event_loads.c.account_id == account_id,
                event_loads.c.event_id == event_id,
            )
        )
    ).first()
    return _EarlierLoad(row.transaction_id, row.undone_by_id) if row is not None else None


async def _remember_load(
    uow: UnitOfWork,
    merchant_id: int,
    account_id: int,
    event_id: str,
    txn: int,
    now: datetime,
    earlier: _EarlierLoad | None,
) -> None:
    """One row per account and event (its primary key): a reload after a reversal
    points the row at the new load."""
    if earlier is None:
        await uow.conn.execute(
            insert(event_loads).values(
                merchant_id=merchant_id,
                account_id=account_id,
                event_id=event_id,
                transaction_id=txn,
                loaded_at=now,
            )
        )
        return
    await uow.conn.execute(
        update(event_loads)
        .where(
            event_loads.c.merchant_id == merchant_id,
            event_loads.c.account_id == account_id,
            event_loads.c.event_id == event_id,
        )
        .values(transaction_id=txn, loaded_at=now)
    )


async def _primary_card(uow: UnitOfWork, merchant_id: int, card: Card) -> str:
    """The account's lowest-numbered active card, as accountQuery reports it."""
    number = (
        await uow.conn.execute(
            select(cards.c.printed_card_number)
            .where(
                cards.c.merchant_id == merchant_id,
                cards.c.account_id == card.account_id,
                cards.c.status == "active",
            )
            .order_by(cards.c.printed_card_number)
            .limit(1)
        )
    ).scalar()
    return str(number) if number is not None else card.number


def quantity_at_scale(move: AppliedMove) -> Decimal:
    return move.quantity.quantize(Decimal(1).scaleb(-move.wallet.scale))
