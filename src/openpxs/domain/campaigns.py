"""'Click to load' campaign codes and the rules of loading their rewards
(campaignfeedback.yaml).

A campaign e-mail carries a code naming the merchant, a card and an event of the
merchant's ``loyalty.events``. The code comes in two forms:

* encoded: Base64 (standard or URL-safe alphabet, padding optional) of query-string
  pairs, ``merchantId=1000&printedCardNumber=7000000000000001&eventId=BIRTHDAY``;
* encrypted: Base64url of ``nonce (12 bytes) || AES-GCM ciphertext`` of the same pairs,
  under the merchant's ``loyalty.campaign_key``. The GCM tag makes a forged or altered
  code undecryptable, so a guest cannot load a reward for another card or event.

Every refusal names the card the code named, when it could be read: the reply carries
it even on failure.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from openpxs.config.loyalty import CampaignEvent
from openpxs.domain.cards import Card
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.moves import AppliedMove, Move, check_moves
from openpxs.domain.program import PROGRAM_CODES_ALL, Program, WalletDef

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


# --- the rules of a load -----------------------------------------------------------------


def event_of(program: Program, event_id: str, number: str) -> CampaignEvent:
    for event in program.loyalty.events:
        if event.id == event_id:
            return event
    raise InvalidEvent(f"no event {event_id!r}", card_number=number)


def event_wallet(program: Program, event: CampaignEvent, number: str) -> WalletDef:
    wallet = program.wallets.get(event.wallet)
    if wallet is None:
        raise InvalidWalletSpec(
            f"the event's wallet {event.wallet} is not configured", card_number=number
        )
    return wallet


def require_audience(program: Program, event: CampaignEvent, card: Card, wallet: WalletDef) -> None:
    """The event's card templates, when listed; and the account must be able to hold
    the reward at all (a gift card has no loyalty wallets)."""
    if event.templates and card.template_code not in event.templates:
        raise AccountNotInEvent("the card's template is not in the event", card_number=card.number)
    template = program.templates.get(card.template_code)
    if template is None or wallet.program not in template.programs:
        raise AccountNotInEvent(
            f"the card's template has no wallet {wallet.code}", card_number=card.number
        )


def reward_move(
    program: Program, event: CampaignEvent, card: Card, now: datetime, number: str
) -> AppliedMove:
    expires_on: date | None = None
    if event.expires_after_days is not None:
        expires_on = program.today(now) + timedelta(days=event.expires_after_days)
    try:
        (move,) = check_moves(
            program,
            card.template_code,
            PROGRAM_CODES_ALL,
            [Move(event.wallet, event.quantity, expires_on)],
            now,
        )
    except DomainError as refusal:
        # The quantity does not fit the wallet (e.g. 1.5 of a whole-unit wallet).
        raise InvalidWalletSpec(str(refusal), card_number=number) from None
    return move
