"""What ``openpxs config diff|simulate`` read and print: the check file of a simulation
and the side-by-side tables. The work itself is the program-editing use cases'
(services/program_drafts.py), which the console's pages call too."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from rich.console import Console
from rich.table import Table

from openpxs.api.check.models import Check
from openpxs.config.diff import Change
from openpxs.services.program_drafts import DraftDiff, Outcome, Simulation, TrialCheck
from openpxs.wire.types import FlexStr, WireModel


class CheckFile(WireModel):
    """A check to simulate: the store and the check, as a POS sends them to
    check/simulateAccrualAndRedemption.json (other members of such a body are ignored)."""

    storeCode: FlexStr = Field(min_length=1, max_length=64)
    check: Check


class CheckFileError(ValueError):
    """The check file cannot be read or is not a check; ``str()`` says where."""


def read_check_file(
    path: Path,
    *,
    card: str | None,
    account: int | None,
    template: int | None,
    tier: int | None,
) -> TrialCheck:
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckFileError(f"{path}: cannot read the file: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CheckFileError(f"{path} (line {exc.lineno}): not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise CheckFileError(f"{path}: must be a JSON object with storeCode and check")
    known = {k: v for k, v in data.items() if k in CheckFile.model_fields}
    try:
        found = CheckFile.model_validate(known)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise CheckFileError(f"{path}: {problems}") from None
    return TrialCheck(
        store_code=found.storeCode,
        check=found.check.pos_check(),
        body=found.check.model_dump(mode="json", exclude_none=True),
        card_number=card,
        account_id=account,
        template_code=template,
        tier_code=tier,
    )


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def _change_line(change: Change) -> str:
    if change.kind == "added":
        return f"  added    {change.path}: {_value(change.after)}"
    if change.kind == "removed":
        return f"  removed  {change.path}: {_value(change.before)}"
    return f"  changed  {change.path}: {_value(change.before)} -> {_value(change.after)}"


def print_diff(file: Path, diff: DraftDiff) -> None:
    console = Console(soft_wrap=True, highlight=False)
    live = (
        f"merchant {diff.merchant_id}'s live program (version {diff.live_version})"
        if diff.live_version is not None
        else f"merchant {diff.merchant_id}, which has no live program yet"
    )
    count = len(diff.changes)
    console.print(f"{file} against {live}: {count} change{'' if count == 1 else 's'}", markup=False)
    for section, changes in diff.by_section.items():
        console.print(section, markup=False)
        for change in changes:
            console.print(_change_line(change), markup=False)
    if diff.unified:
        console.print("", markup=False)
        console.print(diff.unified, markup=False, end="")
    if diff.changes:
        version = "" if diff.live_version is None else f" --if-version {diff.live_version}"
        console.print(f"\napply it with: openpxs config apply {file}{version}", markup=False)


def _number(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


Amounts = dict[tuple[int, str], Decimal]


def _earned(outcome: Outcome) -> Amounts:
    return {(w.wallet, w.name): w.quantity for w in outcome.earned}


def _redeemed(outcome: Outcome) -> Amounts:
    return {(w.wallet, w.name): w.quantity for w in outcome.redeemed}


def _by_rule(outcome: Outcome) -> Amounts:
    totals: Amounts = {}
    for r in outcome.rules:
        totals[(r.wallet, r.rule)] = totals.get((r.wallet, r.rule), Decimal(0)) + r.quantity
    return totals


def _discounts(outcome: Outcome) -> Amounts:
    totals: Amounts = {}
    for d in outcome.discounts:
        totals[(0, d.source)] = totals.get((0, d.source), Decimal(0)) + d.amount
    return totals


def _balances(outcome: Outcome) -> Amounts:
    return {(w.wallet, w.name): w.quantity for w in outcome.balances_after}


def print_simulation(file: Path, check: Path, simulation: Simulation) -> None:
    console = Console(soft_wrap=True, highlight=False)
    console.print(
        f"{check} under merchant {simulation.merchant_id}'s live program and under {file}",
        markup=False,
    )
    table = Table("", "live", "draft")
    live, draft = simulation.live, simulation.draft
    if live.refused or draft.refused:
        table.add_row("refused", live.refused or "-", draft.refused or "-")
    for label, amounts in (
        ("earned", _earned),
        ("redeemed", _redeemed),
        ("rule", _by_rule),
        ("discount", _discounts),
        ("balance after", _balances),
    ):
        before, after = amounts(live), amounts(draft)
        for code, name in sorted(set(before) | set(after)):
            what = f"{label} {name}" + (f" (wallet {code})" if code else "")
            table.add_row(what, _number(before.get((code, name))), _number(after.get((code, name))))
    console.print(table)
