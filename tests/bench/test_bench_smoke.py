"""The benchmark harness runs end to end in a tiny SQLite configuration.

No timing is asserted: only that every piece runs, the report has its keys, nothing
failed and the ledger audits clean.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.cli import main, parse
from bench.load import CardRange
from bench.stats import latency_summary, percentile, spread

from bench import wrk as bench_wrk


def test_percentiles_and_spreads() -> None:
    values = [i / 1000 for i in range(1, 101)]
    assert percentile(values, 0.5) == 0.05
    assert percentile(values, 0.99) == 0.099
    assert latency_summary(values)["max_ms"] == 100.0
    assert spread([3.0, 1.0, 2.0])["median"] == 2.0


def test_bench_runs_on_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    argv = [
        "--database",
        f"sqlite:///{tmp_path / 'bench.db'}",
        "--terminals",
        "2",
        "--seconds",
        "2",
        "--warmup",
        "0.3",
        "--runs",
        "1",
        "--cards",
        "20",
        "--activation-batch",
        "8",
        "--scale",
        "60",
        "--bulk",
        "30",
        "--bulk-calls",
        "3",
        "--probe-requests",
        "20",
        "--probe-concurrency",
        "4",
        "--probe-runs",
        "1",
        "--workers",
        "1",
        "--no-pgbench",
        "--paced",
        "20",
        "--quiet",
        "--output",
        str(out),
    ]
    assert parse(argv).terminals == 2
    assert main(argv) == 0
    report = json.loads(out.read_text())

    assert set(report) >= {
        "meta",
        "setup",
        "load",
        "pgbench",
        "balance_inquiry",
        "bulk_activation",
        "audit",
        "targets",
    }
    load = report["load"]
    summary = load["summary"]
    assert summary["http_errors"] == 0
    assert summary["failures"] == 0
    assert summary["insufficient_balance"] == 0
    assert set(summary["operations"]) >= {"balanceInquiry", "addRedeem", "activateAdd"}
    for figure in ("p50_ms", "p95_ms", "p99_ms", "max_ms"):
        assert set(summary["latency"][figure]) >= {"min", "median", "max"}
    run = load["runs"][0]
    assert run["requests"] > 0
    assert run["operations"]["addRedeem"]["requests"] > 0
    assert report["pgbench"] == {"skipped": "SQLite database"}
    # Paced: 2 terminals offering 20 calls/s between them for 2 s serve about 40 calls,
    # never more than were scheduled (a closed loop on SQLite would serve far more).
    [paced] = report["paced"]
    assert paced["offered_rps"] == 20
    assert 0 < paced["requests"] <= 2 * 21
    assert paced["http_errors"] == 0 and paced["failures"] == 0
    for scale in ("small", "large"):
        probe = report["balance_inquiry"][scale]
        assert probe["errors"] == 0
        assert set(probe["sequential"]) >= {"p50_ms", "p99_ms"}
        assert set(probe["concurrent"]) >= {"p50_ms", "p99_ms"}
    assert (
        report["balance_inquiry"]["large"]["accounts"]
        > report["balance_inquiry"]["small"]["accounts"]
    )
    assert report["bulk_activation"]["cards"] == 30
    assert report["bulk_activation"]["split"]["calls"] == 3
    assert report["audit"]["clean"], report["audit"]["output"]
    assert set(report["targets"]) == {
        "add_redeem_vs_pgbench",
        "p99_ms_at_32_terminals",
        "balance_inquiry_1m_vs_10k",
        "bulk_activation_100k_s",
    }
    # Round trips are counted per call of every operation of the mix.
    counted = report["round_trips"]
    assert set(counted) >= {"balanceInquiry", "addRedeem", "activateAdd"}
    assert all(c["round_trips"] >= c["min"] > 0 for c in counted.values())
    printed = capsys.readouterr().out
    assert "throughput req/s" in printed
    assert "paced 20/s p50/p99 ms" in printed
    assert "addRedeem round trips/call" in printed


@pytest.mark.parametrize("operation", ["postAndAccruePoints", "activateAdd"])
def test_bench_runs_one_operation_alone_under_wrk(tmp_path: Path, operation: str) -> None:
    """``--only`` loads with wrk: every generated call succeeds and the server's CPU per
    call is measured. postAndAccruePoints earns on real loyalty cards; activateAdd
    sells a card of its own on each call, the warm-up's and each wrk thread's from
    their own share."""
    if not bench_wrk.available():
        pytest.fail("wrk is not installed (apt-get install wrk): make install installs it")
    out = tmp_path / "report.json"
    argv = [
        "--database",
        f"sqlite:///{tmp_path / 'bench.db'}",
        "--only",
        operation,
        "--generator",
        "wrk",
        "--terminals",
        "4",
        "--seconds",
        "1",
        "--warmup",
        "1",
        "--runs",
        "1",
        "--cards",
        "10",
        "--loyalty-cards",
        "6",
        "--workers",
        "1",
        "--quiet",
        "--output",
        str(out),
    ]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert report["meta"]["mix"] == [operation]
    [run] = report["load"]["runs"]
    assert run["generator"] == "wrk"
    assert run["requests"] > 0
    assert run["http_errors"] == 0 and run["failures"] == 0, run
    assert run["fresh_cards_exhausted"] == 0
    assert run["server_cpu_ms_per_call"] > 0
    assert set(report["load"]["summary"]["operations"]) == {operation}
    # Only what was asked for: no probes, paced runs, bulk sales or scale-up.
    assert not {"balance_inquiry", "paced", "bulk_activation"} & set(report)
    assert set(report["round_trips"]) == {operation}
    assert report["audit"]["clean"], report["audit"]["output"]


@pytest.mark.parametrize("operation", sorted(bench_wrk.SUPPORTED))
def test_the_wrk_script_sends_the_json_of_a_call(operation: str) -> None:
    """The Lua body is JSON once its variables are in: each literal between the
    variables is a JSON string, and the joined text parses to the call's body."""
    cards = CardRange(6000000100000001, 5)
    lua = bench_wrk.script(operation, cards, CardRange(6000000200000001, 5), "tag")
    [expression] = [
        line.strip()[len("return wrk.format(nil, nil, nil, ") : -1]
        for line in lua.splitlines()
        if line.strip().startswith("return wrk.format(")
    ]
    values = {"tid": "1", "pos": "tag-1-1", "card": "6000000100000003"}
    text = "".join(
        values[part] if part in values else json.loads(part) for part in expression.split(" .. ")
    )
    body = json.loads(text)
    assert body["cardInfo"]["printedCardNumber"] == "6000000100000003"
    if operation == "addRedeem":
        assert body["headerInfo"]["posTransactionId"] == "tag-1-1"
        assert body["redeemWalletContents"] == [{"walletCode": 1, "quantity": "1.00"}]
    if operation == "postAndAccruePoints":
        assert body["check"]["number"] == "tag-1-1"
        assert body["terminal"] == "W1"


def test_history_times_checks_on_a_loyalty_card_with_a_past(tmp_path: Path) -> None:
    from bench import history

    said: list[str] = []
    url = f"sqlite:///{tmp_path / 'history.db'}"
    figures = history.measure(url, credits=3, calls=2, say=said.append, checks=4)
    assert figures["checks"] == 4
    check = figures["postAndAccruePoints"]
    assert check["history_p50_ms"] > 0 and check["fresh_p50_ms"] > 0
    assert abs(check["ratio"] - check["history_p50_ms"] / check["fresh_p50_ms"]) < 0.01
    assert any(line.startswith("4 checks on") for line in said)
