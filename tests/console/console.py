"""Driving the operator console over HTTP as a browser would."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from typer.testing import CliRunner

from openpxs.cli import app as cli

CONSOLE = "/console"
OWNER = ("owner@demo.example", "DemoOwner123!")
CSR = ("csr@demo.example", "DemoCsr123!")
DEMO_GUEST_EMAIL = "demo@example.com"
DEMO_CARD = "7000000000000001"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
_ACCOUNT = re.compile(r"/console/guests/(\d+)")


def csrf_of(page: Response) -> str:
    found = _CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def post(client: TestClient, path: str, fields: dict[str, Any], page: str) -> Response:
    """Post a form of the console with the CSRF token ``page`` carried."""
    token = csrf_of(client.get(f"{CONSOLE}/{page}"))
    return client.post(
        f"{CONSOLE}/{path}", data={"csrf_token": token, **fields}, follow_redirects=False
    )


def try_sign_in(
    client: TestClient, email: str, password: str, merchant: str = "1000", code: str = ""
) -> Response:
    return post(
        client,
        "signin",
        {"merchant": merchant, "email": email, "password": password, "code": code},
        "signin",
    )


def sign_in(client: TestClient, who: tuple[str, str]) -> None:
    client.cookies.clear()
    reply = try_sign_in(client, *who)
    assert reply.status_code == 303, reply.text
    assert "pxs_console" in client.cookies


def add_operator(database_url: str, email: str, role: str, *extra: str) -> str:
    """An operator of merchant 1000 added with the CLI; its output."""
    done = CliRunner().invoke(
        cli,
        [
            "operators", "add", "--email", email, "--merchant", "1000", "--role", role,
            "--password", "Operator1234!", "--database", database_url, *extra,
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    return done.output


def demo_account(client: TestClient) -> int:
    found = client.get(f"{CONSOLE}/guests", params={"q": DEMO_GUEST_EMAIL})
    match = _ACCOUNT.search(found.text)
    assert match, found.text
    return int(match.group(1))


def points_of(client: TestClient, account: int) -> str:
    page = client.get(f"{CONSOLE}/guests/{account}")
    found = re.search(r'<th scope="row">Points</th><td>([^<]+)</td>', page.text)
    assert found, page.text
    return found.group(1)
