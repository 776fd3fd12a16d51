"""``openpxs reports ...``: the reports on the terminal, as CSV and as an SVG chart, on
the session database (SQLite, or PostgreSQL in the PostgreSQL pass)."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from openpxs.cli import app as cli
from openpxs.domain.clock import ShiftedClock
from tests.api.guests import enroll
from tests.api.pos import GIFT, GIFT2, add_redeem_body, call, ok, sell, sell_body, sv

# 11:00 in New York on 3 July 2026; the sales below are that day's.
SALE_DAY = "2026-07-03"
NEXT_DAY = "2026-07-04"


def reports(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["reports", *args, "--database", database_url])


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def sales(client: TestClient, clock: ShiftedClock) -> None:
    """$25.00 sold at store 1001 and $3.00 at 1002, $5.00 of the first spent at 1002."""
    clock.offset = datetime(2026, 7, 3, 15, tzinfo=UTC) - datetime.now(UTC)
    ok(sell(client, GIFT, "25.00"))
    ok(call(client, "activateAdd", sell_body(GIFT2, "3.00", storeCode="1002")))
    ok(call(client, "addRedeem", add_redeem_body(GIFT, redeem=sv("5.00"), storeCode="1002")))


def test_the_liability_is_a_table_on_the_terminal(sales: None, database_url: str) -> None:
    result = reports(
        database_url, "liability", "--merchant", "1000", "--from", SALE_DAY, "--to", NEXT_DAY
    )
    assert result.exit_code == 0, result.output
    shown = flat(result.stdout)
    assert "Stored-value liability: OpenPXS Demo Grill (1000), 2026-07-03 to 2026-07-04" in shown
    assert "│ 2026-07-03 │ 1 │ 23.00 │ 28.00 │ 5.00 │ 0.00 │ │" in shown
    assert "│ 2026-07-04 │ 1 │ 23.00 │ 0.00 │ 0.00 │ 0.00 │ 0.00 │" in shown
    assert "Stored Value (wallet 1): 23.00 outstanding at the end, 0.00 expired" in shown


def test_the_liability_as_csv_holds_exact_decimals(
    sales: None, database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "liability.csv"
    result = reports(
        database_url,
        "liability",
        "--merchant",
        "1000",
        "--from",
        SALE_DAY,
        "--to",
        NEXT_DAY,
        "--csv",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "wrote 2 rows" in result.stderr
    assert result.stdout == ""
    assert rows(out.read_text(encoding="utf-8")) == [
        ["day", "wallet", "outstanding", "added", "spent", "expired", "dormant"],
        ["2026-07-03", "1", "23.00", "28.00", "5.00", "0.00", ""],
        ["2026-07-04", "1", "23.00", "0.00", "0.00", "0.00", "0.00"],
    ]


def test_a_store_sees_what_its_own_transactions_did(sales: None, database_url: str) -> None:
    result = reports(
        database_url,
        "activity",
        "--merchant",
        "1000",
        "--from",
        SALE_DAY,
        "--to",
        SALE_DAY,
        "--store",
        "1002",
        "--csv",
        "-",
    )
    assert result.exit_code == 0, result.output
    assert rows(result.stdout) == [
        ["day", "store", "wallet", "accrued", "redeemed", "expired", "net"],
        ["2026-07-03", "1002", "1", "3.00", "5.00", "0.00", "-2.00"],
    ]
    everywhere = reports(
        database_url, "activity", "--merchant", "1000", "--from", SALE_DAY, "--to", SALE_DAY
    )
    assert "│ 2026-07-03 │ 1001 │ 1 │ 25.00 │ 0.00 │ 0.00 │ 25.00 │" in flat(everywhere.stdout)


def test_the_chart_is_written_as_svg(sales: None, database_url: str, tmp_path: Path) -> None:
    chart = tmp_path / "liability.svg"
    result = reports(
        database_url,
        "liability",
        "--merchant",
        "1000",
        "--from",
        SALE_DAY,
        "--to",
        NEXT_DAY,
        "--svg",
        str(chart),
    )
    assert result.exit_code == 0, result.output
    assert "wrote the chart" in result.stderr
    root = ET.fromstring(chart.read_text(encoding="utf-8"))
    assert root.get("role") == "img"
    desc = root.find("{http://www.w3.org/2000/svg}desc")
    assert desc is not None and "Stored Value 23.00 outstanding" in (desc.text or "")


def test_enrollments_are_counted_by_channel(
    client: TestClient, clock: ShiftedClock, database_url: str
) -> None:
    clock.offset = datetime(2026, 7, 3, 15, tzinfo=UTC) - datetime.now(UTC)
    enroll(client, "ada")
    ok(sell(client, GIFT, "25.00"))
    result = reports(
        database_url,
        "enrollments",
        "--merchant",
        "1000",
        "--from",
        SALE_DAY,
        "--to",
        NEXT_DAY,
        "--csv",
        "-",
    )
    assert result.exit_code == 0, result.output
    assert rows(result.stdout) == [
        ["day", "channel", "enrollments"],
        ["2026-07-03", "Demo App", "1"],
        ["2026-07-03", "Demo POS", "1"],
    ]


def test_no_completions_is_just_the_header(database_url: str, client: TestClient) -> None:
    result = reports(
        database_url,
        "challenges",
        "--merchant",
        "1000",
        "--from",
        SALE_DAY,
        "--to",
        NEXT_DAY,
        "--csv",
        "-",
    )
    assert result.exit_code == 0, result.output
    assert rows(result.stdout) == [["day", "challenge", "accounts", "groups"]]


def test_points_cover_the_points_and_reward_wallets(database_url: str, client: TestClient) -> None:
    result = reports(
        database_url, "points", "--merchant", "1000", "--from", SALE_DAY, "--to", SALE_DAY
    )
    assert result.exit_code == 0, result.output
    shown = flat(result.stdout)
    assert "Points (wallet 2): 0 outstanding" in shown
    assert "$5 Reward (wallet 3): 0 outstanding" in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-7-3", "--to", NEXT_DAY], "'2026-7-3' is not a day written YYYY-MM-DD"),
        (["--from", NEXT_DAY, "--to", SALE_DAY], "ends (2026-07-03) before it starts"),
        (["--from", "2025-01-01", "--to", SALE_DAY], "at most 400 days"),
        (["--from", SALE_DAY, "--to", SALE_DAY, "--store", "9999"], "9999"),
        (["--from", SALE_DAY, "--to", SALE_DAY, "--dormant-days", "0"], "at least one day"),
    ],
)
def test_a_report_that_cannot_be_made_exits_2_saying_why(
    database_url: str, client: TestClient, args: list[str], message: str
) -> None:
    result = reports(database_url, "liability", "--merchant", "1000", *args)
    assert result.exit_code == 2, result.output
    assert message in flat(result.stderr)


def test_an_unknown_merchant_exits_2(database_url: str, client: TestClient) -> None:
    result = reports(
        database_url, "activity", "--merchant", "4242", "--from", SALE_DAY, "--to", SALE_DAY
    )
    assert result.exit_code == 2, result.output
    assert "merchant 4242 is not configured" in result.stderr


def test_a_file_that_cannot_be_written_exits_2(
    database_url: str, client: TestClient, tmp_path: Path
) -> None:
    result = reports(
        database_url,
        "challenges",
        "--merchant",
        "1000",
        "--from",
        SALE_DAY,
        "--to",
        SALE_DAY,
        "--csv",
        str(tmp_path / "missing" / "out.csv"),
    )
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.stderr


def test_the_activity_chart_draws_redemption_below_zero(
    sales: None, database_url: str, tmp_path: Path
) -> None:
    chart = tmp_path / "activity.svg"
    result = reports(
        database_url,
        "activity",
        "--merchant",
        "1000",
        "--from",
        SALE_DAY,
        "--to",
        NEXT_DAY,
        "--wallet",
        "1",
        "--svg",
        str(chart),
    )
    assert result.exit_code == 0, result.output
    root = ET.fromstring(chart.read_text(encoding="utf-8"))
    svg = "{http://www.w3.org/2000/svg}"
    bars = {
        (bar.findtext(f"{svg}title") or ""): bar
        for bar in root.iter(f"{svg}rect")
        if bar.find(f"{svg}title") is not None
    }
    accrued = bars["accrued, 2026-07-03: 28.00"]
    redeemed = bars["redeemed, 2026-07-03: -5.00"]
    zero = float(accrued.get("y") or 0) + float(accrued.get("height") or 0)
    assert float(redeemed.get("y") or 0) == pytest.approx(zero)  # hangs below the zero line
    desc = root.findtext(f"{svg}desc") or ""
    assert "accrued 28.00, redeemed 5.00, expired 0.00" in desc
