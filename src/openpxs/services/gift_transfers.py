"""Gift Transfer Service use cases: give a reward to another guest, claim a held gift,
and send back gifts nobody claimed.

A gift to a card, or to the e-mail address of a guest who already has an account, moves
at once: the giver's and the receiver's accounts are locked (cards, then accounts, each
in id order) and journaled as a ``giftTransferOut``/``giftTransferIn`` pair. A gift to
anyone else is *held*: the value leaves the giver (``giftTransferOut``) into a
``gift_transfers`` row with a claim code that is sent to the recipient through the
outbox: by e-mail, and by SMS when a phone number is given (a number alone is enough).
Claiming credits it (``giftTransferIn``); when ``claim_days`` pass first, the
``return_lapsed`` job puts it back on the giver's account (``giftTransferReturn``) and
tells the giver, by e-mail and in their account's inbox, in that same transaction.

Every step that settles a held gift locks its row first and changes it only while it is
still held, so a claim racing the return job (or a second claim) moves value once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from openpxs.config.payments import GiftTransferConfig
from openpxs.domain.cards import AccountStatus, Card, CardStatus
from openpxs.domain.errors import (
    CardNotActive,
    CardNotFound,
    InvalidWalletCode,
    Reason,
    Refused,
)
from openpxs.domain.fields import is_email, is_phone
from openpxs.domain.ledger import AccountBook, ShortOfValue
from openpxs.domain.money import from_units, to_units
from openpxs.domain.moves import Move, apply_moves, check_moves
from openpxs.domain.program import PROGRAM_CODES_ALL, Program, WalletDef
from openpxs.domain.stamp import CallStamp
from openpxs.domain.transactions import Kind
from openpxs.domain.transfers import move_units
from openpxs.domain.webhooks import GIFT_DELIVERED
from openpxs.messaging.outbox import enqueue
from openpxs.services import inbox, webhooks
from openpxs.services.books import open_settled_book
from openpxs.services.card_payments import Units
from openpxs.services.context import Call
from openpxs.services.guest_cards import home_account
from openpxs.store.repositories.gift_transfers import GiftStatus, GiftTransfer, NewGift
from openpxs.store.uow import UnitOfWork

log = logging.getLogger("openpxs.gifts")

# Claim codes: 12 characters of an alphabet without look-alikes (about 60 bits), so
# guessing one is hopeless without a counter; only their digest is stored.
CLAIM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CLAIM_LENGTH = 12


@dataclass(frozen=True)
class Recipient:
    """transferOut's ``to``: a card (TransferToAccount) or a person (TransferToExternal)."""

    card_number: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True)
class Giftable:
    wallet: WalletDef
    quantity: Decimal


@dataclass(frozen=True)
class Gift:
    """A gift as the reply shows it; ``claim_code`` only when it was just made."""

    transfer: GiftTransfer
    wallet: WalletDef
    claim_code: str | None = None

    @property
    def quantity(self) -> Decimal:
        return from_units(self.transfer.units, self.wallet.scale)


def settings(program: Program) -> GiftTransferConfig:
    return program.payments.gift_transfer


def giftable_rewards(program: Program, template_code: int | None) -> list[Giftable]:
    """What a guest with a card of this template may give, in the configured order."""
    template = program.templates.get(template_code) if template_code is not None else None
    if template is None:
        raise Refused(Reason.INVALID_CARD_TEMPLATE)
    config = settings(program)
    if not config.enabled:
        return []
    found = []
    for reward in config.rewards:
        wallet = program.wallets.get(reward.wallet)
        if wallet is None or wallet.program not in template.programs:
            continue
        if reward.templates is not None and template.code not in reward.templates:
            continue
        found.append(Giftable(wallet, reward.quantity))
    return found


def claim_digest(merchant_id: int, code: str) -> str:
    normal = "".join(code.split()).upper().replace("-", "")
    return hashlib.sha256(f"{merchant_id}:{normal}".encode()).hexdigest()


def _new_claim_code() -> str:
    return "".join(secrets.choice(CLAIM_ALPHABET) for _ in range(CLAIM_LENGTH))


def _checked_recipient(to: Recipient | None) -> Recipient:
    if to is None:
        raise Refused(Reason.INVALID_RECIPIENT, "to is required")
    card = (to.card_number or "").strip() or None
    email = (to.email or "").strip() or None
    if card and (email or to.phone):
        raise Refused(
            Reason.INVALID_RECIPIENT, "give a printedCardNumber, or an email or phone, not both"
        )
    if card:
        return Recipient(card_number=card)
    phone = (to.phone or "").strip() or None
    if email is None and phone is None:
        raise Refused(Reason.INVALID_RECIPIENT, "an email address or a phone number is required")
    if email is not None and (len(email) > 254 or not is_email(email)):
        raise Refused(Reason.INVALID_RECIPIENT, "the email address is not valid")
    if phone is not None and not is_phone(phone):
        raise Refused(Reason.INVALID_RECIPIENT, "the phone number is not valid")
    return Recipient(None, email, phone, to.first_name, to.last_name)


async def transfer_out(
    call: Call,
    from_number: str | None,
    to: Recipient | None,
    wallet_code: int | None,
    message: str | None,
) -> Gift:
    uow, program, m = call.uow, call.program, call.merchant_id
    config = settings(program)
    message = (message or "").strip() or None
    if message is not None and len(message) > config.max_message_length:
        raise Refused(Reason.MESSAGE_TOO_LONG, f"at most {config.max_message_length} characters")
    source = await uow.cards.find(m, (from_number or "").strip()) if from_number else None
    if source is None:
        raise CardNotFound()
    if source.status != CardStatus.ACTIVE or source.account_id is None:
        raise CardNotActive()
    if wallet_code is None or wallet_code not in program.wallets:
        raise InvalidWalletCode()
    reward = next(
        (
            g
            for g in giftable_rewards(program, source.template_code)
            if g.wallet.code == wallet_code
        ),
        None,
    )
    if reward is None:
        raise Refused(Reason.WALLET_NOT_GIFTABLE)
    recipient = _checked_recipient(to)
    stamp = call.online_stamp()
    target_number = recipient.card_number
    if target_number is None and recipient.email is not None:
        target_number = await _enrolled_card(uow, program, recipient.email, reward.wallet)
    if target_number is not None:
        moved = await _give_now(uow, program, stamp, source, target_number, reward, recipient)
        gift = Gift(moved, reward.wallet)
        await _announce_delivered(uow, program, gift, stamp.now)
    else:
        gift = await _hold(uow, program, stamp, source, reward, recipient, message)
    await _notify(uow, program, gift, recipient, message, stamp.now)
    return gift


async def _enrolled_card(
    uow: UnitOfWork, program: Program, email: str, wallet: WalletDef
) -> str | None:
    """The primary card of the one guest enrolled with this e-mail address, if there is
    exactly one, with an active account whose card can hold the reward; else the gift
    waits to be claimed (onto a card that can)."""
    m = program.merchant_id
    users = await uow.users.by_email(m, email)
    if len(users) != 1:
        return None
    home = await home_account(uow, m, users[0])
    if home is None:
        return None
    number = await uow.users.primary_card(m, home.id)
    card = await uow.cards.find(m, number) if number is not None else None
    if card is None or wallet.program not in program.templates[card.template_code].programs:
        return None
    return card.number


async def _give_now(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    source: Card,
    target_number: str,
    reward: Giftable,
    recipient: Recipient,
) -> GiftTransfer:
    m = program.merchant_id
    target = await uow.cards.find(m, target_number)
    if target is None:
        raise Refused(Reason.INVALID_RECIPIENT, "no such card")
    locked = {c.id: c for c in await uow.cards.by_ids(m, [source.id, target.id], lock=True)}
    source, target = locked[source.id], locked[target.id]
    if source.status != CardStatus.ACTIVE or source.account_id is None:
        raise CardNotActive()
    if target.status != CardStatus.ACTIVE or target.account_id is None:
        raise Refused(Reason.INVALID_RECIPIENT, "the recipient's card is not active")
    if target.account_id == source.account_id:
        raise Refused(Reason.SAME_ACCOUNT)
    if reward.wallet.program not in program.templates[target.template_code].programs:
        raise Refused(Reason.INVALID_RECIPIENT, "the recipient's card cannot hold this reward")
    statuses = await uow.accounts.lock(m, [source.account_id, target.account_id])
    if statuses.get(source.account_id) != AccountStatus.ACTIVE:
        raise CardNotActive()
    if statuses.get(target.account_id) != AccountStatus.ACTIVE:
        raise Refused(Reason.INVALID_RECIPIENT, "the recipient's account is closed")
    giver = await open_settled_book(uow, program, source.account_id, stamp)
    receiver = await open_settled_book(uow, program, target.account_id, stamp)
    units = to_units(reward.quantity)
    move_units(
        giver.wallet(reward.wallet.code), receiver.wallet(reward.wallet.code), units, stamp.now
    )
    out_txn = await _write(uow, stamp, Kind.GIFT_TRANSFER_OUT, giver, source.number)
    in_txn = await _write(uow, stamp, Kind.GIFT_TRANSFER_IN, receiver, target.number)
    return await uow.gift_transfers.add(
        NewGift(
            merchant_id=m,
            status=GiftStatus.COMPLETED,
            wallet_code=reward.wallet.code,
            units=units,
            from_account_id=source.account_id,
            from_card_number=source.number,
            out_transaction_id=out_txn,
            to_account_id=target.account_id,
            to_card_number=target.number,
            in_transaction_id=in_txn,
            recipient_email=recipient.email,
        ),
        stamp.now,
    )


async def _hold(
    uow: UnitOfWork,
    program: Program,
    stamp: CallStamp,
    source: Card,
    reward: Giftable,
    recipient: Recipient,
    message: str | None,
) -> Gift:
    m = program.merchant_id
    source = (await uow.cards.by_ids(m, [source.id], lock=True))[0]
    if source.status != CardStatus.ACTIVE or source.account_id is None:
        raise CardNotActive()
    statuses = await uow.accounts.lock(m, [source.account_id])
    if statuses.get(source.account_id) != AccountStatus.ACTIVE:
        raise CardNotActive()
    giver = await open_settled_book(uow, program, source.account_id, stamp)
    units = to_units(reward.quantity)
    wallet = giver.wallet(reward.wallet.code)
    available = wallet.spendable_units(stamp.now)
    if units > available:
        raise ShortOfValue(available, units)
    wallet.debit(units, stamp.now)
    out_txn = await _write(uow, stamp, Kind.GIFT_TRANSFER_OUT, giver, source.number)
    code = _new_claim_code()
    held = await uow.gift_transfers.add(
        NewGift(
            merchant_id=m,
            status=GiftStatus.PENDING_CLAIM,
            wallet_code=reward.wallet.code,
            units=units,
            from_account_id=source.account_id,
            from_card_number=source.number,
            out_transaction_id=out_txn,
            recipient_email=recipient.email,
            recipient_first_name=(recipient.first_name or "")[:100] or None,
            recipient_last_name=(recipient.last_name or "")[:100] or None,
            message=message,
            claim_digest=claim_digest(m, code),
            expires_at=stamp.now + timedelta(days=settings(program).claim_days),
        ),
        stamp.now,
    )
    return Gift(held, reward.wallet, code)


async def _write(
    uow: UnitOfWork, stamp: CallStamp, kind: str, book: AccountBook, card_number: str
) -> int:
    txn = await uow.transactions.record(
        stamp, kind, account_id=book.account_id, card_number=card_number
    )
    await uow.ledger.write([book], txn, stamp.now)
    return txn


async def _notify(
    uow: UnitOfWork,
    program: Program,
    gift: Gift,
    recipient: Recipient,
    message: str | None,
    now: datetime,
) -> None:
    """Tell the recipient by e-mail, and a held gift's claim code also by SMS to a phone
    number given, in the same transaction (the outbox sends them after commit, so a
    refused gift sends nothing); a gift credited to a card also goes in that account's
    inbox."""
    amount = f"{gift.quantity} {gift.wallet.name}"
    if gift.transfer.to_account_id is not None:
        await inbox.notify(
            uow,
            program.merchant_id,
            gift.transfer.to_account_id,
            subject=f"A gift from {program.name}",
            body=f"You have been sent a gift: {amount}. It has been added to your card."
            + (f"\n\nTheir message: {message}" if message else ""),
            now=now,
        )
    if gift.claim_code is not None and recipient.phone is not None:
        await _text_claim_code(uow, program, gift, recipient.phone, message, now)
    if recipient.email is None:
        return
    hello = f"Hello {recipient.first_name}," if recipient.first_name else "Hello,"
    lines = [hello, "", f"You have been sent a gift from {program.name}: {amount}."]
    if message:
        lines += ["", f"Their message: {message}"]
    if gift.claim_code is not None:
        expires = gift.transfer.expires_at
        lines += [
            "",
            f"Your claim code is {gift.claim_code}.",
            "Join our program and enter it in the app to add the gift to your card"
            + (f" by {program.today(expires).isoformat()}." if expires else "."),
        ]
    else:
        lines += ["", "It has been added to your card."]
    await enqueue(
        uow,
        merchant_id=program.merchant_id,
        channel="email",
        recipient=recipient.email,
        subject=f"A gift from {program.name}",
        body="\n".join(lines),
        now=now,
    )


# An SMS carries the giver's message only this far: the claim code must not be pushed
# into a long run of segments.
SMS_MESSAGE_LIMIT = 100


async def _text_claim_code(
    uow: UnitOfWork, program: Program, gift: Gift, phone: str, message: str | None, now: datetime
) -> None:
    """The held gift's claim code by SMS (the outbox checks the number has not said STOP)."""
    expires = gift.transfer.expires_at
    text = (
        f"{program.name}: you have been sent a gift of {gift.quantity} {gift.wallet.name}."
        f" Claim code {gift.claim_code}"
        + (f", by {program.today(expires).isoformat()}" if expires else "")
        + ": join our program and enter it in the app."
    )
    if message:
        short = (
            message if len(message) <= SMS_MESSAGE_LIMIT else message[:SMS_MESSAGE_LIMIT] + "..."
        )
        text += f' Their message: "{short}"'
    await enqueue(
        uow,
        merchant_id=program.merchant_id,
        channel="sms",
        recipient=phone,
        subject=None,
        body=text,
        now=now,
    )


async def claim(call: Call, code: str | None, card_number: str | None) -> Gift:
    """Credit a held gift to the claimer's card (see the module)."""
    uow, program, m = call.uow, call.program, call.merchant_id
    code = (code or "").strip()
    if not code:
        raise Refused(Reason.INVALID_CLAIM_CODE)
    held = await uow.gift_transfers.by_claim_digest(m, claim_digest(m, code), lock=True)
    if held is None:
        raise Refused(Reason.INVALID_CLAIM_CODE)
    if held.status in (GiftStatus.CLAIMED, GiftStatus.COMPLETED):
        raise Refused(Reason.TRANSFER_ALREADY_CLAIMED)
    if held.status == GiftStatus.RETURNED or (
        held.expires_at is not None and held.expires_at <= call.now
    ):
        raise Refused(Reason.TRANSFER_EXPIRED)
    card = await uow.cards.find(m, (card_number or "").strip(), lock=True) if card_number else None
    if card is None:
        raise CardNotFound()
    if card.status != CardStatus.ACTIVE or card.account_id is None:
        raise CardNotActive()
    if card.account_id == held.from_account_id:
        raise Refused(Reason.SAME_ACCOUNT, "a gift cannot be claimed by its giver")
    statuses = await uow.accounts.lock(m, [card.account_id])
    if statuses.get(card.account_id) != AccountStatus.ACTIVE:
        raise CardNotActive()
    stamp = call.online_stamp()
    wallet = program.wallets[held.wallet_code]
    if wallet.program not in program.templates[card.template_code].programs:
        raise CardNotFound("this card cannot hold the gift")
    book = await open_settled_book(uow, program, card.account_id, stamp)
    _credit(book, program, card.template_code, held, stamp.now)
    in_txn = await _write(uow, stamp, Kind.GIFT_TRANSFER_IN, book, card.number)
    await uow.gift_transfers.settle(
        held,
        GiftStatus.CLAIMED,
        stamp.now,
        to_account_id=card.account_id,
        to_card_number=card.number,
        in_transaction_id=in_txn,
    )
    claimed = await uow.gift_transfers.get(m, held.id)
    assert claimed is not None
    gift = Gift(claimed, wallet)
    await _announce_delivered(uow, program, gift, stamp.now)
    return gift


async def _announce_delivered(uow: UnitOfWork, program: Program, gift: Gift, now: datetime) -> None:
    """The gift.delivered webhook: the value reached the recipient's account."""
    transfer = gift.transfer
    await webhooks.announce(
        uow,
        program,
        GIFT_DELIVERED,
        {
            "giftTransferId": transfer.id,
            "walletCode": gift.wallet.code,
            "quantity": str(from_units(transfer.units, gift.wallet.scale)),
            "fromAccountId": transfer.from_account_id,
            "fromPrintedCardNumber": transfer.from_card_number,
            "toAccountId": transfer.to_account_id,
            "toPrintedCardNumber": transfer.to_card_number,
            "claimed": transfer.status == GiftStatus.CLAIMED,
        },
        now,
    )


def _credit(
    book: AccountBook, program: Program, template_code: int, held: GiftTransfer, now: datetime
) -> None:
    """Credit held value as new value of its wallet (its own default expiry applies)."""
    wallet = program.wallets[held.wallet_code]
    added = check_moves(
        program,
        template_code,
        PROGRAM_CODES_ALL,
        [Move(wallet.code, from_units(held.units, wallet.scale))],
        now,
    )
    apply_moves(book, program, added, [], now)


async def return_lapsed(units: Units, now: datetime, *, batch: int = 100) -> int:
    """Give every held gift whose claim time has passed back to its giver; returns how
    many went back. Safe to run at any time and from several workers at once: each gift
    is settled under its row lock, only while it is still held."""
    returned = 0
    async with units() as uow:
        lapsed = await uow.gift_transfers.lapsed(now, batch)
    for gift in lapsed:
        try:
            async with units() as uow:
                returned += await _return_one(uow, gift, now)
        except Exception:
            log.exception("gift transfer %s could not be returned yet", gift.id)
    return returned


async def _return_one(uow: UnitOfWork, gift: GiftTransfer, now: datetime) -> int:
    m = gift.merchant_id
    held = await uow.gift_transfers.get(m, gift.id, lock=True)
    if held is None or held.status != GiftStatus.PENDING_CLAIM:
        return 0  # claimed or returned meanwhile
    program = await uow.programs.load(m)
    statuses = await uow.accounts.lock(m, [held.from_account_id])
    if statuses.get(held.from_account_id) != AccountStatus.ACTIVE:
        log.warning("gift transfer %s: the giver's account is closed; kept held", held.id)
        return 0
    template = await uow.accounts.template_of(m, held.from_account_id)
    stamp = CallStamp(m, None, None, None, None, None, None, now).by_the_server()
    book = await open_settled_book(uow, program, held.from_account_id, stamp)
    _credit(book, program, template if template is not None else 0, held, now)
    txn = await _write(uow, stamp, Kind.GIFT_TRANSFER_RETURN, book, held.from_card_number)
    await uow.gift_transfers.settle(held, GiftStatus.RETURNED, now, return_transaction_id=txn)
    await _tell_giver(uow, program, held, now)
    return 1


async def _tell_giver(uow: UnitOfWork, program: Program, held: GiftTransfer, now: datetime) -> None:
    """Tell the giver their unclaimed gift is back on their card: in the account's
    inbox, and by e-mail through the outbox when the account's guest has an address (a
    gift card without a guest gets neither e-mail nor anyone to read it)."""
    wallet = program.wallets[held.wallet_code]
    amount = f"{from_units(held.units, wallet.scale)} {wallet.name}"
    to = held.recipient_email or "its recipient"
    subject = f"Your gift was returned - {program.name}"
    text = "\n".join(
        [
            f"The gift of {amount} you sent to {to} on"
            f" {program.today(held.created_at).isoformat()} was not claimed within"
            f" {settings(program).claim_days} days.",
            "",
            f"It has been returned to your card ending in {held.from_card_number[-4:]}.",
        ]
    )
    await inbox.notify(
        uow, program.merchant_id, held.from_account_id, subject=subject, body=text, now=now
    )
    user = await uow.users.of_account(program.merchant_id, held.from_account_id)
    if user is None or not user.email:
        return
    first = user.fields.get("firstName")
    await enqueue(
        uow,
        merchant_id=program.merchant_id,
        channel="email",
        recipient=user.email,
        subject=subject,
        body=(f"Hello {first}," if first else "Hello,") + "\n\n" + text + "\n",
        now=now,
    )
