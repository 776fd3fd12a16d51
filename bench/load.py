"""The load generator: asyncio POS terminals, each on its own keep-alive connection.

It runs in a process of its own (``run_in_process``), so that its event loop does not
share a core with the server's. Each request is timed with ``time.perf_counter`` and
recorded as (operation, start offset s, latency s, HTTP status, result, errorCode).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import multiprocessing
import random
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.wire import Connection, HttpError

AUTH = ("demo-pos", "demo-pos-secret")
MERCHANT = 1000
STORE = "1001"
RELEASE = "24.11"
SUCCESS = "authorizedSuccess"
# The Check Service answers "success" where the Transaction Service says authorizedSuccess.
SUCCESSES = frozenset({SUCCESS, "success"})

Record = tuple[str, float, float, int, str | None, str | None]

# The POS mix, one terminal's repeating cycle (each terminal starts at its own offset).
BASE_MIX = (
    "balanceInquiry",
    "addRedeem",
    "balanceInquiry",
    "addRedeem",
    "activateAdd",
)
CHECK_OPERATION = "postAndAccruePoints"


@dataclass(frozen=True)
class CardRange:
    """Consecutive 16-digit card numbers ``start`` .. ``start + count - 1``."""

    start: int
    count: int

    def number(self, index: int) -> str:
        if not 0 <= index < self.count:
            raise IndexError(index)
        return f"{self.start + index:016d}"


@dataclass(frozen=True)
class LoadJob:
    base_url: str
    terminals: int
    seconds: float
    warmup: float
    own_cards: CardRange  # active gift cards with balance; terminal t uses i % terminals == t
    fresh_cards: CardRange  # inactive gift cards; terminal t uses its own slice
    run_tag: str
    with_check: bool = False
    add_quantity: str = "1.00"
    load_quantity: str = "10.00"
    # Calls per second offered by all terminals together, each terminal on a fixed
    # schedule; None: each sends its next call as soon as a reply arrives (closed loop).
    rate: float | None = None
    # One operation alone instead of the mix (``python -m bench --only``).
    only: str | None = None
    # Active loyalty cards (they earn points): postAndAccruePoints posts checks on these
    # when given, on the gift cards otherwise.
    loyalty_cards: CardRange | None = None


@dataclass(frozen=True)
class ProbeJob:
    """balanceInquiry latency: ``count`` requests on random cards, ``concurrency`` at a time."""

    base_url: str
    cards: CardRange
    count: int
    concurrency: int
    seed: int = 1


@dataclass
class LoadResult:
    records: list[Record] = field(default_factory=list)
    started: float = 0.0
    elapsed: float = 0.0
    fresh_exhausted: int = 0


def auth_header() -> str:
    token = base64.b64encode(f"{AUTH[0]}:{AUTH[1]}".encode()).decode()
    return f"Basic {token}"


def _connections(base_url: str, count: int) -> list[Connection]:
    return [Connection(base_url, auth_header()) for _ in range(count)]


async def _open(connections: list[Connection]) -> None:
    """Connect and make one call on each, before any clock starts."""
    await asyncio.gather(*(c.request("GET", "/health") for c in connections))


async def _close(connections: list[Connection]) -> None:
    await asyncio.gather(*(c.close() for c in connections))


def header(terminal: str, pos_transaction_id: str | None, program: str = "SV") -> dict[str, Any]:
    h: dict[str, Any] = {
        "merchantId": MERCHANT,
        "storeCode": STORE,
        "operatorId": "0",
        "senderId": "POS",
        "programId": program,
        "terminalId": terminal,
    }
    if pos_transaction_id is not None:
        h["posTransactionId"] = pos_transaction_id
    return h


def path(operation: str, service: str = "transaction") -> str:
    return f"/rest/{RELEASE}/{service}/{operation}.json"


def balance_inquiry_body(terminal: str, number: str) -> dict[str, Any]:
    return {
        "authentication": "b2b",
        "headerInfo": header(terminal, None),
        "cardInfo": {"printedCardNumber": number},
    }


def add_redeem_body(terminal: str, pos_id: str, number: str, quantity: str) -> dict[str, Any]:
    # Adds and redeems the same amount: the balance never falls, so a redemption can
    # never be refused for lack of value.
    return {
        "authentication": "b2b",
        "headerInfo": header(terminal, pos_id),
        "cardInfo": {"printedCardNumber": number},
        "addWalletContents": [{"walletCode": 1, "quantity": quantity}],
        "redeemWalletContents": [{"walletCode": 1, "quantity": quantity}],
    }


def activate_add_body(terminal: str, pos_id: str, number: str, quantity: str) -> dict[str, Any]:
    return {
        "authentication": "b2b",
        "headerInfo": header(terminal, pos_id),
        "cardInfo": {"printedCardNumber": number, "cardRegCode": "1234"},
        "addWalletContents": [{"walletCode": 1, "quantity": quantity}],
    }


def check_body(terminal: str, pos_id: str, number: str) -> dict[str, Any]:
    """A two-line check (one line earns, one does not) posted for the card."""
    return {
        "authentication": "b2b",
        "merchantId": MERCHANT,
        "storeCode": STORE,
        "agentName": "bench",
        "terminal": terminal,
        "cardInfo": {"printedCardNumber": number},
        "check": {
            "number": pos_id,
            "items": [
                {"itemId": "BURGER", "price": "7.50", "categories": [{"categoryId": "FOOD"}]},
                {"itemId": "IPA", "price": "2.50", "categories": [{"categoryId": "ALCOHOL"}]},
            ],
            "subtotal": "10.00",
        },
    }


async def _send(
    connection: Connection, url: str, body: dict[str, Any]
) -> tuple[int, str | None, str | None]:
    try:
        status, data = await connection.post_json(url, body)
    except HttpError as exc:
        return 0, None, str(exc)
    if not isinstance(data, dict):
        return status, None, None
    result, code = data.get("result"), data.get("errorCode")
    return status, result, code


async def _terminal(
    client: Connection, job: LoadJob, index: int, t0: float, deadline: float
) -> tuple[list[Record], int]:
    terminal = f"B{index + 1}"
    own = [job.own_cards.number(i) for i in range(index, job.own_cards.count, job.terminals)] or [
        job.own_cards.number(index % job.own_cards.count)
    ]
    per_terminal = job.fresh_cards.count // job.terminals
    fresh: Iterator[str] = (
        job.fresh_cards.number(index * per_terminal + j) for j in range(per_terminal)
    )
    mix = (job.only,) if job.only else BASE_MIX + ((CHECK_OPERATION,) if job.with_check else ())
    loyal = job.loyalty_cards
    loyalty = (
        [loyal.number(i) for i in range(index, loyal.count, job.terminals)]
        or [loyal.number(index % loyal.count)]
        if loyal is not None
        else own
    )
    ops = itertools.islice(itertools.cycle(mix), index % len(mix), None)
    rng = random.Random(index)
    serial = itertools.count(1)
    records: list[Record] = []
    exhausted = 0
    # Paced: terminal `index` sends its k-th call at t0 + index/rate + k*terminals/rate.
    # Latency counts from that scheduled instant, so a call held up behind a slow one
    # is charged for its wait instead of vanishing from the figures.
    interval = job.terminals / job.rate if job.rate else 0.0
    scheduled = t0 + index / job.rate if job.rate else 0.0
    while (scheduled if job.rate else time.perf_counter()) < deadline:
        if job.rate:
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        operation = next(ops)
        number = rng.choice(own)
        pos_id = f"{job.run_tag}-{index}-{next(serial)}"
        if operation == "activateAdd":
            fresh_number = next(fresh, None)
            if fresh_number is None:
                exhausted += 1
                operation = "balanceInquiry"
            else:
                number = fresh_number
        url = path(operation, "check" if operation == CHECK_OPERATION else "transaction")
        body: dict[str, Any]
        if operation == "balanceInquiry":
            body = balance_inquiry_body(terminal, number)
        elif operation == "addRedeem":
            body = add_redeem_body(terminal, pos_id, number, job.add_quantity)
        elif operation == "activateAdd":
            body = activate_add_body(terminal, pos_id, number, job.load_quantity)
        else:
            body = check_body(terminal, pos_id, rng.choice(loyalty))
        start = scheduled if job.rate else time.perf_counter()
        status, result, code = await _send(client, url, body)
        records.append((operation, start - t0, time.perf_counter() - start, status, result, code))
        scheduled += interval
    return records, exhausted


async def run_load(job: LoadJob) -> LoadResult:
    connections = _connections(job.base_url, job.terminals)
    try:
        await _open(connections)
        t0 = time.perf_counter()
        deadline = t0 + job.warmup + job.seconds
        done = await asyncio.gather(
            *(_terminal(c, job, i, t0, deadline) for i, c in enumerate(connections))
        )
        elapsed = time.perf_counter() - t0
    finally:
        await _close(connections)
    result = LoadResult(started=job.warmup, elapsed=elapsed)
    for records, exhausted in done:
        result.records.extend(records)
        result.fresh_exhausted += exhausted
    return result


async def run_probe(job: ProbeJob) -> LoadResult:
    rng = random.Random(job.seed)
    numbers = [job.cards.number(rng.randrange(job.cards.count)) for _ in range(job.count)]
    queue = iter(numbers)
    result = LoadResult()

    async def worker(client: Connection, t0: float) -> None:
        for number in queue:
            start = time.perf_counter()
            status, res, code = await _send(
                client, path("balanceInquiry"), balance_inquiry_body("P1", number)
            )
            result.records.append(
                ("balanceInquiry", start - t0, time.perf_counter() - start, status, res, code)
            )

    connections = _connections(job.base_url, job.concurrency)
    try:
        await _open(connections)
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(c, t0) for c in connections))
        result.elapsed = time.perf_counter() - t0
    finally:
        await _close(connections)
    return result


def run_fast(main: Coroutine[Any, Any, LoadResult]) -> LoadResult:
    """Run on uvloop where it is installed: the generator's own overhead is part of what
    the machine spends, so it should be as small as it can be."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def _child(job: LoadJob | ProbeJob, conn: Any) -> None:
    try:
        if isinstance(job, LoadJob):
            conn.send(("ok", run_fast(run_load(job))))
        else:
            conn.send(("ok", run_fast(run_probe(job))))
    except BaseException as exc:  # reported to the parent, which raises
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


def run_in_process(job: LoadJob | ProbeJob) -> LoadResult:
    """Run a job in a fresh process (spawned, so nothing of the parent is shared)."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(job, child), daemon=True)
    process.start()
    child.close()
    try:
        status, payload = parent.recv()
    except EOFError:
        process.join()
        raise RuntimeError(f"load generator died (exit code {process.exitcode})") from None
    process.join()
    if status != "ok":
        raise RuntimeError(f"load generator failed: {payload}")
    result: LoadResult = payload
    return result
