"""The program pages over HTTP: a manager checks a draft, sees its changes, simulates a
check under both programs and applies the changes seen; a stale apply, other roles and
a form without its CSRF token change nothing; a printed range's print file registers a
card through the API.

Every test that applies a draft applies the shipped demo program again afterwards."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from openpxs.config import DEMO_CONFIG_FILES
from openpxs.services.card_ranges import PRINT_FILE_COLUMNS
from openpxs.store.tables import metadata
from tests.api.guests import body_of, gpost, user_fields
from tests.console.console import CONSOLE, CSR, OWNER, add_operator, post, sign_in
from tests.program_config import restore

DEMO_1000 = Path(DEMO_CONFIG_FILES[0]).read_text(encoding="utf-8")
MANAGER = ("manager@demo.example", "Operator1234!")
# One $20 line outside every multiplier and bonus: 20 points at a point a dollar.
TRIAL = {"store": "1001", "items": "BAGEL 20.00", "card": "", "account": ""}


def doubled() -> str:
    data = yaml.safe_load(DEMO_1000)
    data["loyalty"]["earning"][0]["per_currency"] = 2
    return yaml.safe_dump(data, sort_keys=False)


@pytest.fixture
def manager(browser: TestClient, database_url: str) -> Iterator[TestClient]:
    """A manager signed in; the demo program applied again when the test ends."""
    add_operator(database_url, MANAGER[0], "manager")
    sign_in(browser, MANAGER)
    yield browser
    restore(browser)


def counts(client: TestClient) -> dict[str, int]:
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def go() -> dict[str, int]:
        async with engine.connect() as conn:
            return {
                t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar())
                for t in metadata.sorted_tables
            }

    assert client.portal is not None
    return client.portal.call(go)


def live_version(client: TestClient) -> int:
    found = re.search(r'id="live-version">(\d+)<', client.get(f"{CONSOLE}/program").text)
    assert found
    return int(found.group(1))


def program_post(client: TestClient, step: str, fields: dict[str, Any]) -> Response:
    return post(client, f"program/{step}", fields, "program")


def audit_text(client: TestClient) -> str:
    return html.unescape(client.get(f"{CONSOLE}/audit").text)


def test_a_broken_draft_shows_its_problems_by_line_and_applies_nothing(
    manager: TestClient,
) -> None:
    version = live_version(manager)
    broken = DEMO_1000.replace("scale: 2", "scale: 12", 1)
    line = DEMO_1000[: DEMO_1000.index("scale: 2")].count("\n") + 1
    for step in ("check", "diff", "simulate"):
        reply = program_post(manager, step, {"draft": broken, **TRIAL})
        assert reply.status_code == 400, step
        rows = re.findall(r'<tr class="problem">(.*?)</tr>', reply.text, re.S)
        assert len(rows) == 1, reply.text
        cells = re.findall(r"<td>(.*?)</td>", rows[0])
        assert cells[0] == str(line) and cells[1].isdigit()
        assert "wallets[0].scale" in cells[2] and "less than or equal to 4" in cells[3]
    empty = program_post(manager, "check", {"draft": ""})
    assert empty.status_code == 400 and "the draft is empty" in empty.text
    fine = program_post(manager, "check", {"draft": DEMO_1000})
    assert fine.status_code == 200 and "No problems" in fine.text
    unchanged = program_post(manager, "diff", {"draft": DEMO_1000})
    assert "nothing to apply" in unchanged.text and "program/apply" not in unchanged.text
    assert live_version(manager) == version


def test_a_manager_sees_the_diff_simulates_and_applies(manager: TestClient) -> None:
    version = live_version(manager)
    diff = program_post(manager, "diff", {"draft": doubled()})
    assert diff.status_code == 200
    text = html.unescape(diff.text)
    assert "<h3>loyalty</h3>" in text
    assert "<code>loyalty.earning[Points per dollar].per_currency</code>" in text
    assert '<td><code>"1"</code></td><td><code>"2"</code></td>' in text
    assert "-    per_currency: '1'\n+    per_currency: '2'" in text
    assert f'name="version" value="{version}"' in text

    before = counts(manager)
    simulated = program_post(manager, "simulate", {"draft": doubled(), **TRIAL})
    assert simulated.status_code == 200, simulated.text
    table = simulated.text.split('id="simulation"', 1)[1]
    assert re.search(r"earned Points \(wallet 2\)</th><td>20</td><td>40</td>", table)
    assert re.search(r"rule Points per dollar \(wallet 2\)</th>\s*<td>20</td>\s*<td>40</td>", table)
    assert counts(manager) == before  # nothing written, not even the session's reads

    applied = program_post(
        manager, "apply", {"draft": doubled(), "version": version, "comment": "Double points"}
    )
    assert applied.status_code == 303 and applied.headers["location"].endswith("done=applied")
    page = manager.get(applied.headers["location"])
    assert f"the live program is at version {version + 1}" in page.text
    assert live_version(manager) == version + 1
    audit = audit_text(manager)
    assert "apply_program" in audit and "Double points" in audit
    assert f'{{"version": {version}}}' in audit
    assert "loyalty.earning[Points per dollar].per_currency" in audit
    again = program_post(manager, "diff", {"draft": doubled()})
    assert "nothing to apply" in again.text


def test_a_stale_apply_is_refused_and_changes_nothing(manager: TestClient) -> None:
    version = live_version(manager)
    renamed = DEMO_1000.replace("name: OpenPXS Demo Grill", "name: Renamed meanwhile", 1)
    assert program_post(manager, "apply", {"draft": renamed, "version": version}).status_code == 303
    stale = program_post(manager, "apply", {"draft": doubled(), "version": version})
    assert stale.status_code == 409
    assert f"version {version}, now {version + 1}" in stale.text
    assert "Nothing was applied" in stale.text
    assert live_version(manager) == version + 1
    assert audit_text(manager).count("apply_program") == 1
    unseen = program_post(manager, "apply", {"draft": doubled(), "version": ""})
    assert unseen.status_code == 400 and live_version(manager) == version + 1
    other = DEMO_1000.replace("id: 1000", "id: 2000", 1)
    mine = program_post(manager, "apply", {"draft": other, "version": version + 1})
    assert mine.status_code == 400 and "not merchant 1000's" in html.unescape(mine.text)


def test_a_draft_too_large_is_refused(manager: TestClient) -> None:
    reply = program_post(manager, "check", {"draft": "#" * 200_000})
    assert reply.status_code == 413


def test_a_csr_and_an_analyst_are_refused(browser: TestClient, database_url: str) -> None:
    version: int | None = None
    add_operator(database_url, "analyst@demo.example", "analyst")
    for who in (CSR, ("analyst@demo.example", "Operator1234!")):
        sign_in(browser, who)
        assert "Program</a>" not in browser.get(f"{CONSOLE}/audit").text
        for page in ("program", "cards"):
            assert browser.get(f"{CONSOLE}/{page}").status_code == 403
        for step, fields in (
            ("program/check", {"draft": DEMO_1000}),
            ("program/apply", {"draft": doubled(), "version": "1"}),
            ("cards/print", {"template": "1", "start": "7200000000000001", "count": "2"}),
        ):
            reply = post(browser, step, fields, "audit")
            assert reply.status_code == 403 and "does not allow this" in reply.text
    sign_in(browser, OWNER)
    version = live_version(browser)
    assert "Program</a>" in browser.get(f"{CONSOLE}/audit").text
    assert "apply_program" not in audit_text(browser) and "print_cards" not in audit_text(browser)
    assert version >= 1


def test_an_apply_without_its_csrf_token_is_refused(manager: TestClient) -> None:
    version = live_version(manager)
    reply = manager.post(
        f"{CONSOLE}/program/apply",
        data={"draft": doubled(), "version": str(version)},
        follow_redirects=False,
    )
    assert reply.status_code == 403
    assert live_version(manager) == version


def test_a_print_file_card_registers_with_its_code(manager: TestClient) -> None:
    fields = {"template": "1", "start": "7200000000000001", "count": "3"}
    reply = post(manager, "cards/print", fields, "cards")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    assert (
        "cards-1000-7200000000000001-7200000000000003.csv" in (reply.headers["content-disposition"])
    )
    rows = list(csv.reader(io.StringIO(reply.text)))
    assert tuple(rows[0]) == PRINT_FILE_COLUMNS and len(rows) == 4
    number, code = rows[2][0], rows[2][1]
    audit = audit_text(manager)
    assert "print_cards" in audit and "7200000000000001-7200000000000003" in audit
    assert all(row[1] not in audit for row in rows[1:])

    body = {"authentication": "anonymous", "printedCardNumber": number}
    registered = body_of(
        gpost(
            manager,
            "enrollment",
            "activateAndRegister",
            {**body, "registrationCode": code, "setUserFields": user_fields("printed1")},
        )
    )
    assert registered["result"] == "success" and registered["printedCardNumber"] == number

    for wrong, says in (
        ({**fields, "template": "77"}, "no card template '77'"),
        ({**fields, "template": "9" * 30}, "no card template"),
        ({**fields, "start": "9" * 70}, "1 to 64 digits"),
        ({**fields, "start": "9999999999999999"}, "runs past"),
        ({**fields, "count": "10001"}, "from 1 to 10,000"),
        ({**fields, "start": "72x"}, "start"),
    ):
        refused = post(manager, "cards/print", wrong, "cards")
        assert refused.status_code == 400 and says in html.unescape(refused.text), wrong


@pytest.mark.parametrize(
    ("trial", "says"),
    [
        ({"items": ""}, "give 1 to 50 item lines"),
        ({"items": "BAGEL"}, "item line 1: give ITEM PRICE"),
        ({"items": "BAGEL twenty"}, "item line 1: not a number"),
        ({"items": "BAGEL 1e999999"}, "item line 1: not a price or quantity"),
        ({"items": "BAGEL 0.001"}, "item line 1: not a price or quantity"),
        ({"items": "BAGEL 0 5.00"}, "item line 1: not a price or quantity"),
        ({"items": "BAGEL -5.00"}, "item line 1: not a price or quantity"),
        ({"store": " "}, "give the store code"),
        ({"card": "7000000000000001", "account": "1"}, "not both"),
        ({"account": "12x"}, "the account is a number"),
        ({"card": "7" * 65}, "too long"),
    ],
)
def test_a_wrong_trial_check_is_refused_and_writes_nothing(
    manager: TestClient, trial: dict[str, str], says: str
) -> None:
    before = counts(manager)
    reply = program_post(manager, "simulate", {"draft": doubled(), **TRIAL, **trial})
    assert reply.status_code == 400 and says in html.unescape(reply.text)
    assert counts(manager) == before


def test_a_simulation_for_an_unknown_card_or_store_says_why_per_side(manager: TestClient) -> None:
    for trial, says in (
        ({"card": "123"}, "The live program refuses the check"),
        ({"store": "NOWHERE"}, "NOWHERE"),
    ):
        reply = program_post(manager, "simulate", {"draft": doubled(), **TRIAL, **trial})
        assert reply.status_code == 200 and says in html.unescape(reply.text), trial
