"""Write docs/guides/*.md: one guide per kind of integration, each a complete sequence of
requests and replies, taken from the API reference's recorded examples
(src/openpxs/api/examples/), which tests/api/test_examples.py replays against the demo.

    python -m tools.guides

tests/unit/test_guides.py fails when a committed guide differs from what this writes.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from openpxs.wire.examples import CREDENTIALS, Sequence, Step, sequences

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "docs" / "guides"
SERVER = "http://127.0.0.1:8080"
RELEASE = "24.11"


@dataclass(frozen=True)
class Guide:
    file: str
    title: str
    intro: str
    sequences: tuple[str, ...]


GUIDES = (
    Guide(
        "pos.md",
        "Point of sale",
        "A point of sale calls the Transaction, Check and Coupon services with a B2B "
        "credential of its own (HTTP Basic on every call, `authentication: b2b`). It sells "
        "and spends gift cards, corrects its own transactions, and posts checks so loyalty "
        "guests earn points and use rewards and coupons.",
        ("transaction", "pos-checks"),
    ),
    Guide(
        "mobile-app.md",
        "Mobile app",
        "A mobile app holds an integration credential that allows the `anonymous`, `card` "
        "and `oauth` styles. It enrolls guests and signs them in (password, or a code "
        "texted to their phone) and then calls on the guest's behalf with the OAuth access "
        "token it received, renewing it with the refresh token.",
        ("mobile-app", "ways-to-join"),
    ),
    Guide(
        "guest-website.md",
        "Guest website back end",
        "A guest website's server holds a B2B credential and acts for the guests it signs "
        "in itself: it checks their passwords, and then names their account by card "
        "number, account id or username.",
        ("guest-website",),
    ),
)

HEADER = """\
<!-- Written by `python -m tools.guides` from src/openpxs/api/examples/; do not edit. -->

# {title}

{intro}

Every request and reply below was recorded against the demo merchants and is replayed
by the test suite (`tests/api/test_examples.py`), so it is what the server answers
today. To follow along, start the demo (`make demo`, which serves {server}) and
send the requests in order: each sequence starts from the demo as freshly installed
(delete `openpxs.db` and start the demo again to reinstall it). Each
call links to its entry in the API reference ({server}/redoc), which lists its
members and every refusal it can answer.

`{{{{name}}}}` stands for a value that differs from one run to the next (an id, a
token, a time): take it from the earlier reply where it first appears.

The credentials are the demo's: {credentials}.
"""


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _step(number: int, step: Step) -> str:
    if step.take_code:
        channel = "e-mail" if step.take_code["channel"] == "email" else "text message"
        return (
            f"### {number}. {step.title}\n\nThe code is in the {channel} the server sent; "
            f"below it is `{{{{{step.take_code['save']}}}}}`.\n"
        )
    service, operation = step.path.removesuffix(".json").split("/")
    user, _ = CREDENTIALS.get(step.caller, ("", ""))
    url = f"/rest/{RELEASE}/{step.path}"
    link = f"{SERVER}/redoc#operation/{service}.{operation}"
    parts = [f"### {number}. {step.title}\n", f"[`{step.method} {url}`]({link}) as `{user}`\n"]
    if step.method == "POST":
        parts.append(f"```json\n{_json(step.request)}\n```\n")
    else:
        parts.append(f"```\n{step.method} {url}?{urlencode(step.request, doseq=True)}\n```\n")
    status = "" if step.status == 200 else f" (HTTP {step.status})"
    parts.append(f"Reply{status}:\n\n```json\n{_json(step.reply)}\n```\n")
    return "\n".join(parts)


def _sequence(sequence: Sequence) -> str:
    steps = "\n".join(_step(n, step) for n, step in enumerate(sequence.steps, start=1))
    return f"## {sequence.title}\n\n{sequence.about}\n\n{steps}"


def render(guide: Guide) -> str:
    by_name = {sequence.name: sequence for sequence in sequences()}
    credentials = ", ".join(f"`{user}` / `{secret}`" for user, secret in CREDENTIALS.values())
    head = HEADER.format(
        title=guide.title, intro=guide.intro, server=SERVER, credentials=credentials
    )
    body = "\n".join(_sequence(by_name[name]) for name in guide.sequences)
    return f"{head}\n{body}"


def main() -> int:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for guide in GUIDES:
        (FOLDER / guide.file).write_text(render(guide), encoding="utf-8")
        print(f"wrote docs/guides/{guide.file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
