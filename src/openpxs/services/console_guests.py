"""The console's work on one guest: finding them, their account as a CSR sees it (with
why each transaction changed the balance), and the actions a CSR takes, each over the
use case the API uses and each audited in the same unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from openpxs.domain.cards import AccountStatus, Card, CardRef, CardStatus
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.money import from_units
from openpxs.domain.moves import Move
from openpxs.domain.operators import Permission, checked_comment
from openpxs.domain.program import WalletDef
from openpxs.domain.transactions import Kind
from openpxs.services import email_verification, exchange, guest_cards, wallet_moves
from openpxs.services.balances import account_view, view_of
from openpxs.services.books import lock_active_account, open_settled_book
from openpxs.services.history import HistoryEntry, account_history
from openpxs.services.staff import StaffCall
from openpxs.services.standing import earned_since
from openpxs.services.user_deletion import forget_user
from openpxs.store.repositories.console import GuestMatch, TransactionNote
from openpxs.store.repositories.users import User

__all__ = ["GuestAccount", "GuestMatch"]

SEARCH_ROWS = 50
HISTORY_ROWS = 100


async def search(call: StaffCall, text: str) -> list[GuestMatch]:
    """Accounts by card number, account id, e-mail, phone or name."""
    call.require(Permission.VIEW_GUESTS)
    if not text.strip():
        return []
    return await call.uow.console.find_guests(call.merchant_id, text[:254], SEARCH_ROWS)


@dataclass(frozen=True)
class LotLine:
    wallet: WalletDef
    remaining: Decimal
    expires: date | None


@dataclass(frozen=True)
class Progress:
    """Toward the next tier: what counts, how much the account has and needs."""

    tier: str
    have: Decimal
    need: Decimal
    wallet: str
    window_days: int


@dataclass(frozen=True)
class ExplainedEntry:
    entry: HistoryEntry
    # Why the transaction changed the balances, one sentence each.
    reasons: list[str]


@dataclass
class GuestAccount:
    account_id: int
    status: AccountStatus
    user: User | None
    cards: list[Card]
    balances: list[tuple[WalletDef, Decimal]]
    lots: list[LotLine]
    tier: str | None
    progress: list[Progress]
    history: list[ExplainedEntry] = field(default_factory=list)

    @property
    def primary_card(self) -> Card | None:
        active = [c for c in self.cards if c.status == CardStatus.ACTIVE]
        found = active or self.cards
        return found[0] if found else None

    @property
    def name(self) -> str:
        if self.user is None:
            return f"Account {self.account_id} (not registered)"
        names = [self.user.fields.get("firstName"), self.user.fields.get("lastName")]
        return " ".join(str(n) for n in names if n) or self.user.username or "Guest"


# Account ids are 64-bit: a larger number in an address names no account.
_MAX_ID = 2**63 - 1


async def _account(call: StaffCall, account_id: int) -> tuple[Any, list[Card]]:
    if not 0 < account_id <= _MAX_ID:
        raise Refused(Reason.ACCOUNT_NOT_FOUND)
    account = await call.uow.accounts.get(call.merchant_id, account_id)
    cards = await call.uow.cards.of_account(call.merchant_id, account_id) if account else []
    if account is None or not cards:
        raise Refused(Reason.ACCOUNT_NOT_FOUND)
    return account, cards


async def guest_account(call: StaffCall, account_id: int) -> GuestAccount:
    """The account as a CSR sees it. An active account's lapsed value is written off
    first (as any API read of it does), so the balances are the ones a purchase meets."""
    call.require(Permission.VIEW_GUESTS)
    uow, program, m = call.uow, call.program, call.merchant_id
    account, cards = await _account(call, account_id)
    number = cards[0].number
    if account.status == AccountStatus.ACTIVE:
        await lock_active_account(uow, m, account_id)
        book = await open_settled_book(uow, program, account_id, call.stamp())
        view = view_of(book, program, number, account.template_code)
    else:
        view = await account_view(uow, program, number, account_id, account.template_code)
    user = await uow.users.by_id(m, account.user_id) if account.user_id is not None else None
    lots = [
        LotLine(
            program.wallets[lot.wallet_code],
            from_units(lot.remaining_units, program.wallets[lot.wallet_code].scale),
            expiry_day(program, lot.expires_on, lot.expires_at),
        )
        for lot in await uow.console.open_lots(m, account_id)
        if lot.wallet_code in program.wallets
    ]
    code = await uow.standing.tier_of(m, account_id)
    tier = next((t.name for t in program.loyalty.tiers if t.code == code), None)
    found = GuestAccount(
        account_id=account_id,
        status=AccountStatus(account.status),
        user=user,
        cards=cards,
        balances=view.balances,
        lots=lots,
        tier=tier,
        progress=await _progress(call, account_id, code),
    )
    entries = await account_history(
        uow, program, account_id, number, None, None, HISTORY_ROWS, False
    )
    found.history = await explain(call, account_id, entries)
    return found


def expiry_day(program: Any, day: date | None, instant: datetime | None) -> date | None:
    """The merchant's local last day of a lot: the day it was given, or the local day
    of the instant it lapses (the end of that day)."""
    if day is not None or instant is None:
        return day
    last: date = program.today(instant - timedelta(microseconds=1))
    return last


async def _progress(call: StaffCall, account_id: int, current: int | None) -> list[Progress]:
    """Points toward each higher tier that qualifies by points, in its window."""
    program = call.program
    found = []
    for tier in program.loyalty.tiers:
        if current is not None and tier.code <= current:
            continue
        wallet = program.wallets.get(tier.points_wallet or -1)
        if tier.points is None or wallet is None:
            continue
        since = call.now - timedelta(days=tier.window_days)
        have = await earned_since(call.uow, program, account_id, wallet.code, since)
        found.append(
            Progress(tier.name, have, Decimal(str(tier.points)), wallet.name, tier.window_days)
        )
    return found


# What a transaction of each kind is, when nothing more specific explains it.
KIND_REASONS = {
    Kind.ACTIVATE: "The card was activated.",
    Kind.ACTIVATE_ADD: "The card was activated with value.",
    Kind.ADD_REDEEM: "Value added or redeemed at the POS.",
    Kind.BULK_ACTIVATE_ADD: "Activated and loaded in bulk.",
    Kind.EXCHANGE: "The card was exchanged for a new one; the balances moved with the account.",
    Kind.ADMIN_ADJUST: "Adjusted by an operator.",
    Kind.EXPIRE: "Value reached its expiry and was written off.",
    Kind.COMBINE_CARDS: "Another card's account was combined into this one.",
    Kind.DISABLE_CARD: "A card was locked.",
    Kind.ENABLE_CARD: "A card was unlocked.",
    Kind.VISIT_CODE: "A visit code was redeemed.",
    Kind.CAMPAIGN_LOAD: "A campaign loaded a reward.",
    Kind.RECHARGE: "Stored value bought with a payment card.",
    Kind.SALE: "Loaded by a web store order.",
    Kind.SURVEY_REWARD: "The reward for answering a survey.",
    Kind.BALANCE_TRANSFER_OUT: "Balance moved to another card.",
    Kind.BALANCE_TRANSFER_IN: "Balance moved in from another card.",
    Kind.GIFT_TRANSFER_OUT: "A reward given to another guest.",
    Kind.GIFT_TRANSFER_IN: "A reward received from another guest.",
    Kind.GIFT_TRANSFER_RETURN: "An unclaimed gift came back.",
    Kind.SUBSCRIPTION_GRANT: "What a paid subscription period grants.",
    Kind.CHALLENGE_REWARD: "The reward of a completed challenge.",
}


def _amount(program_wallet: WalletDef | None, quantity: object) -> str:
    name = program_wallet.name if program_wallet else "wallet"
    return f"{quantity} {name}"


async def explain(
    call: StaffCall, account_id: int, entries: list[HistoryEntry]
) -> list[ExplainedEntry]:
    """Each transaction with why it changed the balances: the rules that fired on a
    check (its stored breakdown), the transaction a void undid or the one that undid
    it, the lots an expiry wrote off, the operator's comment on an adjustment."""
    uow, program, m = call.uow, call.program, call.merchant_id
    ids = [e.transaction.id for e in entries]
    notes = await uow.console.transaction_notes(m, ids)
    checks = await uow.console.check_outcomes(m, account_id, ids)
    expiries = [e.transaction.id for e in entries if e.transaction.kind == Kind.EXPIRE]
    lapsed = await uow.console.lapsed_lots(m, account_id, expiries) if expiries else []
    staff = {f"console:{o.id}": o.email for o in await uow.operators.of_merchant(m)}
    explained = []
    for entry in entries:
        txn = entry.transaction
        note = notes.get(txn.id)
        reasons = _check_reasons(program, checks.get(txn.id), txn.id)
        for lot in (x for x in lapsed if x.transaction_id == txn.id):
            wallet = program.wallets.get(lot.wallet_code)
            amount = from_units(-lot.units, wallet.scale if wallet else 4)
            day = expiry_day(program, lot.expires_on, lot.expires_at)
            when = day.isoformat() if day else "its expiry"
            reasons.append(f"{_amount(wallet, amount)} expired on {when}.")
        if note is not None:
            reasons += _link_reasons(note, staff)
        if not reasons:
            reasons.append(KIND_REASONS.get(txn.kind, f"A {txn.kind} transaction."))
        explained.append(ExplainedEntry(entry, reasons))
    return explained


def _check_reasons(
    program: Any, found: tuple[str, dict[str, Any]] | None, transaction_id: int
) -> list[str]:
    if found is None:
        return []
    number, outcome = found
    reasons = [f"Check {number} (spend {outcome.get('spend', '0')})."]
    for rule in outcome.get("breakdown", []):
        wallet = program.wallets.get(rule.get("walletCode"))
        detail = f" ({rule['detail']})" if rule.get("detail") else ""
        reasons.append(
            f"Rule “{rule.get('rule')}” earned {_amount(wallet, rule.get('quantity'))}{detail}."
        )
    for code, quantity in outcome.get("redeemed", []):
        reasons.append(f"Redeemed {_amount(program.wallets.get(code), quantity)} on the check.")
    return reasons


def _link_reasons(note: TransactionNote, staff: dict[str, str]) -> list[str]:
    reasons = []
    if note.target_id is not None:
        reasons.append(f"Undoes transaction {note.target_id}.")
    if note.comment:
        # An operator of the console by e-mail; a POS operator by the id it sent.
        who = staff.get(note.operator_id or "", note.operator_id)
        said = f"{who} said" if who else "Comment"
        reasons.append(f"{KIND_REASONS.get(note.kind, 'Changed.')} {said}: “{note.comment}”.")
    if note.undone_by_id is not None:
        reasons.append(f"Undone by transaction {note.undone_by_id}.")
    return reasons


# --- actions ----------------------------------------------------------------------------


def _balances(view: Any) -> dict[str, str]:
    return {str(w.code): str(q) for w, q in view.balances}


async def adjust(
    call: StaffCall,
    account_id: int,
    wallet_code: int,
    quantity: str,
    activity: str,
    comment: str | None,
) -> int:
    """Add to or redeem from one wallet, with a comment, as transaction/adminAdjust
    does (through the ledger); returns the transaction's id."""
    call.require(Permission.SERVE_GUESTS)
    text = checked_comment(comment)
    if activity not in ("ADD", "REDEEM"):
        raise Refused(Reason.INVALID_REQUEST, "choose add or redeem")
    _, cards = await _account(call, account_id)
    active = [c for c in cards if c.status == CardStatus.ACTIVE]
    if not active:
        raise Refused(Reason.CARD_NOT_ACTIVE)
    units = await call.uow.ledger.balances(call.merchant_id, account_id)
    wallet = call.program.wallets.get(wallet_code)
    before = str(from_units(units.get(wallet_code, 0), wallet.scale)) if wallet else "0"
    outcome = await wallet_moves.admin_adjust(
        call.uow,
        call.program,
        call.stamp(),
        CardRef(active[0].number),
        Move(wallet_code, quantity),
        activity,
        text,
    )
    assert outcome.view is not None and outcome.transaction_id is not None
    after = _balances(outcome.view).get(str(wallet_code), "0")
    await call.audit(
        "adjust_wallet",
        account_id,
        {"wallet": wallet_code, "balance": before},
        {
            "wallet": wallet_code,
            "balance": after,
            "activity": activity,
            "quantity": quantity,
            "transaction": outcome.transaction_id,
        },
        text,
    )
    return outcome.transaction_id


async def _card_of(call: StaffCall, account_id: int, number: str) -> Card:
    _, cards = await _account(call, account_id)
    card = next((c for c in cards if c.number == number), None)
    if card is None:
        raise Refused(Reason.CARD_NOT_FOUND, "the card is not this account's")
    return card


async def set_card_locked(
    call: StaffCall, account_id: int, number: str, locked: bool, comment: str | None
) -> None:
    """Lock (disable) or unlock a card of the account, as guest/changeCardStatus does."""
    call.require(Permission.SERVE_GUESTS)
    text = checked_comment(comment)
    card = await _card_of(call, account_id, number)
    wanted = "DISABLED" if locked else "ACTIVE"
    await guest_cards.change_card_status(call.uow, call.program, call.stamp(), number, wanted)
    await call.audit(
        "lock_card" if locked else "unlock_card",
        account_id,
        {"card": number, "status": card.status.value},
        {"card": number, "status": CardStatus.DISABLED.value if locked else "active"},
        text,
    )


async def exchange_card(
    call: StaffCall, account_id: int, old: str, new: str, comment: str | None
) -> None:
    """Move the account to a replacement card, as transaction/exchange does."""
    call.require(Permission.SERVE_GUESTS)
    text = checked_comment(comment)
    await _card_of(call, account_id, old)
    outcome = await exchange.exchange(
        call.uow, call.program, call.stamp(), CardRef(old), CardRef(new.strip())
    )
    await call.audit(
        "exchange_card",
        account_id,
        {"card": old},
        {"card": new.strip(), "transaction": outcome.transaction_id},
        text,
    )


async def resend_verification(call: StaffCall, account_id: int) -> None:
    """E-mail the guest a new verification code, as enrollment's verification does."""
    call.require(Permission.SERVE_GUESTS)
    account, _ = await _account(call, account_id)
    user = (
        await call.uow.users.by_id(call.merchant_id, account.user_id) if account.user_id else None
    )
    if user is None or user.username is None:
        raise Refused(Reason.USER_NOT_FOUND, "the account has no registered guest")
    await email_verification.send_challenge(call.as_call(), user.username)
    await call.audit("resend_verification", account_id, None, {"sent_to": "e-mail on file"})


async def merge_card(call: StaffCall, account_id: int, number: str, comment: str | None) -> None:
    """Fold another card's account into this guest's, as guest/attachAndCombine does for
    a trusted caller: an unregistered card is attached to the guest first; a card
    registered to another guest is refused. The card's balances and lots move over."""
    call.require(Permission.MANAGE_GUEST_DATA)
    text = checked_comment(comment)
    account, _ = await _account(call, account_id)
    user = (
        await call.uow.users.by_id(call.merchant_id, account.user_id) if account.user_id else None
    )
    if user is None or user.username is None:
        raise Refused(Reason.USER_NOT_FOUND, "only a registered guest's accounts can be merged")
    card = await call.uow.cards.find(call.merchant_id, number.strip())
    if card is None or card.account_id is None:
        raise Refused(Reason.CARD_NOT_FOUND)
    merged_id = card.account_id
    before = {
        "account": _units(call, await call.uow.ledger.balances(call.merchant_id, account_id)),
        "merged": _units(call, await call.uow.ledger.balances(call.merchant_id, merged_id)),
    }
    await guest_cards.attach_and_combine(call.as_call(), user.username, number.strip(), None)
    after = _units(call, await call.uow.ledger.balances(call.merchant_id, account_id))
    await call.audit(
        "merge_accounts",
        account_id,
        {**before, "card": number.strip(), "merged_account": merged_id},
        {"account": after},
        text,
    )


def _units(call: StaffCall, units: dict[int, int]) -> dict[str, str]:
    wallets = call.program.wallets
    return {
        str(code): str(from_units(held, wallets[code].scale))
        for code, held in sorted(units.items())
        if code in wallets
    }


async def export_guest(call: StaffCall, account_id: int) -> dict[str, Any]:
    """Everything the server keeps about the guest of this account, for a privacy
    request: the registered guest's fields, the cards, balances and history."""
    call.require(Permission.MANAGE_GUEST_DATA)
    found = await guest_account(call, account_id)
    user = found.user
    data: dict[str, Any] = {
        "merchantId": call.merchant_id,
        "accountId": account_id,
        "exportedAt": call.now.isoformat(),
        "status": found.status.value,
        "guest": None,
        "cards": [{"number": c.number, "status": c.status.value} for c in found.cards],
        "balances": {w.name: str(q) for w, q in found.balances},
        "tier": found.tier,
        "history": [
            {
                "transaction": e.entry.transaction.id,
                "kind": e.entry.transaction.kind,
                "at": e.entry.transaction.at.isoformat(),
                "store": e.entry.transaction.store_code,
                "changes": {d.wallet.name: str(d.accrued - d.redeemed) for d in e.entry.details},
                "why": e.reasons,
            }
            for e in found.history
        ],
    }
    if user is not None:
        addresses = await call.uow.users.addresses_of(call.merchant_id, user.id)
        data["guest"] = {
            "username": user.username,
            "fields": user.fields,
            "emailVerified": user.email_verified,
            "language": user.language,
            "addresses": [a.__dict__ for a in addresses],
        }
    await call.audit("export_guest", account_id, None, {"exported": True})
    return data


async def erase_guest(call: StaffCall, account_id: int, comment: str | None) -> None:
    """Forget the registered guest (their fields, sign-ins, addresses and groups) as
    guest/deleteUser does; the account and its ledger stay, no longer anyone's."""
    call.require(Permission.MANAGE_GUEST_DATA)
    text = checked_comment(comment)
    account, _ = await _account(call, account_id)
    if account.user_id is None:
        raise Refused(Reason.USER_NOT_FOUND, "the account has no registered guest")
    await forget_user(call.uow, call.merchant_id, account.user_id, call.now)
    # The entry keeps no personal data: only that a guest was there.
    await call.audit("erase_guest", account_id, {"registered": True}, {"registered": False}, text)
