"""Signing in to the operator console: sessions, cookies, CSRF, the guessing limits and
the second factor."""

from __future__ import annotations

import re

import pyotp
from fastapi.testclient import TestClient

from tests.console.console import (
    CONSOLE,
    CSR,
    OWNER,
    add_operator,
    csrf_of,
    post,
    sign_in,
    try_sign_in,
)

FAILED = "did not match an operator"


def test_pages_need_a_session(browser: TestClient) -> None:
    for path in ("", "guests", "guests/1", "audit"):
        reply = browser.get(f"{CONSOLE}/{path}", follow_redirects=False)
        assert reply.status_code == 303 and reply.headers["location"] == f"{CONSOLE}/signin"
    assert browser.post(f"{CONSOLE}/guests/1/adjust", follow_redirects=False).status_code == 303


def test_sign_in_rotates_the_session_and_the_seed(browser: TestClient) -> None:
    page = browser.get(f"{CONSOLE}/signin")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "<script" not in page.text
    seed = page.headers["set-cookie"]
    assert "HttpOnly" in seed and "SameSite=lax" in seed and "Path=/console/" in seed
    assert "Secure" not in seed
    before = browser.cookies["pxs_csrf"]
    reply = try_sign_in(browser, *CSR)
    assert reply.status_code == 303 and reply.headers["location"] == f"{CONSOLE}/"
    cookies = reply.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("pxs_console="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/console/" in session
    assert browser.cookies["pxs_csrf"] != before
    first = browser.cookies["pxs_console"]
    assert (
        browser.get(f"{CONSOLE}/", follow_redirects=False).headers["location"].endswith("/guests")
    )
    # Signing in again ends the session the browser held.
    assert try_sign_in(browser, *CSR).status_code == 303
    assert browser.cookies["pxs_console"] != first
    browser.cookies.set("pxs_console", first, path="/console/")
    assert browser.get(f"{CONSOLE}/guests", follow_redirects=False).status_code == 303


def test_cookies_are_secure_over_tls(browser: TestClient) -> None:
    page = browser.get(f"https://testserver{CONSOLE}/signin")
    assert "Secure" in page.headers["set-cookie"]


def test_sign_out_ends_the_session(browser: TestClient) -> None:
    sign_in(browser, CSR)
    session = browser.cookies["pxs_console"]
    out = post(browser, "signout", {}, "guests")
    assert out.status_code == 303 and out.headers["location"] == f"{CONSOLE}/signin?signed_out=1"
    browser.cookies.set("pxs_console", session, path="/console/")
    assert browser.get(f"{CONSOLE}/guests", follow_redirects=False).status_code == 303


def test_one_answer_for_every_wrong_part(browser: TestClient) -> None:
    for merchant, email, password in (
        ("1000", CSR[0], "wrong-password"),
        ("1000", "nobody@demo.example", CSR[1]),
        ("2000", *CSR),
        ("not-a-number", *CSR),
        ("99999999999999999999", *CSR),
    ):
        reply = try_sign_in(browser, email, password, merchant)
        assert reply.status_code == 400 and FAILED in reply.text
        assert "pxs_console" not in browser.cookies


def test_a_form_without_its_csrf_token_is_refused(browser: TestClient) -> None:
    browser.get(f"{CONSOLE}/signin")
    for token in ({}, {"csrf_token": "0" * 64}):
        reply = browser.post(
            f"{CONSOLE}/signin",
            data={"merchant": "1000", "email": CSR[0], "password": CSR[1], **token},
            follow_redirects=False,
        )
        assert reply.status_code == 403
        assert "pxs_console" not in browser.cookies


def test_sign_in_limits_are_the_apis(browser: TestClient) -> None:
    """The demo program's guest.security: five misses from an address, then a wait,
    during which even the right password is refused."""
    for _ in range(5):
        assert FAILED in try_sign_in(browser, CSR[0], "wrong-password").text
    locked = try_sign_in(browser, *CSR)
    assert locked.status_code == 400 and "Too many failed sign-ins" in locked.text
    # Another operator's sign-in from the same address is not locked out by it.
    assert try_sign_in(browser, *OWNER).status_code == 303


def test_a_disabled_operator_is_signed_out(browser: TestClient, database_url: str) -> None:
    add_operator(database_url, "temp@demo.example", "csr")
    sign_in(browser, ("temp@demo.example", "Operator1234!"))
    assert browser.get(f"{CONSOLE}/guests").status_code == 200
    from typer.testing import CliRunner

    from openpxs.cli import app as cli

    done = CliRunner().invoke(
        cli,
        ["operators", "disable", "--email", "temp@demo.example", "--merchant", "1000",
         "--database", database_url],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert browser.get(f"{CONSOLE}/guests", follow_redirects=False).status_code == 303
    assert FAILED in try_sign_in(browser, "temp@demo.example", "Operator1234!").text


def test_an_operator_with_a_second_factor_needs_its_code(
    browser: TestClient, database_url: str
) -> None:
    out = add_operator(database_url, "totp@demo.example", "manager", "--totp")
    found = re.search(r"secret=([A-Z2-7]+)", out)
    assert found, out
    secret = found.group(1)
    who = ("totp@demo.example", "Operator1234!")
    assert FAILED in try_sign_in(browser, *who).text
    assert FAILED in try_sign_in(browser, *who, code="000000").text
    code = pyotp.TOTP(secret).now()
    reply = try_sign_in(browser, *who, code=code)
    assert reply.status_code == 303, reply.text
    page = browser.get(f"{CONSOLE}/guests")
    assert "totp@demo.example (manager, merchant 1000)" in page.text
    assert csrf_of(page)
