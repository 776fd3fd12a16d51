"""Operators' sign-ins, refused sign-ins and sign-outs in the audit, never a password."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.console.console import CONSOLE, CSR, OWNER, post, sign_in, try_sign_in


def _rows(page: str, action: str) -> list[str]:
    """The audit table's rows of ``action``."""
    return [row for row in page.split("<tr>") if f"<td>{action}</td>" in row]


def test_sign_in_and_sign_out_are_audited(browser: TestClient) -> None:
    sign_in(browser, CSR)
    assert post(browser, "signout", {}, "guests").status_code == 303
    assert try_sign_in(browser, CSR[0], "Wrong-password-1").status_code == 400
    # An unknown e-mail is no operator: nothing to write against.
    assert try_sign_in(browser, "nobody@demo.example", "Wrong-password-2").status_code == 400
    sign_in(browser, OWNER)
    page = browser.get(f"{CONSOLE}/audit").text
    signed_in = _rows(page, "sign_in")
    assert any(CSR[0] in row for row in signed_in) and any(OWNER[0] in row for row in signed_in)
    assert [CSR[0] in row for row in _rows(page, "sign_out")] == [True]
    failed = _rows(page, "sign_in_failed")
    assert len(failed) == 1 and CSR[0] in failed[0]
    assert "nobody@demo.example" not in page
    for secret in (CSR[1], OWNER[1], "Wrong-password-1", "Wrong-password-2"):
        assert secret not in page


def test_a_refused_sign_in_is_still_refused_and_counted(browser: TestClient) -> None:
    for _ in range(2):
        assert try_sign_in(browser, OWNER[0], "Wrong-password-1").status_code == 400
    sign_in(browser, OWNER)
    page = browser.get(f"{CONSOLE}/audit", params={"account": ""}).text
    assert len(_rows(page, "sign_in_failed")) == 2
