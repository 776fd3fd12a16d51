"""Running the API reference's example sequences (openpxs.wire.examples) against the demo.

``run`` plays a sequence and reports every difference from the recorded replies;
``record`` plays it twice from the demo installation and writes the replies, with
``{{name}}`` wherever the two runs differ or the value is a time or a token.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.store.tables import outbox
from openpxs.wire.examples import CREDENTIALS, PLACEHOLDER, Sequence, Step
from tests.api.pos import run_db

RELEASE = "24.11"
FOLDER = Path(__file__).resolve().parents[2] / "src" / "openpxs" / "api" / "examples"
# Values that are never the same twice, even where two runs happen to agree.
# (The Payment Service's documented form puts a space before the offset.)
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?( ?[+-]\d{2}:?\d{2}|Z)?)?$")
SECRETS = {"access_token", "refresh_token"}
GIVEN = object()  # the key of the requests' strings in the values a step knows
# Ids come from server-wide sequences: the same in two runs on SQLite, which reuses the
# ids of deleted rows, but not on PostgreSQL.
IDS = {
    "id",
    "pxTransactionId",
    "pxTransactionIds",
    "transactionId",
    "transactionIdLong",
    "accountId",
    "accountIds",
    "userId",
    "addressId",
    "relatedGuestId",
    "cardId",
    "paymentMethodId",
    "groupCode",
    "requestCode",
    "messageId",
    "commentId",
    # Not an id, but as changeable: a challenge's occurrence is named by the local date it
    # started, so a recording made next week names another one.
    "occurrenceCode",
}


class Played:
    """What a run remembered: the values behind the placeholders."""

    def __init__(self) -> None:
        # A request that must carry the present time (a check-in's checkinTime) says
        # {{now_checkin_time}}: now in Boston, as 'yyyy-mm-dd hh:mm:ss -0400'.
        boston = datetime.now(ZoneInfo("America/New_York"))
        self.saved: dict[str, Any] = {"now_checkin_time": boston.strftime("%Y-%m-%d %H:%M:%S %z")}
        self.replies: list[Any] = []

    def substitute(self, value: Any) -> Any:
        if isinstance(value, str):
            whole = PLACEHOLDER.fullmatch(value)
            if whole:
                return self.saved[whole.group(1)]
            return PLACEHOLDER.sub(lambda m: str(self.saved[m.group(1)]), value)
        if isinstance(value, dict):
            return {key: self.substitute(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.substitute(item) for item in value]
        return value


def _newest_code(client: TestClient, channel: str, pattern: str) -> str:
    async def work(conn: AsyncConnection) -> list[str]:
        rows = await conn.execute(
            select(outbox.c.body).where(outbox.c.channel == channel).order_by(outbox.c.id)
        )
        return [str(row[0]) for row in rows]

    bodies: list[str] = run_db(client, work)
    assert bodies, f"no {channel} message was written"
    found = re.search(pattern, bodies[-1])
    assert found is not None, bodies[-1]
    return found.group(1)


def call(client: TestClient, step: Step, played: Played) -> tuple[int, Any]:
    """Make the step's call with the remembered values filled in."""
    url = f"/rest/{RELEASE}/{step.path}"
    request = played.substitute(step.request)
    auth = CREDENTIALS.get(step.caller)
    if step.method == "POST":
        response = client.post(url, json=request, auth=auth)
    else:
        response = client.request(step.method, url, params=request, auth=auth)
    return response.status_code, response.json()


def take_code(client: TestClient, step: Step, played: Played) -> None:
    spec = step.take_code
    pattern = spec.get("pattern", r"\b(\d{6})\b")
    played.saved[spec["save"]] = _newest_code(client, spec["channel"], pattern)


def match(template: Any, actual: Any, played: Played, where: str) -> list[str]:
    """Where ``actual`` differs from the recorded ``template``; placeholders match any
    value and remember it."""
    if isinstance(template, str) and PLACEHOLDER.fullmatch(template):
        name = PLACEHOLDER.fullmatch(template).group(1)  # type: ignore[union-attr]
        if actual is None:
            return [f"{where}: expected a value for {{{{{name}}}}}, got null"]
        played.saved[name] = actual
        return []
    if isinstance(template, dict) and isinstance(actual, dict):
        problems = []
        if set(template) != set(actual):
            problems.append(f"{where}: members {sorted(set(actual) ^ set(template))} differ")
        for key in (k for k in template if k in actual):
            problems += match(template[key], actual[key], played, f"{where}.{key}")
        return problems
    if isinstance(template, list) and isinstance(actual, list):
        if len(template) != len(actual):
            return [f"{where}: {len(actual)} entries, recorded {len(template)}"]
        problems = []
        for index, (t, a) in enumerate(zip(template, actual, strict=True)):
            problems += match(t, a, played, f"{where}[{index}]")
        return problems
    if template != actual or type(template) is not type(actual):
        return [f"{where}: {actual!r}, recorded {template!r}"]
    return []


def run(client: TestClient, sequence: Sequence) -> list[str]:
    """Every difference between the sequence's recorded replies and today's."""
    played = Played()
    problems: list[str] = []
    for step in sequence.steps:
        if step.take_code:
            take_code(client, step, played)
            continue
        status, reply = call(client, step, played)
        where = f"{step.id} {step.method} {step.path}"
        if status != step.status:
            problems.append(f"{where}: HTTP {status}, recorded {step.status}: {reply}")
        problems += match(step.reply, reply, played, where)
        _remember(reply, step, played)
    return problems


def _template(first: Any, second: Any, step: Step, key: str, known: dict[Any, Any]) -> Any:
    """One reply with a placeholder wherever the two runs differ; a value an earlier reply
    gave keeps the name it had there (the card number of a new account, say)."""
    name = step.save.get(key, key)
    if isinstance(first, dict) and isinstance(second, dict) and set(first) == set(second):
        return {k: _template(first[k], second[k], step, k, known) for k in first}
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        scalars = all(not isinstance(a, (dict, list)) for a in first)
        pairs = list(zip(first, second, strict=True))
        if scalars and any(_template(a, b, step, key, known) != a for a, b in pairs):
            return f"{{{{{name}}}}}"
        return [_template(a, b, step, key, known) for a, b in pairs]
    volatile = (
        first != second
        or key in SECRETS | IDS
        # A time the server chose (not one a request gave): today's date differs tomorrow.
        or (isinstance(first, str) and TIME.match(first) and first not in known.get(GIVEN, ()))
        or (key in IDS and isinstance(first, list))
    )
    if not volatile:
        return first
    if key not in step.save and isinstance(first, str) and isinstance(known.get(first), str):
        name = known[first]
    return f"{{{{{name}}}}}"


def record(client: TestClient, sequence: Sequence, reset: Any) -> None:
    """Play the sequence twice from the demo installation and write its replies."""
    runs: list[list[tuple[int, Any]]] = []
    before: list[dict[Any, Any]] = []  # the first run's remembered values, per step
    given: set[str] = set()  # every string the requests so far sent
    for attempt in range(2):
        reset(client)
        played = Played()
        replies: list[tuple[int, Any]] = []
        for step in sequence.steps:
            if attempt == 0:
                given.update(_strings(step.request))
                known: dict[Any, Any] = {GIVEN: frozenset(given)}
                for name, value in played.saved.items():
                    # Long strings only (card numbers, tokens): small numbers coincide.
                    if isinstance(value, str) and len(value) >= 6:
                        known.setdefault(value, name)
                before.append(known)
            if step.take_code:
                take_code(client, step, played)
                replies.append((0, None))
                continue
            status, reply = call(client, step, played)
            replies.append((status, reply))
            # Remember what the request of a later step will ask for.
            _remember(reply, step, played)
        runs.append(replies)
    steps = zip(sequence.steps, before, *runs, strict=True)
    for step, known, (status, first), (_, second) in steps:
        if not step.take_code:
            step.status = status
            step.reply = _template(first, second, step, "", known)
    text = yaml.safe_dump(sequence.as_data(), sort_keys=False, allow_unicode=True, width=92)
    (FOLDER / f"{sequence.name}.yaml").write_text(text, encoding="utf-8")


def _strings(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) else set()


def _remember(reply: Any, step: Step, played: Played, key: str = "") -> None:
    if isinstance(reply, dict):
        for k, v in reply.items():
            _remember(v, step, played, k)
    elif isinstance(reply, list) and any(isinstance(v, (dict, list)) for v in reply):
        for v in reply:
            _remember(v, step, played, key)
    elif key:
        played.saved[step.save.get(key, key)] = reply
