"""Editing the demo merchant's program as the console does: a draft compared with the
live program, tried on a check beside it, applied at the version it was taken from, and
printed card ranges registered with the codes of their print file.

Runs on the pass's database (SQLite, and PostgreSQL in the PostgreSQL pass)."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openpxs.config import DEMO_CONFIG_FILES
from openpxs.config.model import CardRangeConfig
from openpxs.domain.checks import PosCheck, PosItem
from openpxs.security import seal_registration_code
from openpxs.services.card_ranges import PRINT_FILE_COLUMNS, RangeRefused, issue_printed_range
from openpxs.services.program_drafts import (
    DraftInvalid,
    DraftRefused,
    StaleDraft,
    TrialCheck,
    apply_draft,
    diff_draft,
    simulate_draft,
)
from openpxs.store.tables import cards, merchants, metadata
from openpxs.store.uow import UnitOfWork, rolled_back, unit_of_work
from tests.api.guests import body_of, gpost, user_fields
from tests.api.pos import LOYALTY, activate
from tests.program_config import restore

DEMO_1000 = Path(DEMO_CONFIG_FILES[0]).read_text(encoding="utf-8")
# One $20 line outside every multiplier and bonus: 20 points at a point a dollar.
CHECK = PosCheck(
    number="D1",
    items=(PosItem(None, "BAGEL", frozenset(), Decimal(1), Decimal("20.00")),),
    discounts=(),
    subtotal=Decimal("20.00"),
)


def draft(edit: Callable[[dict[str, Any]], None]) -> str:
    data = yaml.safe_load(DEMO_1000)
    edit(data)
    return yaml.safe_dump(data, sort_keys=False)


def double_points(data: dict[str, Any]) -> None:
    data["loyalty"]["earning"][0]["per_currency"] = 2


def rename_merchant(data: dict[str, Any]) -> None:
    data["merchant"]["name"] = "Renamed while a draft was open"


@pytest.fixture
def run(client: TestClient) -> Callable[..., Any]:
    """``run(work, rollback=False)``: ``work(uow)`` in a unit of work of the test server's
    database, committed (or, with rollback, always rolled back). The live program is
    the demo's first (integrations other tests added are disabled)."""
    restore(client)
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    def go(work: Callable[[UnitOfWork], Awaitable[Any]], rollback: bool = False) -> Any:
        async def inside() -> Any:
            opened = rolled_back(engine) if rollback else unit_of_work(engine)
            async with opened as uow:
                return await work(uow)

        assert client.portal is not None
        return client.portal.call(inside)

    return go


@pytest.fixture
def restored(client: TestClient) -> Iterator[None]:
    yield
    restore(client)


def counts(client: TestClient) -> dict[str, int]:
    """Rows in every table of the schema."""
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def go() -> dict[str, int]:
        async with engine.connect() as conn:
            return {
                t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar())
                for t in metadata.sorted_tables
            }

    assert client.portal is not None
    return client.portal.call(go)


def test_the_diff_names_the_changed_rule(run: Callable[..., Any]) -> None:
    found = run(lambda uow: diff_draft(uow, draft(double_points), 1000))
    paths = [(c.path, c.kind, c.before, c.after) for c in found.changes]
    assert paths == [("loyalty.earning[Points per dollar].per_currency", "changed", "1", "2")]
    assert list(found.by_section) == ["loyalty"]
    assert found.live_version is not None and found.live_version >= 1
    assert "-    per_currency: '1'\n+    per_currency: '2'\n" in found.unified
    unchanged = run(lambda uow: diff_draft(uow, DEMO_1000, 1000))
    assert unchanged.changes == () and unchanged.unified == ""


def test_a_draft_of_another_merchant_or_an_invalid_one_is_refused(
    run: Callable[..., Any],
) -> None:
    with pytest.raises(DraftRefused, match="merchant 1000's program, not merchant 2000's"):
        run(lambda uow: diff_draft(uow, DEMO_1000, 2000))
    with pytest.raises(DraftInvalid) as invalid:
        run(lambda uow: diff_draft(uow, DEMO_1000.replace("scale: 2", "scale: 12", 1)))
    assert invalid.value.problems[0].path == "wallets[0].scale"


def test_a_draft_that_doubles_points_earns_double_and_writes_nothing(
    client: TestClient, run: Callable[..., Any]
) -> None:
    activate(client, LOYALTY)
    account_id = run(lambda uow: uow.cards.find(1000, LOYALTY)).account_id
    before = counts(client)
    now = datetime.now(UTC)
    for trial in (
        TrialCheck("1001", CHECK, card_number=LOYALTY),
        TrialCheck("1001", CHECK, account_id=account_id),
        TrialCheck("1001", CHECK),  # a new guest of the first card template
    ):
        found = run(lambda uow, t=trial: simulate_draft(uow, draft(double_points), t, now), True)
        assert found.live.refused is None and found.draft.refused is None
        assert found.live.earned_in(2) == 20 and found.draft.earned_in(2) == 40
        assert [(r.rule, r.quantity) for r in found.draft.rules if r.wallet == 2] == [
            ("Points per dollar", 40)
        ]
        after = {w.wallet: w.quantity for w in found.draft.balances_after}
        assert after[2] == 40
    assert counts(client) == before
    nobody = TrialCheck("1001", CHECK, account_id=account_id + 1000)
    found = run(lambda uow: simulate_draft(uow, draft(double_points), nobody, now), True)
    assert (
        found.live.refused
        == found.draft.refused
        == f"account {account_id + 1000} has no active card"
    )


def test_a_simulation_shows_a_tier_and_a_refusal_per_side(run: Callable[..., Any]) -> None:
    now = datetime.now(UTC)

    def gold_points(data: dict[str, Any]) -> None:
        data["loyalty"]["multipliers"][1]["factor"] = 3  # Gold 1.5x -> 3x

    gold = TrialCheck("1001", CHECK, tier_code=2)
    found = run(lambda uow: simulate_draft(uow, draft(gold_points), gold, now), True)
    assert (found.live.earned_in(2), found.draft.earned_in(2)) == (30, 60)

    def new_store(data: dict[str, Any]) -> None:
        data["stores"].append({**data["stores"][-1], "code": "NEW1"})

    elsewhere = TrialCheck("NEW1", CHECK)
    found = run(lambda uow: simulate_draft(uow, draft(new_store), elsewhere, now), True)
    assert found.live.refused and "NEW1" in found.live.refused
    assert found.draft.refused is None and found.draft.earned_in(2) == 20


def test_apply_refuses_a_stale_draft_and_applies_a_current_one(
    client: TestClient, run: Callable[..., Any], restored: None
) -> None:
    doubled = draft(double_points)
    taken = run(lambda uow: diff_draft(uow, doubled, 1000)).live_version
    now = datetime.now(UTC)
    # Another operator applies a change while this draft is open.
    run(lambda uow: apply_draft(uow, draft(rename_merchant), now, taken_version=taken))
    with pytest.raises(StaleDraft, match=f"version {taken}, now {taken + 1}"):
        run(lambda uow: apply_draft(uow, doubled, now, taken_version=taken))
    again = run(lambda uow: diff_draft(uow, doubled, 1000))
    assert again.live_version == taken + 1
    assert {c.path for c in again.changes} == {
        "merchant.name",
        "loyalty.earning[Points per dollar].per_currency",
    }
    report = run(lambda uow: apply_draft(uow, doubled, now, taken_version=taken + 1))
    assert report.merchant_updated and report.changed
    assert run(lambda uow: diff_draft(uow, doubled, 1000)).changes == ()
    version = run(lambda uow: uow.program_files.version(1000))
    assert version == taken + 2
    assert counts(client)[merchants.name] >= 1


def test_a_print_file_card_registers_with_its_code(
    client: TestClient, run: Callable[..., Any]
) -> None:
    out = io.StringIO()
    card_range = CardRangeConfig(template=1, start="7100000000000001", count=3)
    created = run(lambda uow: issue_printed_range(uow, 1000, card_range, out))
    assert created == 3
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == PRINT_FILE_COLUMNS
    printed = rows[1:]
    assert [r[0] for r in printed] == ["7100000000000001", "7100000000000002", "7100000000000003"]
    assert all(r[2:] == ["7100000000000001-7100000000000003", "1"] for r in printed)
    codes = [r[1] for r in printed]
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(set(codes)) == 3

    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def stored() -> dict[str, str]:
        async with engine.connect() as conn:
            found = await conn.execute(
                select(cards.c.printed_card_number, cards.c.registration_code).where(
                    cards.c.printed_card_number.like("71000000000000%")
                )
            )
            return {r.printed_card_number: r.registration_code for r in found}

    assert client.portal is not None
    digests = client.portal.call(stored)
    # Only the keyed digest is stored: the code itself is in the print file alone.
    assert digests == {n: seal_registration_code(n, c) for n, c, *_ in printed}

    number, code = printed[1][0], printed[1][1]
    body = {"authentication": "anonymous", "printedCardNumber": number}
    wrong = gpost(
        client,
        "enrollment",
        "activateAndRegister",
        {**body, "registrationCode": printed[0][1], "setUserFields": user_fields("print1")},
    )
    assert body_of(wrong)["result"] != "success"
    reply = body_of(
        gpost(
            client,
            "enrollment",
            "activateAndRegister",
            {**body, "registrationCode": code, "setUserFields": user_fields("print2")},
        )
    )
    assert reply["result"] == "success" and reply["printedCardNumber"] == number

    # The same range again: every number exists, so no card and an empty file.
    again = io.StringIO()
    assert run(lambda uow: issue_printed_range(uow, 1000, card_range, again)) == 0
    assert again.getvalue().splitlines() == [",".join(PRINT_FILE_COLUMNS)]
    with pytest.raises(RangeRefused, match="no card template 77"):
        bad = CardRangeConfig(template=77, start="7200000000000001", count=1)
        run(lambda uow: issue_printed_range(uow, 1000, bad, io.StringIO()))
