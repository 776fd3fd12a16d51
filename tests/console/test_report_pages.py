"""The console's report pages over HTTP: each report is a chart, a table, its totals
and a CSV download, for the roles that read reports and for no other; the liability
page and its CSV show what the balance API reports (and the journal holds) after POS
calls; filters that are not ones are answered 400 with the reason by the field."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from openpxs.domain.clock import ShiftedClock, end_of_day, local_date
from openpxs.services import reports
from openpxs.store.tables import integrations, journal
from tests.api.pos import GIFT, GIFT2, LOYALTY, activate, add_redeem, balance, run_db, sell, wallets
from tests.api.test_reports import expiry_journal, report, sweep
from tests.console.console import CONSOLE, CSR, OWNER, add_operator, sign_in

SLUGS = ("liability", "points", "activity", "enrollments", "challenges")
ZONE = "America/New_York"  # the demo merchant's
PASSWORD = "Operator1234!"


def as_role(client: TestClient, database_url: str, role: str) -> None:
    if role == "owner":
        sign_in(client, OWNER)
        return
    email = f"{role}@demo.example"
    add_operator(database_url, email, role)
    sign_in(client, (email, PASSWORD))


def total_of(page: str, label: str) -> Decimal:
    found = re.search(
        rf'<th scope="row">{re.escape(label)}</th><td class="number">([^<]+)</td>', page
    )
    assert found, page
    return Decimal(found.group(1))


def csv_rows(reply: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(reply.text)))


@pytest.mark.parametrize("role", ["analyst", "manager", "owner"])
def test_every_report_page_renders_for_the_roles_that_read_reports(
    browser: TestClient, database_url: str, role: str
) -> None:
    as_role(browser, database_url, role)
    index = browser.get(f"{CONSOLE}/reports")
    assert index.status_code == 200
    assert f'href="{CONSOLE}/reports" aria-current="page">Reports</a>' in index.text
    for slug in SLUGS:
        page = browser.get(f"{CONSOLE}/reports/{slug}")
        assert page.status_code == 200, page.text
        text = page.text
        # The chart first, then the totals and the table, then nothing inline to run.
        assert text.index('<svg xmlns="http://www.w3.org/2000/svg" role="img"') < text.index(
            "<h2>Totals</h2>"
        )
        assert '<table class="totals">\n  <caption>' in text
        assert ('<th scope="col">Day</th>' in text) or "Nothing in this period." in text
        assert "<script" not in text and "style=" not in text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert f'href="{CONSOLE}/reports/{slug}.csv?from=' in text
        assert f'href="{CONSOLE}/reports/{slug}" aria-current="page"' in text
        download = browser.get(f"{CONSOLE}/reports/{slug}.csv")
        assert download.status_code == 200
        assert download.headers["content-disposition"].startswith("attachment;")


def test_a_csr_is_refused_every_report(browser: TestClient) -> None:
    sign_in(browser, CSR)
    assert f'href="{CONSOLE}/reports"' not in browser.get(f"{CONSOLE}/guests").text
    for path in ("reports", *(f"reports/{s}" for s in SLUGS), *(f"reports/{s}.csv" for s in SLUGS)):
        refused = browser.get(f"{CONSOLE}/{path}")
        assert refused.status_code == 403, path
        assert "Your role (csr) does not allow this." in refused.text
        assert "content-disposition" not in refused.headers


def test_signed_out_is_sent_to_sign_in(browser: TestClient) -> None:
    reply = browser.get(f"{CONSOLE}/reports/liability.csv", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == f"{CONSOLE}/signin"


async def _stored_value(conn: Any) -> int:
    query = select(func.coalesce(func.sum(journal.c.units), 0)).where(journal.c.wallet_code == 1)
    return int((await conn.execute(query)).scalar_one())


def test_the_liability_page_and_its_csv_are_the_balances_and_the_ledger(
    browser: TestClient, database_url: str
) -> None:
    sell(browser, GIFT, "50.00")
    sell(browser, GIFT2, "20.00")
    add_redeem(browser, GIFT, [{"walletCode": 1, "quantity": "7.25"}], pos_id="load-1")
    add_redeem(browser, GIFT, None, [{"walletCode": 1, "quantity": "12.40"}], pos_id="spend-1")
    add_redeem(browser, GIFT2, None, [{"walletCode": 1, "quantity": "3.10"}], pos_id="spend-2")
    activate(browser, LOYALTY)
    api = sum(Decimal(wallets(balance(browser, n)).get(1, "0")) for n in (GIFT, GIFT2))
    assert api == Decimal("61.75")
    assert Decimal(run_db(browser, _stored_value)) / 10_000 == api

    as_role(browser, database_url, "analyst")
    page = browser.get(f"{CONSOLE}/reports/liability")
    assert page.status_code == 200
    name = "Stored Value (wallet 1)"
    assert total_of(page.text, f"{name}: outstanding at the end") == api
    assert total_of(page.text, f"{name}: added") == Decimal("77.25")
    assert total_of(page.text, f"{name}: spent") == Decimal("15.50")

    today = local_date(datetime.now(UTC), ZONE)
    first = today - timedelta(days=29)
    link = re.search(r'href="(/console/reports/liability\.csv\?[^"]+)"', page.text)
    assert link and f"from={first}&amp;to={today}" in link.group(1)
    download = browser.get(link.group(1).replace("&amp;", "&"))
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"] == (
        f'attachment; filename="liability-1000-{first}-{today}.csv"'
    )
    rows = csv_rows(download)
    assert rows[0] == ["day", "wallet", "outstanding", "added", "spent", "expired", "dormant"]
    assert len(rows) == 1 + 30
    assert rows[-1][:3] == [today.isoformat(), "1", str(api)]
    # The same use case the command line runs, to the byte.
    made = report(browser, lambda uow: reports.liability(uow, 1000, first, today))
    out = io.StringIO()
    reports.write_csv(made.table(), out)
    assert download.text == out.getvalue()

    # A store's own figures: every call above was made at store 1001; 1002 did nothing.
    at_1001 = browser.get(f"{CONSOLE}/reports/liability", params={"store": "1001"})
    assert total_of(at_1001.text, f"{name}: outstanding at the end") == api
    at_1002 = browser.get(f"{CONSOLE}/reports/liability", params={"store": "1002"})
    assert total_of(at_1002.text, f"{name}: outstanding at the end") == Decimal("0.00")
    points_page = browser.get(f"{CONSOLE}/reports/points")
    assert points_page.status_code == 200 and "Points liability" in points_page.text


def test_a_changed_filter_is_kept_in_the_page_and_the_csv(
    browser: TestClient, database_url: str
) -> None:
    sell(browser, GIFT, "10.00")
    as_role(browser, database_url, "manager")
    today = local_date(datetime.now(UTC), ZONE)
    query = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}
    page = browser.get(f"{CONSOLE}/reports/activity", params={**query, "store": "1001"})
    assert page.status_code == 200
    assert f'value="{query["from"]}"' in page.text and '<option value="1001" selected>' in page.text
    download = browser.get(f"{CONSOLE}/reports/activity.csv", params={**query, "store": "1001"})
    rows = csv_rows(download)
    assert rows == [
        ["day", "store", "wallet", "accrued", "redeemed", "expired", "net"],
        [today.isoformat(), "1001", "1", "10.00", "0.00", "0.00", "10.00"],
    ]
    assert download.headers["content-disposition"].endswith(
        f'-{query["from"]}-{query["to"]}-store-1001.csv"'
    )
    enrolled = browser.get(f"{CONSOLE}/reports/enrollments", params=query)
    assert total_of(enrolled.text, "All channels") == 1


def test_breakage_is_the_expired_and_the_dormant_value(
    browser: TestClient, clock: ShiftedClock, database_url: str
) -> None:
    """A gift card sold 400 days ago and untouched since is dormant; a bonus that lapsed
    three days ago and was swept today is expired, as the expiry journal says."""
    today = local_date(datetime.now(UTC), ZONE)
    long_ago = end_of_day(today - timedelta(days=401), ZONE) + timedelta(hours=2)
    clock.offset = long_ago - datetime.now(UTC)
    sell(browser, GIFT2, "20.00")
    lately = end_of_day(today - timedelta(days=5), ZONE) + timedelta(hours=2)
    clock.offset = lately - datetime.now(UTC)
    sell(browser, GIFT, "30.00")
    lapsing = today - timedelta(days=3)
    bonus: dict[str, Any] = {"walletCode": 1, "quantity": "5.00"}
    bonus["expiration"] = {"date": lapsing.isoformat(), "type": "absolute"}
    add_redeem(browser, GIFT, [bonus], pos_id="bonus-1")
    clock.offset = ShiftedClock().offset
    sweep(browser, datetime.now(UTC))
    api = sum(Decimal(wallets(balance(browser, n)).get(1, "0")) for n in (GIFT, GIFT2))
    assert api == Decimal("50.00")

    as_role(browser, database_url, "owner")
    page = browser.get(f"{CONSOLE}/reports/liability")
    name = "Stored Value (wallet 1)"
    assert total_of(page.text, f"{name}: outstanding at the start") == Decimal("20.00")
    assert total_of(page.text, f"{name}: expired (breakage)") == expiry_journal(browser, 1)
    assert expiry_journal(browser, 1) == Decimal("5.00")
    assert total_of(page.text, f"{name}: dormant at the end (idle 365 days)") == Decimal("20.00")
    assert total_of(page.text, f"{name}: outstanding at the end") == api
    rows = csv_rows(browser.get(f"{CONSOLE}/reports/liability.csv"))
    # The sweep wrote the bonus off today: the day the expiry was recorded.
    assert rows[-1] == [today.isoformat(), "1", "50.00", "0.00", "0.00", "5.00", "20.00"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "2026-13-01"}, "from", "Not a day written YYYY-MM-DD"),
        ({"to": "yesterday"}, "to", "Not a day written YYYY-MM-DD"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to", "before it starts"),
        ({"from": "2024-01-01", "to": "2026-05-01"}, "to", "at most 400 days"),
        ({"store": "nowhere"}, "store", "is not a store of merchant 1000"),
        ({"store": '<script>"'}, "store", "is not a store of merchant 1000"),
    ],
)
def test_a_filter_that_is_not_one_is_shown_by_its_field(
    browser: TestClient, database_url: str, query: dict[str, str], field: str, message: str
) -> None:
    as_role(browser, database_url, "analyst")
    for slug in ("liability", "enrollments"):
        page = browser.get(f"{CONSOLE}/reports/{slug}", params=query)
        assert page.status_code == 400, page.text
        error = re.search(
            rf'<p id="{field}-error" class="error field-error">([^<]+)</p>', page.text
        )
        assert error and message.lower() in error.group(1).lower(), page.text
        assert f'aria-describedby="{field}-error"' in page.text
        assert "<svg" not in page.text and "<script>" not in page.text
        download = browser.get(f"{CONSOLE}/reports/{slug}.csv", params=query)
        assert download.status_code == 400
        assert "content-disposition" not in download.headers


def test_csv_fields_are_quoted_where_they_need_it(browser: TestClient, database_url: str) -> None:
    """A channel (an integration's name) with a comma and quotes stays one field."""
    named = 'Demo POS, "till 2"'

    async def rename(conn: Any, name: str) -> str:
        where = integrations.c.identifier == "demo-pos"
        before = (await conn.execute(select(integrations.c.name).where(where))).scalar_one()
        await conn.execute(update(integrations).where(where).values(name=name))
        return str(before)

    original = run_db(browser, rename, named)
    try:
        sell(browser, GIFT, "5.00")
        as_role(browser, database_url, "owner")
        download = browser.get(f"{CONSOLE}/reports/enrollments.csv")
        today = local_date(datetime.now(UTC), ZONE).isoformat()
        assert download.text.splitlines() == [
            "day,channel,enrollments",
            f'{today},"Demo POS, ""till 2""",1',
        ]
        assert csv_rows(download)[1] == [today, named, "1"]
        page = browser.get(f"{CONSOLE}/reports/enrollments")
        assert "Demo POS, &#34;till 2&#34;" in page.text
    finally:
        run_db(browser, rename, original)
