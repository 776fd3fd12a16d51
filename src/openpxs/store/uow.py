"""The unit of work: one database transaction, and the repositories that work in it.

The dispatcher opens one per call (``unit_of_work``): everything the call writes is
committed together when it succeeds and rolled back together when it is refused or
fails. Use cases receive the unit of work and reach the database only through its
repositories, so every SQL statement of the server lives in ``store/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from openpxs.domain.cards import Card
from openpxs.store.repositories.accounts import AccountRepository
from openpxs.store.repositories.addresses import AddressRepository
from openpxs.store.repositories.cards import CardRepository
from openpxs.store.repositories.checkins import CheckinRepository
from openpxs.store.repositories.checks import CheckRepository
from openpxs.store.repositories.codes import CodeRepository
from openpxs.store.repositories.combine_workflows import CombineWorkflowRepository
from openpxs.store.repositories.coupons import CouponRepository
from openpxs.store.repositories.event_loads import EventLoadRepository
from openpxs.store.repositories.external_accounts import ExternalAccountRepository
from openpxs.store.repositories.failures import FailureRepository
from openpxs.store.repositories.guest_search import GuestSearchRepository
from openpxs.store.repositories.integrations import IntegrationRepository
from openpxs.store.repositories.ledger import LedgerRepository
from openpxs.store.repositories.outbox import OutboxRepository
from openpxs.store.repositories.pending_rewards import PendingRewardRepository
from openpxs.store.repositories.perks import PerkRepository
from openpxs.store.repositories.price_matches import PriceMatchRepository
from openpxs.store.repositories.programs import ProgramRepository
from openpxs.store.repositories.referrals import ReferralRepository
from openpxs.store.repositories.related_guests import RelatedGuestRepository
from openpxs.store.repositories.retry_keys import RetryKeyRepository, RetryKeys
from openpxs.store.repositories.standing import StandingRepository
from openpxs.store.repositories.tokens import TokenRepository
from openpxs.store.repositories.transactions import HistoryRepository, TransactionRepository
from openpxs.store.repositories.users import UserRepository
from openpxs.store.repositories.visit_codes import VisitCodeRepository


class UnitOfWork:
    """One database transaction. Repositories are made on first use, so a call pays
    only for the ones it touches."""

    def __init__(self, conn: AsyncConnection, retry: RetryKeys | None = None):
        # The store's alone: everything above reaches the database through repositories.
        self._conn = conn
        # The retry keys the call holds (set by the dispatcher for value-moving calls).
        self.retry = retry

    def hold_retry_keys(
        self, merchant_id: int, request_hash: str, now: datetime, *, defer: bool = False
    ) -> RetryKeys:
        """``defer``: the keys are claimed by the call's first statement
        (``lock_card_claiming``) instead of one INSERT each before it."""
        self.retry = RetryKeys(self.retry_keys, merchant_id, request_hash, now, defer=defer)
        return self.retry

    async def lock_card_claiming(self, merchant_id: int, number: str) -> Card | None:
        """The call's retry keys claimed and its card and the card's account locked, in
        one round trip on PostgreSQL."""
        retry = self.retry
        if retry is None:
            return await self.cards.find(merchant_id, number, lock=True)
        scopes = retry.take_pending()
        return await self.cards.claim_and_lock(
            merchant_id, number, scopes, retry.request_hash, retry.now
        )

    @cached_property
    def accounts(self) -> AccountRepository:
        return AccountRepository(self._conn)

    @cached_property
    def addresses(self) -> AddressRepository:
        return AddressRepository(self._conn)

    @cached_property
    def cards(self) -> CardRepository:
        return CardRepository(self._conn)

    @cached_property
    def checkins(self) -> CheckinRepository:
        return CheckinRepository(self._conn)

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
    def failures(self) -> FailureRepository:
        return FailureRepository(self._conn)

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
    def pending_rewards(self) -> PendingRewardRepository:
        return PendingRewardRepository(self._conn)

    @cached_property
    def perks(self) -> PerkRepository:
        return PerkRepository(self._conn)

    @cached_property
    def price_matches(self) -> PriceMatchRepository:
        return PriceMatchRepository(self._conn)

    @cached_property
    def programs(self) -> ProgramRepository:
        return ProgramRepository(self._conn)

    @cached_property
    def referrals(self) -> ReferralRepository:
        return ReferralRepository(self._conn)

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
async def unit_of_work(engine: AsyncEngine) -> AsyncIterator[UnitOfWork]:
    """A transaction that commits when the block ends and rolls back if it raises."""
    async with engine.begin() as conn:
        yield UnitOfWork(conn)


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[UnitOfWork]:
    """A connection for reads that need no transaction of their own."""
    async with engine.connect() as conn:
        yield UnitOfWork(conn)
