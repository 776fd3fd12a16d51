"""Editing a merchant's program: a draft (the YAML text of a program file) checked as
`openpxs config validate` checks a file, compared with the live program, tried on a
check against the live rules, and applied as `openpxs config apply` applies a file.

Every step uses what the server itself uses: the loader's problems and lines, the rows
``config apply`` writes, the program the POS calls work with (made from those rows),
and the check evaluation of check/simulateAccrualAndRedemption.json.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpxs.config.diff import Change, diff_documents, unified_diff
from openpxs.config.loader import ConfigError, parse_config
from openpxs.config.model import MerchantConfig
from openpxs.domain.cards import CardRef
from openpxs.domain.check_plans import Plan
from openpxs.domain.checks import CheckKey, PosCheck, SentCheck
from openpxs.domain.errors import CardNotFound, DomainError, InvalidRequest
from openpxs.domain.moves import AppliedMove
from openpxs.domain.program import Program
from openpxs.domain.stamp import CallStamp
from openpxs.services import check_evaluation
from openpxs.services.check_evaluation import CardCheck
from openpxs.store.config_apply import ApplyReport
from openpxs.store.program_rows import document_of, program_of, rows_of
from openpxs.store.repositories.program_files import StaleProgram
from openpxs.store.uow import UnitOfWork

# A program file is a few hundred lines; a draft far beyond this is a paste gone wrong.
MAX_DRAFT_CHARS = 1_000_000
DRAFT_NAME = "draft"


class DraftRefused(Exception):
    """The draft cannot be used for what was asked; ``str()`` says why."""


class DraftInvalid(DraftRefused):
    """The draft is not a valid program: ``problems`` lists each."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class StaleDraft(DraftRefused):
    """The live program changed since the draft was taken: nothing was applied."""

    def __init__(self, taken: int | None, live: int | None) -> None:
        super().__init__(
            f"the live program changed since the draft was taken (version {taken or 0}, "
            f"now {live or 0}): compare the draft with it again"
        )
        self.taken = taken
        self.live = live


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a draft, where the editor can show it (1-based)."""

    line: int | None
    column: int | None
    path: str  # the field, as `config validate` names it ("" for the whole text)
    message: str

    def __str__(self) -> str:
        where = self.path or "the program"
        if self.line is not None:
            where += f" (line {self.line})"
        return f"{where}: {self.message}"


def check_draft(text: str) -> list[Problem]:
    """Every problem of the draft, as `openpxs config validate` reports them ([] when it
    is a valid program). Reads no database: cheap enough for every pause in typing."""
    try:
        read_draft(text)
    except DraftInvalid as exc:
        return exc.problems
    return []


def read_draft(text: str) -> MerchantConfig:
    """The program the draft describes; DraftInvalid with every problem if none."""
    if len(text) > MAX_DRAFT_CHARS:
        message = f"the program is longer than {MAX_DRAFT_CHARS:,} characters"
        raise DraftInvalid([Problem(None, None, "", message)])
    try:
        return parse_config(text, DRAFT_NAME)
    except ConfigError as exc:
        raise DraftInvalid(
            [Problem(i.line, i.column, i.field, i.reason) for i in exc.issues]
        ) from None


def _own(config: MerchantConfig, merchant_id: int | None) -> MerchantConfig:
    if merchant_id is not None and config.merchant.id != merchant_id:
        raise DraftRefused(
            f"the draft is merchant {config.merchant.id}'s program, not merchant {merchant_id}'s"
        )
    return config


@dataclass(frozen=True)
class DraftDiff:
    """What applying the draft would change in the live program."""

    merchant_id: int
    # The live program's version the diff was made against (None: no such merchant
    # yet); applying the draft is refused once the program is at another one.
    live_version: int | None
    changes: tuple[Change, ...]
    unified: str  # a unified diff of both programs' normalized YAML

    @property
    def by_section(self) -> dict[str, list[Change]]:
        grouped: dict[str, list[Change]] = defaultdict(list)
        for change in self.changes:
            grouped[change.section].append(change)
        return dict(grouped)


async def diff_draft(uow: UnitOfWork, text: str, merchant_id: int | None = None) -> DraftDiff:
    """The draft compared with the merchant's live program (``merchant_id``: the draft
    must be this merchant's)."""
    config = _own(read_draft(text), merchant_id)
    mid = config.merchant.id
    version = await uow.program_files.version(mid)
    live_rows = await uow.program_files.rows(mid) if version is not None else None
    live = document_of(live_rows) if live_rows is not None else {}
    draft = document_of(rows_of(config))
    return DraftDiff(
        merchant_id=mid,
        live_version=version,
        changes=tuple(diff_documents(live, draft)),
        unified=unified_diff(live, draft, f"live (version {version or 0})", DRAFT_NAME),
    )


async def apply_draft(
    uow: UnitOfWork,
    text: str,
    now: datetime,
    *,
    taken_version: int | None,
    merchant_id: int | None = None,
    applied_by: str = "cli",
) -> ApplyReport:
    """Apply the draft as `openpxs config apply` does, if the live program is still at
    ``taken_version`` (the ``live_version`` of the diff the operator saw); StaleDraft
    and nothing written if another apply came in between."""
    config = _own(read_draft(text), merchant_id)
    try:
        return await uow.program_files.apply(
            config, now, expected_version=taken_version, source=text, applied_by=applied_by
        )
    except StaleProgram:
        live = await uow.program_files.version(config.merchant.id)
        raise StaleDraft(taken_version, live) from None


@dataclass(frozen=True)
class TrialCheck:
    """A check to try a program on: where, what, and for whom. For a card (or an
    account's card) the account's balances and standing count as at the POS; without
    one, a new guest of ``template_code`` (else the program's first card template) at
    ``tier_code``."""

    store_code: str
    check: PosCheck
    body: dict[str, Any] = field(default_factory=dict)  # the check as sent, for its key
    card_number: str | None = None
    account_id: int | None = None
    template_code: int | None = None
    tier_code: int | None = None


@dataclass(frozen=True)
class WalletAmount:
    wallet: int
    name: str
    quantity: Decimal


@dataclass(frozen=True)
class RuleAmount:
    rule: str
    wallet: int
    quantity: Decimal
    detail: str


@dataclass(frozen=True)
class DiscountAmount:
    source: str  # the reward or coupon
    kind: str  # ITEM, MULTI_ITEM, SUBTOTAL, SERVICE_CHARGE
    amount: Decimal


@dataclass(frozen=True)
class Outcome:
    """What one program does with the check; ``refused`` says why it would not take it."""

    refused: str | None = None
    rules: tuple[RuleAmount, ...] = ()
    earned: tuple[WalletAmount, ...] = ()
    redeemed: tuple[WalletAmount, ...] = ()
    discounts: tuple[DiscountAmount, ...] = ()
    balances_after: tuple[WalletAmount, ...] = ()

    def earned_in(self, wallet: int) -> Decimal:
        return sum((w.quantity for w in self.earned if w.wallet == wallet), Decimal(0))


@dataclass(frozen=True)
class Simulation:
    """The check under the live program and under the draft, side by side."""

    merchant_id: int
    live: Outcome
    draft: Outcome


async def simulate_draft(
    uow: UnitOfWork,
    text: str,
    trial: TrialCheck,
    now: datetime,
    merchant_id: int | None = None,
) -> Simulation:
    """What the check would earn and redeem under the live program and under the draft.

    Run it in a unit of work that is rolled back (``store.uow.rolled_back``): the
    evaluation is the POS's, which writes off lapsed value on the way."""
    config = _own(read_draft(text), merchant_id)
    mid = config.merchant.id
    draft = program_of(rows_of(config))
    if await uow.program_files.version(mid) is None:
        live = Outcome(refused=f"merchant {mid} has no live program yet")
    else:
        live = await _outcome(uow, await uow.programs.load(mid), trial, now)
    return Simulation(mid, live, await _outcome(uow, draft, trial, now))


async def _outcome(uow: UnitOfWork, program: Program, trial: TrialCheck, now: datetime) -> Outcome:
    try:
        plan, template = await _plan(uow, program, trial, now)
    except DomainError as exc:
        return Outcome(refused=str(exc))
    names = {code: w.name for code, w in program.wallets.items()}
    return Outcome(
        rules=tuple(
            RuleAmount(r.rule, r.wallet, r.quantity, r.detail) for r in plan.accrual.breakdown
        ),
        earned=_per_wallet(plan.added),
        redeemed=_per_wallet(plan.redeemed),
        discounts=tuple(DiscountAmount(o.source, o.kind, o.amount) for o, _, _ in plan.offers),
        balances_after=tuple(
            WalletAmount(w.code, names[w.code], plan.balances_after.get(w.code, Decimal(0)))
            for w in program.wallets_of_template(template)
        ),
    )


async def _plan(
    uow: UnitOfWork, program: Program, trial: TrialCheck, now: datetime
) -> tuple[Plan, int]:
    stamp = CallStamp(
        merchant_id=program.merchant_id,
        store_code=trial.store_code,
        terminal_id=None,
        operator_id=None,
        pos_transaction_id=trial.check.number,
        pos_datetime=None,
        integration_id=None,
        now=now,
    )
    number = trial.card_number
    if number is None and trial.account_id is not None:
        number = await uow.cards.lowest_active_number(program.merchant_id, trial.account_id)
        if number is None:
            raise CardNotFound(f"account {trial.account_id} has no active card")
    if number is not None:
        key = CheckKey(trial.store_code, "", trial.check.number, "")
        found = await check_evaluation.simulate(
            uow,
            program,
            # autoActivate: an inactive card is tried as the new guest it would become.
            CardCheck(stamp, SentCheck(key, trial.check, trial.body), CardRef(number), True),
            redeem=None,
            coupon_codes=[],
            unit_items=[],
        )
        return found.plan, found.template_code
    template = trial.template_code
    if template is None:
        if not program.templates:
            raise InvalidRequest("the program has no card template")
        template = min(program.templates)
    facts, pos_discounts = check_evaluation.facts_of(program, stamp, trial.check)
    plan = await check_evaluation.plan_check(
        uow,
        program,
        facts,
        pos_discounts,
        template_code=template,
        account_id=None,
        balances={},
        redeem=[],
        coupon_codes=[],
        now=now,
        accrue_points=True,
        tier_code=trial.tier_code,
    )
    return plan, template


def _per_wallet(moves: Iterable[AppliedMove]) -> tuple[WalletAmount, ...]:
    totals: dict[int, tuple[str, Decimal]] = {}
    for move in moves:
        name, earlier = totals.get(move.wallet.code, (move.wallet.name, Decimal(0)))
        totals[move.wallet.code] = (name, earlier + move.quantity)
    return tuple(WalletAmount(code, name, q) for code, (name, q) in sorted(totals.items()))
