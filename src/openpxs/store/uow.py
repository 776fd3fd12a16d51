"""The unit of work: one database transaction, and the repositories that work in it.

The dispatcher opens one per call (``unit_of_work``): everything the call writes is
committed together when it succeeds and rolled back together when it is refused or
fails. Use cases receive the unit of work and reach the database only through its
repositories, so every SQL statement of the server lives in ``store/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from datetime import datetime
from functools import cached_property

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from openpxs.domain.cards import AccountStatus, Card, CardStatus
from openpxs.domain.ledger import AccountBook
from openpxs.domain.program import WalletDef
from openpxs.domain.stamp import CallStamp
from openpxs.store import direct_sqlite, kept
from openpxs.store.direct import DirectConnection
from openpxs.store.direct_sqlite import BatchConnection
from openpxs.store.repositories import ledger_batches
from openpxs.store.repositories.accounts import AccountRepository
from openpxs.store.repositories.addresses import AddressRepository
from openpxs.store.repositories.apple_pay import ApplePayDomainRepository
from openpxs.store.repositories.auto_recharges import AutoRechargeRepository
from openpxs.store.repositories.cards import CardRepository
from openpxs.store.repositories.challenges import ChallengeRepository
from openpxs.store.repositories.checkins import CheckinRepository
from openpxs.store.repositories.checks import CheckRepository
from openpxs.store.repositories.codes import CodeRepository
from openpxs.store.repositories.combine_workflows import CombineWorkflowRepository
from openpxs.store.repositories.console import ConsoleRepository
from openpxs.store.repositories.coupons import CouponRepository
from openpxs.store.repositories.event_loads import EventLoadRepository
from openpxs.store.repositories.external_accounts import ExternalAccountRepository
from openpxs.store.repositories.failures import FailureRepository
from openpxs.store.repositories.gift_transfers import GiftTransferRepository
from openpxs.store.repositories.guest_search import GuestSearchRepository
from openpxs.store.repositories.inbox import InboxRepository
from openpxs.store.repositories.integrations import IntegrationRepository
from openpxs.store.repositories.ledger import (
    CallWrite,
    LedgerRepository,
    ReadForWrite,
    WrittenMove,
    changes_of,
)
from openpxs.store.repositories.operators import OperatorRepository
from openpxs.store.repositories.outbox import OutboxRepository
from openpxs.store.repositories.payment_intents import PaymentIntentRepository
from openpxs.store.repositories.payment_methods import PaymentMethodRepository
from openpxs.store.repositories.payments import PaymentAttemptRepository
from openpxs.store.repositories.pending_rewards import PendingRewardRepository
from openpxs.store.repositories.perks import PerkRepository
from openpxs.store.repositories.postings import PostingRepository
from openpxs.store.repositories.price_matches import PriceMatchRepository
from openpxs.store.repositories.program_files import ProgramFileRepository
from openpxs.store.repositories.programs import ProgramRepository
from openpxs.store.repositories.push_devices import PushDeviceRepository
from openpxs.store.repositories.recharge_monitors import RechargeMonitorRepository
from openpxs.store.repositories.referrals import ReferralRepository
from openpxs.store.repositories.region_events import RegionEventRepository
from openpxs.store.repositories.related_guests import RelatedGuestRepository
from openpxs.store.repositories.reports import ReportRepository
from openpxs.store.repositories.retry_keys import RetryKeyRepository, RetryKeys
from openpxs.store.repositories.sale_orders import SaleOrderRepository
from openpxs.store.repositories.schema import SchemaRepository
from openpxs.store.repositories.social_groups import SocialGroupRepository
from openpxs.store.repositories.standing import StandingRepository
from openpxs.store.repositories.stores import StoreRepository
from openpxs.store.repositories.subscriptions import SubscriptionRepository
from openpxs.store.repositories.surveys import SurveyRepository
from openpxs.store.repositories.tokens import TokenRepository
from openpxs.store.repositories.transactions import HistoryRepository, TransactionRepository
from openpxs.store.repositories.users import UserRepository
from openpxs.store.repositories.visit_codes import VisitCodeRepository
from openpxs.store.repositories.wallet_passes import WalletPassRepository
from openpxs.store.turns import WriteGroup, sqlite_turn


class StaleRead(Exception):
    """A call that read without locks (``unit_of_work(optimistic=True)``) wrote
    nothing: the card or the book changed after it read them (``lock`` False: read
    again), or it needs what only the locking path does (``lock`` True: an activation,
    lapsed value to write off, any statement besides its read and its write). Either
    way the caller runs the call again from the start."""

    def __init__(self, lock: bool):
        super().__init__("run the call again" + (" with locks" if lock else ""))
        self.lock = lock


class Deadlocked(StaleRead):
    """PostgreSQL broke a deadlock by refusing this call's transaction (SQLSTATE 40P01):
    it has rolled back, and the caller runs the call again from the start, with locks.
    Calls that lock accounts beyond their own (a group challenge paying every member)
    may meet in opposite orders; the database's documented remedy is to retry."""

    def __init__(self) -> None:
        super().__init__(lock=True)


def _deadlocked(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "40P01"


class UnitOfWork:
    """One database transaction. Repositories are made on first use, so a call pays
    only for the ones it touches.

    With ``direct`` (only for a call whose endpoint declares ``optimistic``) the call
    is a read and a write, and nothing else. On PostgreSQL two statements that each
    commit on their own: the card and its book read without a lock
    (``lock_card_claiming``), and the write with the reply made only if neither changed
    since (``store/direct.py``). On SQLite two batches of statements, run in the event
    loop's thread: the write lock taken and the card and its book read, then the write
    with the reply (``store/direct_sqlite.py``), on the write group's connection
    (``writer``), committed with the group's other calls (``store/turns.py``). A call
    that needs anything else runs again on the locking path (``StaleRead``)."""

    def __init__(
        self,
        conn: AsyncConnection,
        retry: RetryKeys | None = None,
        *,
        direct: DirectConnection | BatchConnection | None = None,
        writer: Callable[[], Awaitable[BatchConnection]] | None = None,
    ):
        # The store's alone: everything above reaches the database through repositories.
        self._conn = conn
        self._direct = direct
        self._writer = writer
        # SQLite: the write group's connection, once the call's read began its part.
        self._writing: BatchConnection | None = None
        self._read: ReadForWrite | None = None
        self._written = False
        # The retry keys the call holds (set by the dispatcher for value-moving calls).
        self.retry = retry
        # The id the call's transaction record will have (PostgreSQL, taken when the
        # card was locked), and the call's write when it waits for the reply.
        self._transaction_id: int | None = None
        # The id an inactive card locked by lock_card_claiming would get as its account.
        self.new_account_id: int | None = None
        self._pending: CallWrite | None = None

    def hold_retry_keys(
        self, merchant_id: int, request_hash: str, now: datetime, *, defer: bool = False
    ) -> RetryKeys:
        """``defer``: the keys are claimed by the call's first statement
        (``lock_card_claiming``) instead of one INSERT each before it."""
        self.retry = RetryKeys(
            self.retry_keys, merchant_id, request_hash, now, defer=defer, finish=self._finish
        )
        return self.retry

    async def lock_card_claiming(
        self, merchant_id: int, number: str, *, selling: bool = False
    ) -> Card | None:
        """The call's retry keys claimed and its card and the card's account locked, in
        one round trip on PostgreSQL. ``selling``: the call sells an inactive card
        (``new_account_id`` is the id of its new account); without locks it reads the
        card, and its write makes the card active only if it still is inactive."""
        retry = self.retry
        if self._direct is not None:
            return await self._read_for_write(merchant_id, number, selling)
        if retry is None:
            return await self.cards.find(merchant_id, number, lock=True)
        scopes = retry.take_pending()
        card, self._transaction_id, self.new_account_id = await self.cards.claim_and_lock(
            merchant_id, number, scopes, retry.request_hash, retry.now
        )
        return card

    async def _direct_ready(self) -> DirectConnection | BatchConnection:
        assert self._direct is not None
        if self._conn.in_transaction():
            # Only reads can have been made before the call's first statement (its
            # program's version): their transaction has nothing to keep.
            await self._conn.rollback()
        return self._direct

    async def card_with_book(
        self, merchant_id: int, number: str, wallets: list[WalletDef]
    ) -> tuple[Card | None, AccountBook | None]:
        """The card (with its account's status) and its account's book, read together
        without locks."""
        if self._direct is not None:
            direct = await self._direct_ready()
            if isinstance(direct, BatchConnection):
                return await ledger_batches.card_with_book(direct, merchant_id, number, wallets)
            return await self.ledger.card_with_book_direct(direct, merchant_id, number, wallets)
        return await self.ledger.card_with_book(merchant_id, number, wallets)

    async def _read_for_write(self, merchant_id: int, number: str, selling: bool) -> Card | None:
        direct = await self._direct_ready()
        if selling and isinstance(direct, BatchConnection):
            raise StaleRead(lock=True)  # SQLite's batches do not sell a card
        # Claimed by the write (``_finish``); asked about by the read.
        scopes = self.retry.take_pending() if self.retry is not None else []
        if isinstance(direct, BatchConnection):
            # Claimed here, under the write lock the read takes (as claim_and_lock does).
            if self._writer is None:
                raise StaleRead(lock=True)
            retry = self.retry
            claim = (scopes, retry.request_hash, retry.now) if retry is not None else None
            self._writing = await self._writer()
            read = await ledger_batches.read_for_write(self._writing, merchant_id, number, claim)
        else:
            read = await self.ledger.read_for_write(
                direct, merchant_id, number, scopes, selling=selling
            )
        if read is None:
            return None
        if read.keys_held:
            # An identical call (or a changed one under the same key) came first: its
            # reply is replayed or the change refused (the dispatcher's replay), as when
            # the locking path's claim finds the key taken.
            raise IntegrityError("a retry key is held", None, KeyError(scopes))
        if selling:
            # Only a card the write can guard (inactive, on no account); refusals take
            # the locking path.
            card = read.card
            if card.status != CardStatus.INACTIVE or card.account_id is not None:
                raise StaleRead(lock=True)
            assert read.new_account_id is not None  # read for an inactive card
            self.new_account_id = read.new_account_id
        elif read.card.status != CardStatus.ACTIVE or read.card.account_status != (
            AccountStatus.ACTIVE
        ):
            raise StaleRead(lock=True)  # activations and refusals take the locking path
        self._read = read
        self._transaction_id = read.transaction_id
        return read.card

    async def open_book(
        self, merchant_id: int, account_id: int, wallets: list[WalletDef]
    ) -> AccountBook:
        """The (locked) account's book with ``wallets``; the book read with the card,
        when the call read one."""
        read = self._read
        if read is not None and read.rows is not None and read.card.account_id == account_id:
            self._read = replace(read, rows=None)  # read once: a second open reads anew
            return read.rows.book(merchant_id, account_id, wallets)
        if self._direct is not None:
            raise StaleRead(lock=True)
        books = await self.ledger.open_books(merchant_id, [account_id], wallets)
        return books[account_id]

    async def record_and_write(
        self,
        stamp: CallStamp,
        kind: str,
        book: AccountBook,
        *,
        card_number: str | None,
        contents_hash: str | None,
        activating: Card | None = None,
    ) -> int:
        """The call's transaction record and the book's postings; the record's id.

        On PostgreSQL one statement; when the call holds retry keys and its id was
        taken with the card's lock, that statement waits for the reply and records it
        too (``RetryKeys.record``), or runs when the unit of work ends. Nothing may read
        the book's account after this in the same call.

        ``activating``: the inactive card (locked by ``lock_card_claiming``) that the
        same statement makes active on the book's new account (``new_account_id``); the
        transaction record then names no account, as an activation's does."""
        changes = changes_of(book)  # before the write empties the book's postings
        # SQLite's locking path: the same plan as the batches', written on the sqlite3
        # connection in this thread (its transaction holds the write lock).
        here = (
            direct_sqlite.in_transaction_here(self._conn)
            if self._direct is None and activating is None
            else None
        )
        write = self.ledger.prepare_write(
            stamp,
            kind,
            book,
            card_number=card_number,
            contents_hash=contents_hash,
            transaction_id=self._transaction_id,
            activating=activating,
            planned=isinstance(self._direct, BatchConnection) or here is not None,
        )
        if write is not None and here is not None:
            written = ledger_batches.write_here(here, write)
            self.ledger.note(book, written, kind, card_number, changes)
            return written
        if write is None:
            if activating is not None:
                raise RuntimeError("an activation is written in one statement on PostgreSQL only")
            txn = await self.transactions.record(
                stamp,
                kind,
                account_id=book.account_id,
                card_number=card_number,
                contents_hash=contents_hash,
            )
            await self.ledger.write([book], txn, stamp.now)
            return txn
        taken, self._transaction_id = self._transaction_id, None
        if activating is not None:
            self.new_account_id = None  # used: the next activation takes its own
        # Only an endpoint that declared it (claims_with_card) ends with this write; a
        # use case that goes on working on the account after it writes it now.
        deferring = self.retry is not None and self.retry.defer
        if self._direct is not None:
            if taken is None or self._pending is not None:
                raise StaleRead(lock=True)
            self._pending = write
            self.ledger.note(book, taken, kind, card_number, changes)
            return taken
        if taken is not None and deferring and self._pending is None:
            self._pending = write
            self.ledger.note(book, taken, kind, card_number, changes)
            return taken
        written = await self.ledger.flush(write)
        self.ledger.note(book, written, kind, card_number, changes)
        return written

    def take_value_moves(self) -> list[WrittenMove]:
        """What the books written by this unit of work moved since the last take, each
        with its transaction's kind and card."""
        if "ledger" not in self.__dict__:
            return []  # no book opened: nothing written
        recorded = self.transactions.recorded if "transactions" in self.__dict__ else {}
        written, self.ledger.written = self.ledger.written, []
        moves = []
        for move in written:
            if move.kind is None and move.transaction_id in recorded:
                kind, card_number = recorded[move.transaction_id]
                move = replace(move, kind=kind, card_number=card_number)
            moves.append(move)
        return moves

    async def _finish(self, reply: str, scopes: list[str], transaction_id: int | None) -> bool:
        if self._pending is None:
            return False
        write, self._pending = self._pending, None
        named = int(transaction_id) if transaction_id is not None else None
        if self._direct is not None:
            await self._write_guarded(write, scopes, (reply, named))
            return True
        await self.ledger.flush(write, (reply, scopes, named))
        return True

    async def _write_guarded(
        self, write: CallWrite, scopes: list[str], reply: tuple[str | None, int | None]
    ) -> None:
        assert self._direct is not None and self._read is not None
        if self._conn.in_transaction():
            # The call went beyond its read: what it read or wrote there is not held.
            raise StaleRead(lock=True)
        if self.retry is None:
            raise StaleRead(lock=True)
        if self._writing is not None:
            # The keys were claimed and the write lock taken by the read: nothing can
            # have changed the book since.
            await ledger_batches.write_part(self._writing, write, scopes, reply)
            self._written = True
            return
        if not isinstance(self._direct, DirectConnection):
            raise RuntimeError("a SQLite call's write without the part its read began")
        claim = (scopes, self.retry.request_hash)
        if not await self.ledger.flush_guarded(self._direct, write, self._read, claim, reply):
            raise StaleRead(lock=False)
        self._written = True

    async def flush(self) -> None:
        """Run a write still waiting for a reply that never came (no retry keys
        recorded): the unit of work is about to commit."""
        if self._pending is not None:
            write, self._pending = self._pending, None
            if self._direct is not None:
                scopes = self.retry.scopes if self.retry is not None else []
                await self._write_guarded(write, scopes, (None, None))
                return
            await self.ledger.flush(write)

    def end_direct(self) -> None:
        """A call that read without locks ends: anything it did besides its two
        statements must not be lost silently."""
        if not self._conn.in_transaction():
            return
        if self._written:
            raise RuntimeError("a statement after the call's guarded write")
        raise StaleRead(lock=True)

    @cached_property
    def accounts(self) -> AccountRepository:
        return AccountRepository(self._conn)

    @cached_property
    def addresses(self) -> AddressRepository:
        return AddressRepository(self._conn)

    @cached_property
    def auto_recharges(self) -> AutoRechargeRepository:
        return AutoRechargeRepository(self._conn)

    @cached_property
    def cards(self) -> CardRepository:
        return CardRepository(self._conn)

    @cached_property
    def checkins(self) -> CheckinRepository:
        return CheckinRepository(self._conn)

    @cached_property
    def region_events(self) -> RegionEventRepository:
        return RegionEventRepository(self._conn)

    @cached_property
    def inbox(self) -> InboxRepository:
        return InboxRepository(self._conn)

    @cached_property
    def console(self) -> ConsoleRepository:
        return ConsoleRepository(self._conn)

    @cached_property
    def operators(self) -> OperatorRepository:
        return OperatorRepository(self._conn)

    @cached_property
    def schema(self) -> SchemaRepository:
        return SchemaRepository(self._conn)

    @cached_property
    def wallet_passes(self) -> WalletPassRepository:
        return WalletPassRepository(self._conn)

    @cached_property
    def stores(self) -> StoreRepository:
        return StoreRepository(self._conn)

    @cached_property
    def challenges(self) -> ChallengeRepository:
        return ChallengeRepository(self._conn)

    @cached_property
    def social_groups(self) -> SocialGroupRepository:
        return SocialGroupRepository(self._conn)

    @cached_property
    def checks(self) -> CheckRepository:
        return CheckRepository(self._conn)

    @cached_property
    def codes(self) -> CodeRepository:
        return CodeRepository(self._conn)

    @cached_property
    def combine_workflows(self) -> CombineWorkflowRepository:
        return CombineWorkflowRepository(self._conn)

    @cached_property
    def coupons(self) -> CouponRepository:
        return CouponRepository(self._conn)

    @cached_property
    def event_loads(self) -> EventLoadRepository:
        return EventLoadRepository(self._conn)

    @cached_property
    def external_accounts(self) -> ExternalAccountRepository:
        return ExternalAccountRepository(self._conn)

    @cached_property
    def push_devices(self) -> PushDeviceRepository:
        return PushDeviceRepository(self._conn)

    @cached_property
    def failures(self) -> FailureRepository:
        return FailureRepository(self._conn)

    @cached_property
    def gift_transfers(self) -> GiftTransferRepository:
        return GiftTransferRepository(self._conn)

    @cached_property
    def guest_search(self) -> GuestSearchRepository:
        return GuestSearchRepository(self._conn)

    @cached_property
    def history(self) -> HistoryRepository:
        return HistoryRepository(self._conn)

    @cached_property
    def integrations(self) -> IntegrationRepository:
        return IntegrationRepository(self._conn)

    @cached_property
    def ledger(self) -> LedgerRepository:
        return LedgerRepository(self._conn)

    @cached_property
    def outbox(self) -> OutboxRepository:
        return OutboxRepository(self._conn)

    @cached_property
    def apple_pay_domains(self) -> ApplePayDomainRepository:
        return ApplePayDomainRepository(self._conn)

    @cached_property
    def recharge_monitors(self) -> RechargeMonitorRepository:
        return RechargeMonitorRepository(self._conn)

    @cached_property
    def payment_methods(self) -> PaymentMethodRepository:
        return PaymentMethodRepository(self._conn)

    @cached_property
    def payment_intents(self) -> PaymentIntentRepository:
        return PaymentIntentRepository(self._conn)

    @cached_property
    def payment_attempts(self) -> PaymentAttemptRepository:
        return PaymentAttemptRepository(self._conn)

    @cached_property
    def sale_orders(self) -> SaleOrderRepository:
        return SaleOrderRepository(self._conn)

    @cached_property
    def pending_rewards(self) -> PendingRewardRepository:
        return PendingRewardRepository(self._conn)

    @cached_property
    def perks(self) -> PerkRepository:
        return PerkRepository(self._conn)

    @cached_property
    def postings(self) -> PostingRepository:
        return PostingRepository(self._conn)

    @cached_property
    def price_matches(self) -> PriceMatchRepository:
        return PriceMatchRepository(self._conn)

    @cached_property
    def programs(self) -> ProgramRepository:
        return ProgramRepository(self._conn)

    @cached_property
    def program_files(self) -> ProgramFileRepository:
        return ProgramFileRepository(self._conn)

    @cached_property
    def reports(self) -> ReportRepository:
        return ReportRepository(self._conn)

    @cached_property
    def referrals(self) -> ReferralRepository:
        return ReferralRepository(self._conn)

    @cached_property
    def surveys(self) -> SurveyRepository:
        return SurveyRepository(self._conn)

    @cached_property
    def related_guests(self) -> RelatedGuestRepository:
        return RelatedGuestRepository(self._conn)

    @cached_property
    def retry_keys(self) -> RetryKeyRepository:
        return RetryKeyRepository(self._conn)

    @cached_property
    def standing(self) -> StandingRepository:
        return StandingRepository(self._conn)

    @cached_property
    def subscriptions(self) -> SubscriptionRepository:
        return SubscriptionRepository(self._conn)

    @cached_property
    def tokens(self) -> TokenRepository:
        return TokenRepository(self._conn)

    @cached_property
    def transactions(self) -> TransactionRepository:
        return TransactionRepository(self._conn)

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(self._conn)

    @cached_property
    def visit_codes(self) -> VisitCodeRepository:
        return VisitCodeRepository(self._conn)


@asynccontextmanager
async def unit_of_work(
    engine: AsyncEngine, *, optimistic: bool = False
) -> AsyncIterator[UnitOfWork]:
    """A transaction that commits when the block ends and rolls back if it raises.

    ``optimistic``: the call is a read and a write (``UnitOfWork``); the block raises
    StaleRead when it must be run again, or with locks."""
    if optimistic and direct_sqlite.available(engine):
        depends: WriteGroup | None = None
        try:
            async with sqlite_turn(engine, grouped=True) as turn:
                # Reads on a connection beside the group's (committed writes only); the
                # call's write on the write group's.
                conn, reads = await turn.reader()
                uow = UnitOfWork(conn, direct=reads, writer=turn.writer)
                try:
                    yield uow
                    await uow.flush()
                    uow.end_direct()
                except OperationalError as error:
                    if error.orig is None or not direct_sqlite.busy(error.orig):
                        raise
                    # A write on the call's own connection met the write lock (its
                    # group's, or another process's): with locks, it waits its turn.
                    raise StaleRead(lock=True) from error
                finally:
                    # What the read began and no write ended (the call failed, was
                    # refused, or runs again with locks) is rolled back to its
                    # savepoint, and the reader passed on clean.
                    depends = await turn.settle()
        finally:
            if depends is not None:
                # Answered (its refusal too) only once the COMMIT holding its write, or
                # the other calls' writes its read saw, has returned; when that fails,
                # so does the call (503), whatever it was about to answer.
                await depends.wait()
        return
    if optimistic:
        async with _connected(engine) as conn:
            uow = UnitOfWork(conn, direct=DirectConnection(conn))
            yield uow
            await uow.flush()
            uow.end_direct()
        return
    try:
        async with sqlite_turn(engine), _connected(engine) as conn, conn.begin():
            uow = UnitOfWork(conn)
            yield uow
            await uow.flush()
    except DBAPIError as error:
        if _deadlocked(error):
            raise Deadlocked() from error
        raise


def _connected(engine: AsyncEngine) -> AbstractAsyncContextManager[AsyncConnection]:
    """A pooled connection: on PostgreSQL one kept from the last unit of work
    (store/kept.py)."""
    return kept.connection(engine) if kept.available(engine) else engine.connect()


@asynccontextmanager
async def rolled_back(engine: AsyncEngine) -> AsyncIterator[UnitOfWork]:
    """A transaction that is always rolled back: for working out what a change would do
    (a draft program's simulation) with the same use cases, and keeping nothing."""
    async with sqlite_turn(engine), _connected(engine) as conn:
        transaction = await conn.begin()
        try:
            yield UnitOfWork(conn)
        finally:
            await transaction.rollback()


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[UnitOfWork]:
    """A connection for reads that need no transaction of their own."""
    async with sqlite_turn(engine), _connected(engine) as conn:
        yield UnitOfWork(conn)
