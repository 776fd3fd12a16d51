"""The console's program pages: the live program, a draft checked, compared, tried on a
check and applied, and printed card ranges. Each step is the one `openpxs config ...`
and `openpxs cards generate` take (``program_drafts``, ``card_ranges``); this module
adds the operator's permission and the audit of what they changed."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from openpxs.config.diff import normalized_yaml
from openpxs.config.model import CardRangeConfig
from openpxs.domain.checks import PosCheck, PosItem
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.operators import Permission
from openpxs.services import program_drafts
from openpxs.services.card_ranges import RangeRefused, issue_printed_range, range_label
from openpxs.services.program_drafts import DraftDiff, Simulation, TrialCheck
from openpxs.services.staff import StaffCall
from openpxs.store.program_rows import document_of

# A print file is downloaded in one reply; larger ranges are the CLI's.
MAX_PRINTED_CARDS = 10_000
MAX_COMMENT = 500
MAX_ITEMS = 50
MAX_AMOUNT = Decimal(1_000_000)
CENT = Decimal("0.01")
MAX_CARD_CHARS = 64


@dataclass(frozen=True)
class LiveProgram:
    version: int | None
    text: str  # the normalized YAML the diff compares ("" without a program)
    templates: tuple[tuple[int, str], ...]
    # The last program file applied, secrets replaced by their hashes ("" when none was
    # kept: programs applied before files were kept) and the version it produced.
    source: str = ""
    source_version: int | None = None

    @property
    def source_is_live(self) -> bool:
        """The kept file is the live program; if not, it was changed since by an apply
        that kept no file."""
        return self.source_version is not None and self.source_version == self.version


async def live_program(call: StaffCall) -> LiveProgram:
    call.require(Permission.MANAGE_PROGRAM)
    version = await call.uow.program_files.version(call.merchant_id)
    rows = await call.uow.program_files.rows(call.merchant_id) if version is not None else None
    templates = tuple(sorted((t.code, t.name) for t in call.program.templates.values()))
    kept = await call.uow.program_files.latest_source(call.merchant_id)
    return LiveProgram(
        version,
        normalized_yaml(document_of(rows)) if rows else "",
        templates,
        source=kept[1] if kept else "",
        source_version=kept[0] if kept else None,
    )


async def diff(call: StaffCall, text: str) -> DraftDiff:
    call.require(Permission.MANAGE_PROGRAM)
    return await program_drafts.diff_draft(call.uow, text, call.merchant_id)


async def simulate(call: StaffCall, text: str, trial: TrialCheck) -> Simulation:
    """Run it in a unit of work that is rolled back (see ``simulate_draft``)."""
    call.require(Permission.MANAGE_PROGRAM)
    return await program_drafts.simulate_draft(call.uow, text, trial, call.now, call.merchant_id)


@dataclass(frozen=True)
class Applied:
    before: int | None
    after: int | None
    changes: int


async def apply(call: StaffCall, text: str, taken_version: int, comment: str) -> Applied:
    """Apply the draft if the live program is still at ``taken_version`` (StaleDraft,
    nothing written, otherwise), audited in the same unit of work."""
    call.require(Permission.MANAGE_PROGRAM)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise Refused(
            Reason.INVALID_REQUEST, f"the comment is longer than {MAX_COMMENT} characters"
        )
    seen = await program_drafts.diff_draft(call.uow, text, call.merchant_id)
    await program_drafts.apply_draft(
        call.uow,
        text,
        call.now,
        taken_version=taken_version,
        merchant_id=call.merchant_id,
        applied_by=f"console:{call.operator.id}",
    )
    after = await call.uow.program_files.version(call.merchant_id)
    paths = [c.path for c in seen.changes]
    await call.audit(
        "apply_program",
        None,
        {"version": taken_version},
        {"version": after, "changes": paths},
        comment or None,
    )
    return Applied(taken_version, after, len(paths))


@dataclass(frozen=True)
class PrintFile:
    name: str
    text: str  # the CSV, registration codes in clear: only ever sent, never kept
    created: int


async def print_range(call: StaffCall, template: str, start: str, count: str) -> PrintFile:
    """Issue a range of printed cards of one of the program's card templates, each with
    a registration code of its own; the print file is the only place the codes are in
    clear. The audit records the range and how many cards, never a code."""
    call.require(Permission.MANAGE_PROGRAM)
    if template.strip() not in {str(code) for code in call.program.templates}:
        raise Refused(Reason.INVALID_REQUEST, f"the program has no card template {template!r}")
    if not count.strip().isdigit() or int(count) > MAX_PRINTED_CARDS:
        raise Refused(
            Reason.INVALID_REQUEST, f"the count must be a number from 1 to {MAX_PRINTED_CARDS:,}"
        )
    try:
        card_range = CardRangeConfig.model_validate(
            {"template": template.strip(), "start": start.strip(), "count": int(count)}
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'range'}: "
            f"{e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise Refused(Reason.INVALID_REQUEST, problems) from None
    out = io.StringIO()
    try:
        created = await issue_printed_range(call.uow, call.merchant_id, card_range, out)
    except RangeRefused as exc:
        raise Refused(Reason.INVALID_REQUEST, str(exc)) from None
    label = range_label(card_range)
    await call.audit(
        "print_cards",
        None,
        None,
        {"range": label, "template": card_range.template, "count": created},
    )
    return PrintFile(f"cards-{call.merchant_id}-{label}.csv", out.getvalue(), created)


def _amount(value: Decimal) -> bool:
    """A price or quantity a check could carry: no huge or minute exponents that would
    overflow the evaluation's arithmetic."""
    return value.is_finite() and 0 <= value <= MAX_AMOUNT and value == value.quantize(CENT)


def trial_check(
    store: str, items: str, card: str = "", account: str = "", number: str = "SIMULATED"
) -> TrialCheck:
    """The check of the console's simulation form: a store, one item a line ("ITEM
    PRICE", or "ITEM QUANTITY PRICE") and, optionally, the guest's card or account."""
    lines: list[PosItem] = []
    for n, line in enumerate(items.splitlines(), 1):
        words = line.split()
        if not words:
            continue
        if len(words) not in (2, 3):
            raise Refused(Reason.INVALID_REQUEST, f"item line {n}: give ITEM PRICE")
        try:
            quantity = Decimal(words[1]) if len(words) == 3 else Decimal(1)
            price = Decimal(words[-1])
        except InvalidOperation:
            raise Refused(Reason.INVALID_REQUEST, f"item line {n}: not a number") from None
        if not _amount(price) or not _amount(quantity) or quantity == 0:
            raise Refused(Reason.INVALID_REQUEST, f"item line {n}: not a price or quantity")
        lines.append(PosItem(None, words[0][:64], frozenset(), quantity, price))
    if not lines or len(lines) > MAX_ITEMS:
        raise Refused(Reason.INVALID_REQUEST, f"give 1 to {MAX_ITEMS} item lines")
    if not store.strip():
        raise Refused(Reason.INVALID_REQUEST, "give the store code")
    card, account = card.strip(), account.strip()
    if len(card) > MAX_CARD_CHARS:
        raise Refused(Reason.INVALID_REQUEST, "the card number is too long")
    if card and account:
        raise Refused(Reason.INVALID_REQUEST, "give a card or an account, not both")
    if account and not (account.isdigit() and len(account) < 19):
        raise Refused(Reason.INVALID_REQUEST, "the account is a number")
    subtotal = sum((i.price for i in lines), Decimal(0))
    check = PosCheck(number, tuple(lines), (), subtotal)
    body = {
        "number": number,
        "items": [
            {"itemId": i.item_id, "quantity": str(i.quantity), "price": str(i.price)} for i in lines
        ],
    }
    return TrialCheck(
        store_code=store.strip()[:64],
        check=check,
        body=body,
        card_number=card or None,
        account_id=int(account) if account else None,
    )
