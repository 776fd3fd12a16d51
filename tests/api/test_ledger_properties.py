"""Random POS sessions through HTTP against a model the test keeps itself.

Three cards (two gift cards, one loyalty card with a stored-value and a points wallet)
get random loads with and without expiries, redemptions, voids, reversals, admin
adjustments and clock moves. After every call the reply must agree with the model;
after the session every balance inquiry must agree with it, the audit must be clean
and no balance or lot may be below zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from openpxs.domain.clock import ShiftedClock, end_of_day, local_date
from openpxs.store.audit import audit
from openpxs.store.tables import lots, wallet_balances
from tests.api.pos import (
    GIFT,
    GIFT2,
    LOYALTY,
    activate,
    add_redeem_body,
    balance,
    call,
    header,
    ok,
    run_db,
    sell,
    wallets,
)
from tests.conftest import reset

ZONE = "America/New_York"
CARDS = (GIFT, GIFT2, LOYALTY)
# wallet -> (program, digits after the point)
WALLETS = {1: ("SV", 2), 2: ("LP", 0)}


def shown(units: int, wallet: int) -> str:
    scale = WALLETS[wallet][1]
    if scale == 0:
        return str(units)
    return f"{units // 100}.{units % 100:02d}"


@dataclass(eq=False)
class MLot:
    seq: int
    remaining: int
    expires_at: datetime | None
    lapsed: int = 0  # what expiry wrote off

    def spendable(self, now: datetime) -> bool:
        return self.remaining > 0 and (self.expires_at is None or self.expires_at > now)


@dataclass
class MTxn:
    px: int
    card: str
    postings: list[tuple[int, MLot, int]]  # (wallet, lot, units) in journal order
    kind: str = "move"  # move | activation (not reversed here) | correction (void/reverse)
    undone: bool = False


@dataclass
class Attempt:
    """An addRedeem as sent, so a void can resend it."""

    body: dict[str, Any]
    txn: MTxn | None
    void_reply: dict[str, Any] | None = None


@dataclass
class Model:
    now: datetime
    lots: dict[tuple[str, int], list[MLot]] = field(default_factory=dict)
    txns: dict[int, MTxn] = field(default_factory=dict)
    seq: int = 0

    def wallet(self, card: str, wallet: int) -> list[MLot]:
        return self.lots.setdefault((card, wallet), [])

    def expire(self, card: str) -> None:
        for (c, _), found in self.lots.items():
            if c != card:
                continue
            for lot in found:
                if lot.remaining and lot.expires_at is not None and lot.expires_at <= self.now:
                    lot.lapsed += lot.remaining
                    lot.remaining = 0

    def balance(self, card: str, wallet: int) -> int:
        return sum(lot.remaining for lot in self.wallet(card, wallet))

    def credit(self, card: str, wallet: int, units: int, expires_at: datetime | None) -> MLot:
        """The lot a credit goes into: the open lot of its expiry (value that expires
        together is one lot, as domain.ledger keeps it), or a new one."""
        for lot in self.wallet(card, wallet):
            if lot.remaining > 0 and lot.expires_at == expires_at:
                lot.remaining += units
                return lot
        self.seq += 1
        lot = MLot(self.seq, units, expires_at)
        self.wallet(card, wallet).append(lot)
        return lot

    def spend(
        self, card: str, wallet: int, units: int, prefer: MLot | None = None
    ) -> list[tuple[MLot, int]] | None:
        """Which lots a debit takes from, soonest expiry first; None when refused."""
        order = sorted(
            (lot for lot in self.wallet(card, wallet) if lot.spendable(self.now)),
            key=lambda lot: (lot.expires_at is None, lot.expires_at or self.now, lot.seq),
        )
        if prefer is not None and prefer in order:
            order.remove(prefer)
            order.insert(0, prefer)
        if sum(lot.remaining for lot in order) < units:
            return None
        taken = []
        for lot in order:
            take = min(units, lot.remaining)
            if take:
                taken.append((lot, take))
                units -= take
        return taken

    def move(
        self,
        card: str,
        adds: list[tuple[int, int, datetime | None]],
        redeems: list[tuple[int, int]],
    ) -> list[tuple[int, MLot, int]] | None:
        """Adds, then redemptions, all or nothing (the lots are restored on refusal)."""
        self.expire(card)
        postings: list[tuple[int, MLot, int]] = []
        for wallet, units, expires_at in adds:
            postings.append((wallet, self.credit(card, wallet, units, expires_at), units))
        for wallet, units in redeems:
            taken = self.spend(card, wallet, units)
            if taken is None:
                self._roll_back(card, postings)
                return None
            for lot, take in taken:
                lot.remaining -= take
                postings.append((wallet, lot, -take))
        return postings

    def _roll_back(self, card: str, postings: list[tuple[int, MLot, int]]) -> None:
        # A lot the call opened is left empty (never spendable again), as a lot it
        # joined is left as it was.
        for _, lot, units in reversed(postings):
            lot.remaining -= units

    def undo(self, txn: MTxn) -> bool:
        """Invert the postings newest first: added value comes off its own lot first,
        spent value goes back to the lot it came from; what of an added lot has lapsed
        is gone already and is not taken again. False when refused."""
        self.expire(txn.card)
        done: list[tuple[int, MLot, int]] = []
        for wallet, lot, units in reversed(txn.postings):
            if units > 0:
                units -= min(units, lot.lapsed)
                if not units:
                    continue
                taken = self.spend(txn.card, wallet, units, prefer=lot)
                if taken is None:
                    for _, back, u in reversed(done):
                        back.remaining -= u
                    return False
                for source, take in taken:
                    source.remaining -= take
                    done.append((wallet, source, -take))
            else:
                lot.remaining -= units
                done.append((wallet, lot, -units))
        self.expire(txn.card)
        txn.undone = True
        return True


# ---- the operations ---------------------------------------------------------------------

card_index = st.integers(0, len(CARDS) - 1)
cents = st.integers(1, 3_000)
expiry_days = st.none() | st.integers(0, 3)

operations = st.one_of(
    st.tuples(st.just("add"), card_index, st.booleans(), cents, expiry_days),
    st.tuples(st.just("redeem"), card_index, st.booleans(), cents),
    st.tuples(st.just("add_redeem"), card_index, st.booleans(), cents, expiry_days, cents),
    st.tuples(st.just("void"), st.integers(0, 50)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("adjust_add"), card_index, st.booleans(), cents, expiry_days),
    st.tuples(st.just("adjust_redeem"), card_index, st.booleans(), cents),
    st.tuples(st.just("advance"), st.integers(1, 60)),
)


class Session:
    def __init__(self, client: TestClient, clock: ShiftedClock, start: datetime):
        self.client, self.clock = client, clock
        self.model = Model(now=start)
        self.attempts: list[Attempt] = []
        self.pos_ids = 0
        self.set_clock()

    def set_clock(self) -> None:
        self.clock.offset = self.model.now - datetime.now(UTC)

    def today(self) -> date:
        return local_date(self.model.now, ZONE)

    def pick_wallet(self, card: str, points: bool) -> int:
        return 2 if card == LOYALTY and points else 1

    def quantity(self, wallet: int, amount: int) -> tuple[str, int]:
        """(wire quantity, model units): points are whole, stored value in cents."""
        if wallet == 2:
            amount = amount % 300 + 1
        return shown(amount, wallet), amount

    def expiry(self, days: int | None) -> tuple[dict[str, str] | None, datetime | None]:
        if days is None:
            return None, None
        day = self.today() + timedelta(days=days)
        return {"date": day.isoformat(), "type": "absolute"}, end_of_day(day, ZONE)

    def check_reply(self, reply: dict[str, Any], card: str) -> None:
        seen = wallets(reply)
        for wallet in WALLETS:
            if wallet in seen:
                assert seen[wallet] == shown(self.model.balance(card, wallet), wallet), (
                    card,
                    wallet,
                    reply,
                )

    def record(
        self,
        reply: dict[str, Any],
        card: str,
        postings: list[tuple[int, MLot, int]],
        kind: str = "move",
    ) -> MTxn:
        txn = MTxn(reply["pxTransactionId"], card, postings, kind)
        assert txn.px not in self.model.txns
        self.model.txns[txn.px] = txn
        return txn

    def expect(self, reply: dict[str, Any], success: bool, code: str | None = None) -> None:
        event(f"{reply.get('errorCode', 'success')}")
        if success:
            ok(reply)
        else:
            assert reply["result"] != "authorizedSuccess" and reply["errorCode"] == code, reply

    # -- one call each --------------------------------------------------------------------

    def add_redeem(
        self, card: str, wallet: int, add: int | None, days: int | None, redeem: int | None
    ) -> None:
        program = WALLETS[wallet][0]
        adds, redeems, model_adds, model_redeems = [], [], [], []
        if add is not None:
            text, units = self.quantity(wallet, add)
            expiration, expires_at = self.expiry(days)
            entry: dict[str, Any] = {"walletCode": wallet, "quantity": text}
            if expiration:
                entry["expiration"] = expiration
            adds.append(entry)
            model_adds.append((wallet, units, expires_at))
        if redeem is not None:
            text, units = self.quantity(wallet, redeem)
            redeems.append({"walletCode": wallet, "quantity": text})
            model_redeems.append((wallet, units))
        self.pos_ids += 1
        body = add_redeem_body(card, adds, redeems, pos_id=f"p{self.pos_ids}", program=program)
        reply = call(self.client, "addRedeem", body)
        postings = self.model.move(card, model_adds, model_redeems)
        self.expect(reply, postings is not None, "transaction.insufficient_balance")
        txn = None
        if postings is not None:
            self.check_reply(reply, card)
            txn = self.record(reply, card, postings)
        self.attempts.append(Attempt(body, txn))

    def adjust(self, card: str, wallet: int, amount: int, days: int | None, add: bool) -> None:
        text, units = self.quantity(wallet, amount)
        body: dict[str, Any] = {
            "authentication": "b2b",
            "merchantId": 1000,
            "storeCode": "1001",
            "printedCardNumber": card,
            "walletCode": wallet,
            "quantity": text,
            "activityType": "ADD" if add else "REDEEM",
            "comment": "property test",
        }
        expires_at = None
        if add:
            expiration, expires_at = self.expiry(days)
            if expiration:
                body["expiration"] = expiration
        reply = call(self.client, "adminAdjust", body)
        postings = self.model.move(
            card, [(wallet, units, expires_at)] if add else [], [] if add else [(wallet, units)]
        )
        self.expect(reply, postings is not None, "transaction.insufficient_balance")
        if postings is not None:
            self.check_reply(reply, card)
            self.record(reply, card, postings)

    def void(self, pick: int) -> None:
        if not self.attempts:
            return
        attempt = self.attempts[pick % len(self.attempts)]
        txn = attempt.txn
        card = attempt.body["cardInfo"]["printedCardNumber"]
        reply = call(self.client, "voidAddRedeem", attempt.body)
        if attempt.void_reply is not None:  # the same void again: replayed, nothing moves
            assert reply == attempt.void_reply
            return
        if txn is None:
            self.expect(reply, False, "transaction.transaction_not_found")
        elif txn.undone:
            self.expect(reply, False, "transaction.already_voided")
        elif self.model.undo(txn):
            ok(reply)
            self.check_reply(reply, card)
            attempt.void_reply = reply
            self.record(reply, card, [], "correction")
        else:
            self.expect(reply, False, "transaction.insufficient_balance")

    def reverse(self, pick: int) -> None:
        if not self.model.txns:
            return
        txns = [t for t in self.model.txns.values() if t.kind != "activation"]
        if not txns:
            return
        txn = txns[pick % len(txns)]
        body = {"headerInfo": header(programId="PX"), "pxTransactionId": txn.px}
        reply = call(self.client, "reverse", body)
        if txn.kind == "correction":
            self.expect(reply, False, "transaction.invalid_request")
        elif txn.undone:
            self.expect(reply, False, "transaction.already_voided")
        elif self.model.undo(txn):
            ok(reply)
            self.check_reply(reply, txn.card)
            self.record(reply, txn.card, [], "correction")
        else:
            self.expect(reply, False, "transaction.insufficient_balance")

    def run(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        if kind == "advance":
            self.model.now += timedelta(hours=op[1])
            self.set_clock()
            return
        if kind in ("void", "reverse"):
            getattr(self, kind)(op[1])
            return
        card = CARDS[op[1]]
        wallet = self.pick_wallet(card, op[2])
        if kind == "add":
            self.add_redeem(card, wallet, op[3], op[4], None)
        elif kind == "redeem":
            self.add_redeem(card, wallet, None, None, op[3])
        elif kind == "add_redeem":
            self.add_redeem(card, wallet, op[3], op[4], op[5])
        else:
            self.adjust(
                card, wallet, op[3], op[4] if kind == "adjust_add" else None, kind == "adjust_add"
            )


async def _lowest(conn: Any) -> tuple[int | None, int | None]:
    low_balance = (await conn.execute(select(func.min(wallet_balances.c.units)))).scalar()
    low_lot = (await conn.execute(select(func.min(lots.c.remaining_units)))).scalar()
    return low_balance, low_lot


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    loads=st.tuples(st.integers(100, 5_000), st.integers(100, 5_000)),
    ops=st.lists(operations, min_size=1, max_size=14),
)
# A credit's own lot spent by a later call while value of the same expiry remains: its
# void takes the credit back from that lot (one lot per expiry), not from the
# soonest-expiring value, which then lapses.
@example(
    loads=(100, 100),
    ops=[
        ("redeem", 0, False, 1),
        ("add", 0, False, 1, None),
        ("add_redeem", 0, False, 528, 0, 1),
        ("redeem", 0, False, 1),
        ("add_redeem", 0, False, 1, None, 626),
        ("add", 0, False, 1, None),
        ("redeem", 0, False, 1),
        ("void", 11),
        ("advance", 24),
    ],
)
def test_random_sessions_keep_the_ledger_exact(
    client: TestClient,
    clock: ShiftedClock,
    loads: tuple[int, int],
    ops: list[tuple[Any, ...]],
) -> None:
    reset(client)
    # Every clock step is a whole number of hours from half past midnight, New York, so
    # no call lands within seconds of a local midnight, where lots expire.
    start = end_of_day(local_date(datetime.now(UTC), ZONE) - timedelta(days=1), ZONE)
    session = Session(client, clock, start + timedelta(minutes=30))

    for number, amount in zip((GIFT, GIFT2), loads, strict=True):
        reply = ok(sell(client, number, shown(amount, 1)))
        postings = session.model.move(number, [(1, amount, None)], [])
        assert postings is not None
        session.check_reply(reply, number)
        session.record(reply, number, postings, "activation")
    ok(activate(client, LOYALTY))

    for op in ops:
        session.run(op)

    for number in CARDS:
        session.model.expire(number)
        session.check_reply(balance(client, number), number)
    checked, problems = run_db(client, audit)
    assert problems == []
    assert checked >= 2
    low_balance, low_lot = run_db(client, _lowest)
    assert low_balance is None or low_balance >= 0
    assert low_lot is None or low_lot >= 0
