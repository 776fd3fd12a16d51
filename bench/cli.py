"""``python -m bench``: set up a database, serve it, load it, measure, report."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import database, pgbench, roundtrips
from bench import wrk as bench_wrk
from bench.load import (
    BASE_MIX,
    CHECK_OPERATION,
    SUCCESS,
    SUCCESSES,
    CardRange,
    LoadJob,
    LoadResult,
    ProbeJob,
    Record,
    activate_add_body,
    add_redeem_body,
    auth_header,
    balance_inquiry_body,
    check_body,
    header,
    path,
    run_in_process,
)
from bench.server import Server
from bench.stats import fmt, latency_summary, spread, table

RESULTS = Path(__file__).resolve().parent / "results"

# Card number ranges of merchant 1000, template 2 (the demo's own gift cards start at
# 6000000000000001 and stay below these).
OWN_START = 6000000100000001  # active, loaded: addRedeem and balanceInquiry
FRESH_START = 6000000200000001  # inactive: activateAdd during the load
BULK_ONE_START = 6000000300000001  # inactive: bulk activation in one call
BULK_FEW_START = 6000000400000001  # inactive: bulk activation in a few calls
SCALE_START = 6000001000000001  # the large population, activated with SQL
LOYALTY_START = 7000000100000001  # active loyalty cards (template 1): checks earn points
ROUND_TRIP_START = 6000000500000001  # inactive: activateAdd while round trips are counted
ROUND_TRIP_CALLS = 12
OPERATIONS = (*dict.fromkeys(BASE_MIX), CHECK_OPERATION)

TARGETS = {
    "add_redeem_vs_pgbench": ">= 0.25 (server addRedeem/s over pgbench TPS)",
    "p99_ms_at_32_terminals": "<= 30 ms",
    "balance_inquiry_1m_vs_10k": "<= 1.2 (p50 at the large scale over p50 at 10k)",
    "bulk_activation_100k_s": "< 60 s",
}


@dataclass
class Options:
    database: str | None = None
    keep: bool = False
    terminals: int = 32
    seconds: float = 20.0
    warmup: float = 3.0
    runs: int = 3
    cards: int = 10_000
    activation_batch: int = 1000
    scale: int = 1_000_000
    bulk: int = 100_000
    bulk_calls: int = 10
    probe_requests: int = 2000
    probe_concurrency: int = 16
    probe_runs: int = 3
    pgbench: bool = True
    workers: int | None = 2
    paced: tuple[float, ...] = (100.0, 200.0, 300.0)
    only: str | None = None
    loyalty_cards: int = 2000
    generator: str = "auto"
    output: Path | None = None
    quiet: bool = False


def parse(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--database", help="use this database (postgresql://... or sqlite:///...)")
    p.add_argument("--keep", action="store_true", help="keep the database it created")
    p.add_argument("--terminals", type=int, default=32, help="concurrent POS terminals (N)")
    p.add_argument("--seconds", type=float, default=20.0, help="measured seconds per run")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds excluded at each start")
    p.add_argument("--runs", type=int, default=3, help="load (and pgbench) runs")
    p.add_argument("--cards", type=int, default=10_000, help="loaded gift cards (M)")
    p.add_argument("--activation-batch", type=int, default=1000)
    p.add_argument("--scale", type=int, default=1_000_000, help="large population; 0 skips")
    p.add_argument("--bulk", type=int, default=100_000, help="cards bulk-activated; 0 skips")
    p.add_argument("--bulk-calls", type=int, default=10, help="calls for the split bulk sale")
    p.add_argument("--probe-requests", type=int, default=2000)
    p.add_argument("--probe-concurrency", type=int, default=16)
    p.add_argument("--probe-runs", type=int, default=3)
    p.add_argument("--no-pgbench", dest="pgbench", action="store_false")
    p.add_argument(
        "--workers", type=int, default=2, help="passed to `openpxs serve` when it has --workers"
    )
    p.add_argument(
        "--paced",
        type=_rates,
        default=(100.0, 200.0, 300.0),
        help="offered calls/s for the paced runs, comma-separated (empty: none)",
    )
    p.add_argument(
        "--only",
        choices=OPERATIONS,
        help="load with this one operation alone (no probes, paced runs, bulk or scale) "
        "and compare it with pgbench of its SQL",
    )
    p.add_argument(
        "--loyalty-cards", type=int, default=2000, help="loyalty cards the checks earn on"
    )
    p.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="the load of --only: wrk (C, costs the machine little; auto uses it when "
        "installed) or the asyncio terminals of the mix",
    )
    p.add_argument("--output", type=Path, help="JSON file (default bench/results/<time>.json)")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    return Options(**{k: v for k, v in vars(a).items()})


def _rates(text: str) -> tuple[float, ...]:
    rates = tuple(float(part) for part in text.split(",") if part.strip())
    if any(rate <= 0 for rate in rates):
        raise argparse.ArgumentTypeError("rates must be positive")
    return rates


class Bench:
    def __init__(self, options: Options):
        self.o = options
        self.report: dict[str, Any] = {}
        self.started = time.perf_counter()

    def say(self, message: str) -> None:
        if not self.o.quiet:
            elapsed = time.perf_counter() - self.started
            print(f"[{elapsed:7.1f}s] {message}", file=sys.stderr, flush=True)

    # -- the whole run ------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        o = self.o
        created: str | None = None
        url = o.database
        if url is None:
            created = f"openpxs_bench_{os.getpid()}"
            url = database.create_postgres(created)
        kind = database.kind(url)
        self.report["meta"] = {
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": kind,
            "database_name": database.database_name(url),
            "host": platform.node(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(o).items()},
        }
        tmp = Path(tempfile.mkdtemp(prefix="openpxs-bench-"))
        server: Server | None = None
        try:
            self.setup(url)
            server = Server(url, tmp / "server.log", workers=o.workers)
            self.report["meta"]["server_command"] = " ".join(server.command)
            self.report["meta"]["server_workers"] = server.workers_used
            self.report["meta"]["server_log"] = str(tmp / "server.log")
            server.start()
            self.say(f"server pid {server.pid} on {server.base_url}")
            with_check = any("postAndAccruePoints" in p for p in server.openapi_paths())
            self.report["meta"]["mix"] = ["balanceInquiry", "addRedeem", "activateAdd"] + (
                [CHECK_OPERATION] if with_check else []
            )
            if not with_check:
                self.report["meta"]["mix_note"] = (
                    "check/postAndAccruePoints.json is not in /openapi.json: left out of the mix"
                )
            if o.only == CHECK_OPERATION and not with_check:
                raise RuntimeError("the server does not serve postAndAccruePoints")
            if o.only is not None:
                self.report["meta"]["mix"] = [o.only]
            self.activate_own(server)
            if with_check:
                self.activate_loyalty(server)
            if o.only is None:
                self.report["balance_inquiry"] = {
                    "small": self.probe(server, url, CardRange(OWN_START, o.cards))
                }
            self.load_and_pgbench(server, url, kind, with_check)
            if o.only is None:
                self.paced_runs(server, with_check)
                if o.bulk > 0:
                    self.bulk(server)
                if o.scale > 0:
                    self.scale(server, url)
        finally:
            if server is not None:
                server.stop()
        self.count_round_trips(url, with_check)
        self.report["audit"] = database.audit(url)
        self.say(f"audit clean: {self.report['audit']['clean']}")
        if created is not None and not o.keep:
            database.drop_postgres(created)
        elif created is not None:
            self.report["meta"]["kept_database"] = url
        self.targets()
        self.report["meta"]["total_seconds"] = round(time.perf_counter() - self.started, 1)
        return self.report

    # -- setup ----------------------------------------------------------------------------

    def fresh_per_run(self) -> int:
        # Enough inactive cards for every terminal to sell one at 25 calls/s all run long
        # (100 calls/s when it sells nothing else).
        rate = 100 if self.o.only == "activateAdd" else 25
        return self.o.terminals * max(50, int((self.o.seconds + self.o.warmup) * rate))

    def setup(self, url: str) -> None:
        o = self.o
        setup: dict[str, Any] = {}
        began = time.perf_counter()
        database.install(url)
        setup["install_demo_s"] = round(time.perf_counter() - began, 3)
        loads = o.runs + len(o.paced)
        generated = [
            (OWN_START, o.cards, database.TEMPLATE),
            (FRESH_START, self.fresh_per_run() * loads, database.TEMPLATE),
            (ROUND_TRIP_START, ROUND_TRIP_CALLS, database.TEMPLATE),
            (LOYALTY_START, o.loyalty_cards, database.LOYALTY_TEMPLATE),
        ]
        if o.bulk > 0 and o.only is None:
            generated += [
                (BULK_ONE_START, o.bulk, database.TEMPLATE),
                (BULK_FEW_START, o.bulk, database.TEMPLATE),
            ]
        for start, count, template in generated:
            self.say(f"openpxs cards generate {count} from {start}")
            seconds = database.generate_cards(url, start, count, template)
            setup.setdefault("cards_generate", []).append(
                {"start": f"{start:016d}", "count": count, "seconds": round(seconds, 3)}
            )
        self.report["setup"] = setup

    def bulk_activate(
        self, client: httpx.Client, start: int, count: int, tag: str, quantity: str
    ) -> dict[str, Any]:
        cards = CardRange(start, count)
        body = {
            "authentication": "b2b",
            "headerInfo": header("BULK", tag),
            "cardInfos": [
                {"printedCardNumber": cards.number(i), "cardRegCode": database.REGISTRATION_CODE}
                for i in range(count)
            ],
            "addWalletContents": [{"walletCode": 1, "quantity": quantity}],
        }
        began = time.perf_counter()
        reply = client.post(path("bulkActivateAdd"), content=json.dumps(body))
        seconds = time.perf_counter() - began
        data = reply.json()
        if reply.status_code != 200 or data.get("result") != SUCCESS:
            raise RuntimeError(
                f"bulkActivateAdd of {count} cards failed: {reply.status_code} "
                f"{data.get('result')} {data.get('errorCode')} {data.get('errorMessage')}"
            )
        return {"cards": count, "seconds": seconds}

    def _http(self, server: Server) -> httpx.Client:
        return httpx.Client(
            base_url=server.base_url,
            headers={"Authorization": auth_header(), "Content-Type": "application/json"},
            timeout=httpx.Timeout(900.0),
        )

    def activate_own(self, server: Server) -> None:
        o = self.o
        self.say(f"bulkActivateAdd {o.cards} loaded cards in batches of {o.activation_batch}")
        calls = []
        with self._http(server) as client:
            for n, first in enumerate(range(0, o.cards, o.activation_batch)):
                size = min(o.activation_batch, o.cards - first)
                calls.append(
                    self.bulk_activate(client, OWN_START + first, size, f"own-{n}", "100.00")
                )
        self.report["setup"]["activate_own"] = {
            "cards": o.cards,
            "calls": len(calls),
            "seconds": round(sum(c["seconds"] for c in calls), 3),
        }

    def activate_loyalty(self, server: Server) -> None:
        """Loyalty cards on accounts of their own: a posted check earns points on them."""
        o = self.o
        with self._http(server) as client:
            for n, first in enumerate(range(0, o.loyalty_cards, o.activation_batch)):
                size = min(o.activation_batch, o.loyalty_cards - first)
                self.bulk_activate(client, LOYALTY_START + first, size, f"loyal-{n}", "1.00")

    def count_round_trips(self, url: str, with_check: bool) -> None:
        """Database round trips per call of each operation (PostgreSQL: what a call
        waits for; SQLite runs in-process, so there it only counts statements)."""
        own, fresh = (
            CardRange(OWN_START, self.o.cards),
            CardRange(ROUND_TRIP_START, ROUND_TRIP_CALLS),
        )
        loyal = CardRange(LOYALTY_START, self.o.loyalty_cards)
        n = range(ROUND_TRIP_CALLS)
        calls: dict[str, list[roundtrips.Call]] = {
            "balanceInquiry": [
                (path("balanceInquiry"), balance_inquiry_body("RT", own.number(i % own.count)))
                for i in n
            ],
            "addRedeem": [
                (
                    path("addRedeem"),
                    add_redeem_body("RT", f"rt-{i}", own.number(i % own.count), "1.00"),
                )
                for i in n
            ],
            "activateAdd": [
                (path("activateAdd"), activate_add_body("RT", f"rt-{i}", fresh.number(i), "5.00"))
                for i in n
            ],
        }
        if with_check:
            calls[CHECK_OPERATION] = [
                (
                    path(CHECK_OPERATION, "check"),
                    check_body("RT", f"rt-{i}", loyal.number(i % loyal.count)),
                )
                for i in n
            ]
        if self.o.only is not None:
            calls = {self.o.only: calls[self.o.only]}
        self.say("counting round trips per call")
        self.report["round_trips"] = roundtrips.per_call(url, auth_header(), calls)

    # -- measurements ----------------------------------------------------------------------

    def probe(self, server: Server, url: str, cards: CardRange) -> dict[str, Any]:
        o = self.o
        accounts = int(database.scalar(url, "SELECT count(*) FROM accounts") or 0)
        self.say(f"balanceInquiry probe over {cards.count} cards, {accounts} accounts")
        figures: dict[str, dict[str, list[float]]] = {}
        errors = 0
        for run in range(o.probe_runs):
            for name, concurrency in (("sequential", 1), ("concurrent", o.probe_concurrency)):
                job = ProbeJob(server.base_url, cards, o.probe_requests, concurrency, seed=run)
                result = run_in_process(job)
                errors += sum(1 for r in result.records if not _ok(r))
                summary = latency_summary(r[2] for r in result.records)
                bucket = figures.setdefault(name, {})
                for key in ("p50_ms", "p99_ms"):
                    bucket.setdefault(key, []).append(summary[key])
                bucket.setdefault("rps", []).append(len(result.records) / result.elapsed)
        return {
            "accounts": accounts,
            "cards_sampled": cards.count,
            "requests_per_run": o.probe_requests,
            "concurrency": o.probe_concurrency,
            "errors": errors,
            **{
                name: {key: spread(values) for key, values in bucket.items()}
                for name, bucket in figures.items()
            },
        }

    def load_and_pgbench(self, server: Server, url: str, kind: str, with_check: bool) -> None:
        o = self.o
        runs: list[dict[str, Any]] = []
        pg_runs: list[dict[str, Any]] = []
        lo, hi, count = (0, 0, 0)
        use_pgbench = o.pgbench and kind == "postgresql" and pgbench.available()
        # The operation set against pgbench: the one run alone, or addRedeem in the mix.
        compared = o.only or "addRedeem"
        script = pgbench.script_for(o.only)
        if use_pgbench:
            lo, hi, count = database.account_ids_of(url, OWN_START, o.cards)
            if hi - lo + 1 != count:
                raise RuntimeError(f"the loaded cards' accounts are not consecutive ids {lo}-{hi}")
        for run in range(o.runs):
            database.maintain(url)
            self.say(f"load run {run + 1}/{o.runs}: {o.terminals} terminals, {o.seconds} s")
            runs.append(self.one_run(server, url, run, with_check))
            self.say(
                f"  {runs[-1]['rps']:.1f} req/s, p99 {runs[-1]['latency']['p99_ms']} ms, "
                f"{compared} {runs[-1]['operations'].get(compared, {}).get('rps', 0):.1f}/s, "
                f"errors {runs[-1]['http_errors']} http / {runs[-1]['failures']} results"
            )
            if use_pgbench:
                pgbench.snapshot(url, lo, hi)
                try:
                    pg_runs.append(pgbench.run(url, o.terminals, int(o.seconds), lo, hi, script))
                finally:
                    pgbench.restore(url)
                self.say(f"  pgbench {pg_runs[-1]['tps']:.1f} TPS")
        self.report["load"] = {"runs": runs, "summary": summarize_runs(runs)}
        if use_pgbench:
            ratios = [
                r["operations"].get(compared, {}).get("rps", 0.0) / p["tps"]
                for r, p in zip(runs, pg_runs, strict=True)
            ]
            self.report["pgbench"] = {
                "version": pgbench.version(),
                "script": script,
                "accounts": [lo, hi],
                "runs": pg_runs,
                "tps": spread([p["tps"] for p in pg_runs]),
                "latency_avg_ms": spread([p["latency_avg_ms"] or 0.0 for p in pg_runs]),
                "compared": compared,
                f"ratio_{_snake(compared)}": spread(ratios),
            }
        else:
            reason = "SQLite database" if kind == "sqlite" else "disabled or pgbench not found"
            self.report["pgbench"] = {"skipped": reason}

    def uses_wrk(self) -> bool:
        o = self.o
        if o.only is None or o.generator == "python":
            return False
        if o.generator == "wrk" and not bench_wrk.available():
            raise SystemExit("--generator wrk: wrk is not installed (apt-get install wrk)")
        return bench_wrk.available()

    def one_run(self, server: Server, url: str, run: int, with_check: bool) -> dict[str, Any]:
        """One measured load run of the mix, or of the one operation (by wrk when it can)."""
        o = self.o
        if not self.uses_wrk():
            job = self.load_job(server, run, f"r{run}", with_check)
            return summarize_load(run_in_process(job), o.warmup, o.seconds)
        assert o.only is not None
        job = self.load_job(server, run, f"w{run}-{time.time_ns()}", with_check)
        cards = job.own_cards
        if o.only == CHECK_OPERATION and job.loyalty_cards is not None:
            cards = job.loyalty_cards
        # The warm-up sells the first cards of the run's slice, the measured run the rest.
        fresh = job.fresh_cards
        warm_share = int(fresh.count * o.warmup / (o.warmup + o.seconds))
        warm = CardRange(fresh.start, warm_share)
        rest = CardRange(fresh.start + warm_share, fresh.count - warm_share)
        tag = job.run_tag
        summary = bench_wrk.run(
            server.base_url,
            bench_wrk.script(o.only, cards, rest, tag, job.add_quantity),
            warm_lua=bench_wrk.script(o.only, cards, warm, f"{tag}-warm", job.add_quantity),
            connections=o.terminals,
            seconds=o.seconds,
            warmup=o.warmup,
            server_pid=server.pid,
            # The warm-up's rows in the statistics too (the retry keys start from none).
            settle=lambda: database.maintain(url),
            local_postgres=database.kind(url) == "postgresql",
        )
        return bench_wrk.with_operation(summary, o.only)

    def load_job(
        self, server: Server, slot: int, tag: str, with_check: bool, rate: float | None = None
    ) -> LoadJob:
        """A load run; ``slot`` picks its own slice of inactive cards to sell."""
        o = self.o
        per_run = self.fresh_per_run()
        return LoadJob(
            base_url=server.base_url,
            terminals=o.terminals,
            seconds=o.seconds,
            warmup=o.warmup,
            own_cards=CardRange(OWN_START, o.cards),
            fresh_cards=CardRange(FRESH_START + slot * per_run, per_run),
            run_tag=tag,
            with_check=with_check,
            rate=rate,
            only=o.only,
            loyalty_cards=CardRange(LOYALTY_START, o.loyalty_cards) if with_check else None,
        )

    def paced_runs(self, server: Server, with_check: bool) -> None:
        """The same mix offered at fixed rates: the latency a POS sees below saturation."""
        o = self.o
        paced = []
        for n, rate in enumerate(o.paced):
            self.say(f"paced run: {rate:g} calls/s offered by {o.terminals} terminals")
            job = self.load_job(server, o.runs + n, f"p{n}", with_check, rate)
            summary = summarize_load(run_in_process(job), o.warmup, o.seconds)
            paced.append({"offered_rps": rate, **summary})
            self.say(
                f"  {summary['rps']:.1f} req/s served, p50 {summary['latency']['p50_ms']} ms, "
                f"p99 {summary['latency']['p99_ms']} ms"
            )
        if paced:
            self.report["paced"] = paced

    def bulk(self, server: Server) -> None:
        o = self.o
        self.say(f"bulkActivateAdd {o.bulk} cards in one call")
        with self._http(server) as client:
            one = self.bulk_activate(client, BULK_ONE_START, o.bulk, "bulk-one", "25.00")
            self.say(f"  {one['seconds']:.1f} s; now in {o.bulk_calls} calls")
            size = -(-o.bulk // o.bulk_calls)
            calls = []
            for n, first in enumerate(range(0, o.bulk, size)):
                count = min(size, o.bulk - first)
                calls.append(
                    self.bulk_activate(
                        client, BULK_FEW_START + first, count, f"bulk-few-{n}", "25.00"
                    )
                )
        total = sum(c["seconds"] for c in calls)
        self.say(f"  {total:.1f} s")
        self.report["bulk_activation"] = {
            "cards": o.bulk,
            "one_call_s": round(one["seconds"], 3),
            "split": {
                "calls": len(calls),
                "total_s": round(total, 3),
                "per_call_s": spread([c["seconds"] for c in calls]),
            },
        }

    def scale(self, server: Server, url: str) -> None:
        o = self.o
        self.say(f"openpxs cards generate {o.scale} for the large population")
        generate_s = database.generate_cards(url, SCALE_START, o.scale)
        self.say(f"  {generate_s:.1f} s; activating them with set-based SQL")
        made = database.activate_by_sql(url, SCALE_START, o.scale)
        self.say(f"  {made.accounts} accounts in {made.seconds:.1f} s")
        probe = self.probe(server, url, CardRange(SCALE_START, o.scale))
        probe["setup"] = {
            "cards_generate_s": round(generate_s, 3),
            "sql_activation_s": round(made.seconds, 3),
            "accounts_made": made.accounts,
        }
        self.report["balance_inquiry"]["large"] = probe

    # -- targets ---------------------------------------------------------------------------

    def targets(self) -> None:
        r = self.report
        t: dict[str, Any] = {}
        ratio = r.get("pgbench", {}).get("ratio_add_redeem")
        t["add_redeem_vs_pgbench"] = _target(TARGETS["add_redeem_vs_pgbench"], ratio, 0.25, ">=")
        p99 = r.get("load", {}).get("summary", {}).get("latency", {}).get("p99_ms")
        t["p99_ms_at_32_terminals"] = _target(TARGETS["p99_ms_at_32_terminals"], p99, 30, "<=")
        t["p99_ms_at_32_terminals"]["terminals"] = self.o.terminals
        bi = r.get("balance_inquiry", {})
        if "large" in bi:
            ratios = {}
            for mode in ("sequential", "concurrent"):
                for key in ("p50_ms", "p99_ms"):
                    small = bi["small"][mode][key]["median"]
                    large = bi["large"][mode][key]["median"]
                    ratios[f"{mode}_{key}"] = round(large / small, 3) if small else None
            primary = ratios["sequential_p50_ms"]
            t["balance_inquiry_1m_vs_10k"] = {
                "target": TARGETS["balance_inquiry_1m_vs_10k"],
                "measured": primary,
                "met": primary is not None and primary <= 1.2,
                "ratios": ratios,
                "accounts": [bi["small"]["accounts"], bi["large"]["accounts"]],
            }
        else:
            t["balance_inquiry_1m_vs_10k"] = {"target": TARGETS["balance_inquiry_1m_vs_10k"]}
        bulk = r.get("bulk_activation", {}).get("one_call_s")
        t["bulk_activation_100k_s"] = {
            "target": TARGETS["bulk_activation_100k_s"],
            "measured": bulk,
            "met": None if bulk is None else bulk < 60,
            "cards": r.get("bulk_activation", {}).get("cards"),
        }
        r["targets"] = t


def _target(text: str, figure: dict[str, Any] | None, limit: float, op: str) -> dict[str, Any]:
    if not figure or figure.get("median") is None:
        return {"target": text, "measured": None, "met": None}
    median = figure["median"]
    met = median >= limit if op == ">=" else median <= limit
    return {"target": text, "measured": figure, "met": met}


def _snake(operation: str) -> str:
    """addRedeem -> add_redeem, the report's key style."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation)


def _ok(record: Record) -> bool:
    return record[3] == 200 and record[4] in SUCCESSES


def summarize_load(result: LoadResult, warmup: float, seconds: float) -> dict[str, Any]:
    """One run: the records that started after the warm-up, over the measured window."""
    kept = [r for r in result.records if r[1] >= warmup]
    by_op: dict[str, list[Record]] = {}
    for record in kept:
        by_op.setdefault(record[0], []).append(record)
    http_errors = Counter(str(r[3]) if r[3] else f"0:{r[5]}" for r in kept if r[3] != 200)
    failures = Counter(f"{r[4]}:{r[5]}" for r in kept if r[3] == 200 and r[4] not in SUCCESSES)
    operations = {}
    for op, records in sorted(by_op.items()):
        operations[op] = {
            "requests": len(records),
            "rps": round(len(records) / seconds, 2),
            "latency": latency_summary(r[2] for r in records),
            "http_errors": sum(1 for r in records if r[3] != 200),
            "failures": sum(1 for r in records if r[3] == 200 and r[4] not in SUCCESSES),
        }
    return {
        "seconds": seconds,
        "requests": len(kept),
        "warmup_requests_excluded": len(result.records) - len(kept),
        "rps": round(len(kept) / seconds, 2),
        "latency": latency_summary(r[2] for r in kept),
        "operations": operations,
        "http_errors": sum(http_errors.values()),
        "http_errors_by_status": dict(http_errors),
        "failures": sum(failures.values()),
        "failures_by_code": dict(failures),
        "insufficient_balance": sum(1 for r in kept if r[5] == "insufficient_balance"),
        "fresh_cards_exhausted": result.fresh_exhausted,
    }


def summarize_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("p50_ms", "p95_ms", "p99_ms", "max_ms")
    ops = sorted({op for run in runs for op in run["operations"]})
    return {
        "runs": len(runs),
        "rps": spread([r["rps"] for r in runs]),
        "latency": {k: spread([r["latency"][k] for r in runs]) for k in keys},
        "operations": {
            op: {
                "rps": spread([r["operations"].get(op, {}).get("rps", 0.0) for r in runs]),
                **{
                    k: spread(
                        [r["operations"][op]["latency"][k] for r in runs if op in r["operations"]]
                    )
                    for k in keys
                },
            }
            for op in ops
        },
        "http_errors": sum(r["http_errors"] for r in runs),
        "failures": sum(r["failures"] for r in runs),
        "insufficient_balance": sum(r["insufficient_balance"] for r in runs),
    }


def text_report(report: dict[str, Any]) -> str:
    """The short table: median (min-max) over the runs."""
    rows: list[tuple[str, str]] = []
    meta = report["meta"]
    rows.append(("database", f"{meta['database']} {meta.get('database_name', '')}"))
    rows.append(("server", f"workers {meta.get('server_workers') or 'n/a (no --workers)'}"))
    load = report.get("load", {}).get("summary")
    if load:
        rows.append(("terminals / runs", f"{meta['options']['terminals']} / {load['runs']}"))
        rows.append(("throughput req/s", fmt(load["rps"])))
        for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms"):
            rows.append((f"latency {k}", fmt(load["latency"][k])))
        for op, figures in load["operations"].items():
            rows.append((f"  {op} req/s", fmt(figures["rps"])))
            rows.append(
                (f"  {op} p50/p99 ms", f"{fmt(figures['p50_ms'])} / {fmt(figures['p99_ms'])}")
            )
        rows.append(
            (
                "errors",
                f"http {load['http_errors']}, results {load['failures']}, "
                f"insufficient_balance {load['insufficient_balance']}",
            )
        )
    for run in report.get("paced", []):
        latency = run["latency"]
        rows.append(
            (
                f"paced {run['offered_rps']:g}/s p50/p99 ms",
                f"{latency['p50_ms']:g} / {latency['p99_ms']:g} "
                f"({run['rps']:g} req/s served, errors {run['http_errors'] + run['failures']})",
            )
        )
    pg = report.get("pgbench", {})
    if "skipped" in pg:
        rows.append(("pgbench", f"skipped: {pg['skipped']}"))
    elif pg:
        compared = pg.get("compared", "addRedeem")
        rows.append(("pgbench TPS", fmt(pg["tps"])))
        rows.append((f"{compared} / pgbench", fmt(pg[f"ratio_{_snake(compared)}"])))
    for op, counted in report.get("round_trips", {}).items():
        rows.append(
            (
                f"{op} round trips/call",
                f"{counted['round_trips']} ({counted['min']}-{counted.get('max', counted['min'])})",
            )
        )
    for name, label in (("small", "balanceInquiry small"), ("large", "balanceInquiry large")):
        probe = report.get("balance_inquiry", {}).get(name)
        if probe:
            rows.append((f"{label} accounts", str(probe["accounts"])))
            for mode in ("sequential", "concurrent"):
                rows.append(
                    (
                        f"  {mode} p50/p99 ms",
                        f"{fmt(probe[mode]['p50_ms'])} / {fmt(probe[mode]['p99_ms'])}",
                    )
                )
    bulk = report.get("bulk_activation")
    if bulk:
        rows.append((f"bulk {bulk['cards']} one call s", f"{bulk['one_call_s']:g}"))
        rows.append(
            (
                f"bulk {bulk['cards']} in {bulk['split']['calls']} calls s",
                f"{bulk['split']['total_s']:g}",
            )
        )
    audit = report.get("audit")
    if audit:
        rows.append(("audit", "clean" if audit["clean"] else "DISCREPANCIES"))
    for name, target in report.get("targets", {}).items():
        measured = target.get("measured")
        shown = fmt(measured) if isinstance(measured, dict) else str(measured)
        met = {True: "met", False: "MISSED", None: "not measured"}[target.get("met")]
        rows.append((f"target {name}", f"{shown} [{target['target']}] {met}"))
    return table(rows)


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    report = Bench(options).run()
    out = options.output or RESULTS / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(text_report(report))
    print(f"results: {out}")
    return 0
