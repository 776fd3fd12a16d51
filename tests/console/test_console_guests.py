"""A CSR's work on a guest over HTTP: search, the account and why its balance is what
it is, and the actions, each held to the operator's role and each audited."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openpxs.cli import app as cli
from openpxs.domain.clock import ShiftedClock
from tests.api.checks import a_check, item, post_check
from tests.api.guests import enroll
from tests.api.pos import activate, add_redeem, add_redeem_body, call
from tests.console.console import (
    CONSOLE,
    CSR,
    DEMO_CARD,
    OWNER,
    add_operator,
    demo_account,
    points_of,
    post,
    sign_in,
)


def audit_rows(client: TestClient, **query: str) -> list[str]:
    page = client.get(f"{CONSOLE}/audit", params=query)
    assert page.status_code == 200, page.text
    body = page.text.split("<tbody>", 1)[1] if "<tbody>" in page.text else ""
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    # Operators' sign-ins and sign-outs are audited too; these tests look at the rest.
    return [r for r in rows if not re.search(r"<td>sign_(in|out|in_failed)</td>", r)]


@pytest.mark.parametrize(
    "query",
    ["demo@example.com", "DEMO@Example.COM", DEMO_CARD, "(617) 555-0123", "Demo Guest", "guest"],
)
def test_search_finds_the_demo_guest(browser: TestClient, query: str) -> None:
    sign_in(browser, CSR)
    found = browser.get(f"{CONSOLE}/guests", params={"q": query})
    assert found.status_code == 200
    assert "demo@example.com" in found.text and DEMO_CARD in found.text


def test_search_finds_a_phone_number_however_it_was_written(browser: TestClient) -> None:
    number = enroll(browser, "grace", mobilePhone=["+1 (617) 555-0177"])["printedCardNumber"]
    sign_in(browser, CSR)
    for asked in ("16175550177", "1-617-555-0177", "+1 617.555.0177"):
        found = browser.get(f"{CONSOLE}/guests", params={"q": asked})
        assert found.status_code == 200 and number in found.text, asked


def test_search_by_account_id_and_nothing_found(browser: TestClient) -> None:
    sign_in(browser, CSR)
    account = demo_account(browser)
    by_id = browser.get(f"{CONSOLE}/guests", params={"q": str(account)})
    assert f"Account {account}</a>" in by_id.text
    for nothing in ("nobody@example.com", "Nobody", "1" * 40, "<script>"):
        page = browser.get(f"{CONSOLE}/guests", params={"q": nothing})
        assert page.status_code == 200 and "No guest matches" in page.text
        assert "<script>" not in page.text


def test_the_account_says_why_its_balance_is_what_it_is(browser: TestClient) -> None:
    sign_in(browser, CSR)
    account = demo_account(browser)
    page = browser.get(f"{CONSOLE}/guests/{account}")
    assert page.status_code == 200
    assert points_of(browser, account) == "120"
    assert "Points: +60 → 60" in page.text and "Value added or redeemed at the POS." in page.text
    assert "The card was activated." in page.text
    assert "Toward Gold: 150 of 500 Points earned in the last 365 days." in page.text
    assert "Open lots" in page.text
    for unknown in ("999999999", "0", "9" * 30):
        assert browser.get(f"{CONSOLE}/guests/{unknown}").status_code == 404
    assert browser.get(f"{CONSOLE}/guests/not-a-number").status_code == 404
    huge = post(browser, f"guests/{'9' * 30}/adjust", {"comment": "x"}, f"guests/{account}")
    assert huge.status_code == 404


def test_a_posted_check_shows_the_rules_that_fired(browser: TestClient) -> None:
    posted = post_check(browser, DEMO_CARD, a_check("C-77", item("LATTE", "10.00")))
    assert posted["result"] == "success", posted
    sign_in(browser, CSR)
    page = browser.get(f"{CONSOLE}/guests/{demo_account(browser)}")
    assert "Check C-77 (spend 10.00)." in page.text
    assert "Rule “" in page.text and "earned" in page.text


def test_a_csr_adjusts_with_a_comment_and_the_audit_says_so(browser: TestClient) -> None:
    sign_in(browser, CSR)
    account = demo_account(browser)
    fields = {"wallet": "2", "activity": "ADD", "quantity": "25", "comment": "Missing visit"}
    done = post(browser, f"guests/{account}/adjust", fields, f"guests/{account}")
    assert done.status_code == 303
    assert done.headers["location"] == f"{CONSOLE}/guests/{account}?done=adjusted"
    page = browser.get(done.headers["location"])
    assert "The wallet was adjusted." in page.text
    assert points_of(browser, account) == "145"
    assert "csr@demo.example said: “Missing visit”" in page.text
    rows = audit_rows(browser, account=str(account))
    assert len(rows) == 1
    row = rows[0]
    assert "csr@demo.example" in row and "adjust_wallet" in row and "Missing visit" in row
    assert '{"balance": "120", "wallet": 2}' in row
    assert '"activity": "ADD", "balance": "145", "quantity": "25"' in row


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"wallet": "2", "activity": "ADD", "quantity": "25", "comment": "  "}, "comment"),
        ({"wallet": "2", "activity": "ADD", "quantity": "lots", "comment": "x"}, ""),
        ({"wallet": "2", "activity": "REDEEM", "quantity": "1000", "comment": "x"}, ""),
        ({"wallet": "99", "activity": "ADD", "quantity": "1", "comment": "x"}, ""),
        ({"wallet": "2", "activity": "STEAL", "quantity": "1", "comment": "x"}, "add or redeem"),
    ],
)
def test_a_wrong_adjustment_changes_nothing(
    browser: TestClient, fields: dict[str, str], problem: str
) -> None:
    sign_in(browser, CSR)
    account = demo_account(browser)
    reply = post(browser, f"guests/{account}/adjust", fields, f"guests/{account}")
    assert reply.status_code == 400 and 'role="alert"' in reply.text
    assert problem in reply.text
    assert points_of(browser, account) == "120"
    assert audit_rows(browser, account=str(account)) == []


def test_an_adjustment_without_its_csrf_token_is_refused(browser: TestClient) -> None:
    sign_in(browser, CSR)
    account = demo_account(browser)
    reply = browser.post(
        f"{CONSOLE}/guests/{account}/adjust",
        data={"wallet": "2", "activity": "ADD", "quantity": "5", "comment": "x"},
        follow_redirects=False,
    )
    assert reply.status_code == 403
    assert points_of(browser, account) == "120"
    assert audit_rows(browser) == []


def test_an_analyst_looks_but_changes_nothing(browser: TestClient, database_url: str) -> None:
    add_operator(database_url, "analyst@demo.example", "analyst")
    sign_in(browser, ("analyst@demo.example", "Operator1234!"))
    account = demo_account(browser)
    page = browser.get(f"{CONSOLE}/guests/{account}")
    assert page.status_code == 200 and "Adjust a wallet" not in page.text
    assert browser.get(f"{CONSOLE}/audit").status_code == 200
    for action, fields in (
        ("adjust", {"wallet": "2", "activity": "ADD", "quantity": "5", "comment": "x"}),
        ("lock", {"card": DEMO_CARD, "comment": "x"}),
        ("exchange", {"card": DEMO_CARD, "new_card": "7000000000000002", "comment": "x"}),
        ("verification", {}),
        ("export", {}),
        ("erase", {"confirm": "erase", "comment": "x"}),
    ):
        reply = post(browser, f"guests/{account}/{action}", fields, f"guests/{account}")
        assert reply.status_code == 403, action
        assert "does not allow this" in reply.text
    assert points_of(browser, account) == "120"
    assert audit_rows(browser) == []


def test_a_csr_may_not_export_or_erase(browser: TestClient) -> None:
    sign_in(browser, CSR)
    account = demo_account(browser)
    page = browser.get(f"{CONSOLE}/guests/{account}")
    assert "Privacy requests" not in page.text
    for action in ("export", "erase"):
        fields = {"confirm": "erase", "comment": "x"}
        assert (
            post(browser, f"guests/{account}/{action}", fields, f"guests/{account}").status_code
            == 403
        )
    assert "demo@example.com" in browser.get(f"{CONSOLE}/guests/{account}").text


def test_a_manager_adjusts_and_exports(browser: TestClient, database_url: str) -> None:
    add_operator(database_url, "manager@demo.example", "manager")
    sign_in(browser, ("manager@demo.example", "Operator1234!"))
    account = demo_account(browser)
    fields = {"wallet": "2", "activity": "REDEEM", "quantity": "20", "comment": "Goodwill fix"}
    assert post(browser, f"guests/{account}/adjust", fields, f"guests/{account}").status_code == 303
    assert points_of(browser, account) == "100"
    export = post(browser, f"guests/{account}/export", {}, f"guests/{account}")
    assert export.status_code == 200
    assert (
        export.headers["content-disposition"] == f'attachment; filename="guest-1000-{account}.json"'
    )
    data = json.loads(export.text)
    assert (
        data["guest"]["username"] == "demo"
        and data["guest"]["fields"]["email"] == "demo@example.com"
    )
    assert data["balances"]["Points"] == "100"
    assert data["cards"] == [{"number": DEMO_CARD, "status": "active"}]
    assert any("Goodwill fix" in why for h in data["history"] for why in h["why"])
    actions = [re.findall(r"<td>(\w+_\w+)</td>", row)[0] for row in audit_rows(browser)]
    assert actions == ["export_guest", "adjust_wallet"]


def test_cards_exchange_and_the_last_card_stays_unlocked(browser: TestClient) -> None:
    sign_in(browser, CSR)
    account = demo_account(browser)
    lock = post(
        browser,
        f"guests/{account}/lock",
        {"card": DEMO_CARD, "comment": "Lost"},
        f"guests/{account}",
    )
    assert lock.status_code == 400 and "last active card cannot be disabled" in lock.text
    for wrong in ("", "abc", "9" * 100, DEMO_CARD, "6000000000000001x"):
        bad = {"card": DEMO_CARD, "new_card": wrong, "comment": "Card damaged"}
        reply = post(browser, f"guests/{account}/exchange", bad, f"guests/{account}")
        assert reply.status_code == 400, wrong
    fields = {"card": DEMO_CARD, "new_card": "7000000000000002", "comment": "Card damaged"}
    done = post(browser, f"guests/{account}/exchange", fields, f"guests/{account}")
    assert done.status_code == 303, done.text
    page = browser.get(f"{CONSOLE}/guests/{account}")
    assert "7000000000000002</td><td>active" in page.text
    assert f"{DEMO_CARD}</td><td>exchanged" in page.text
    assert points_of(browser, account) == "120"
    again = post(browser, f"guests/{account}/exchange", fields, f"guests/{account}")
    assert again.status_code == 400
    rows = audit_rows(browser, account=str(account))
    assert len(rows) == 1 and "exchange_card" in rows[0] and "Card damaged" in rows[0]


def test_resend_verification_queues_an_email(browser: TestClient) -> None:
    sign_in(browser, CSR)
    account = demo_account(browser)
    done = post(browser, f"guests/{account}/verification", {}, f"guests/{account}")
    assert done.status_code == 303
    assert "A verification e-mail is on its way." in browser.get(done.headers["location"]).text
    assert "resend_verification" in audit_rows(browser)[0]


def test_an_owner_erases_a_guest_and_the_ledger_stays_whole(
    browser: TestClient, database_url: str
) -> None:
    sign_in(browser, OWNER)
    account = demo_account(browser)
    refused = post(
        browser,
        f"guests/{account}/erase",
        {"confirm": "no", "comment": "GDPR"},
        f"guests/{account}",
    )
    assert (
        refused.status_code == 400
        and "demo@example.com" in browser.get(f"{CONSOLE}/guests/{account}").text
    )
    done = post(
        browser,
        f"guests/{account}/erase",
        {"confirm": "erase", "comment": "GDPR request 42"},
        f"guests/{account}",
    )
    assert done.status_code == 303
    page = browser.get(f"{CONSOLE}/guests/{account}")
    assert "not registered" in page.text and "demo@example.com" not in page.text
    assert points_of(browser, account) == "120"
    found = browser.get(f"{CONSOLE}/guests", params={"q": "demo@example.com"})
    assert "No guest matches" in found.text
    row = audit_rows(browser, account=str(account))[0]
    assert "erase_guest" in row and "GDPR request 42" in row and "demo@example.com" not in row
    audit = CliRunner().invoke(cli, ["audit", "--database", database_url])
    assert audit.exit_code == 0, audit.output


def test_the_audit_filters_by_operator_guest_and_day(browser: TestClient) -> None:
    sign_in(browser, CSR)
    account = demo_account(browser)
    fields = {"wallet": "2", "activity": "ADD", "quantity": "1", "comment": "one"}
    post(browser, f"guests/{account}/adjust", fields, f"guests/{account}")
    sign_in(browser, OWNER)
    post(browser, f"guests/{account}/export", {}, f"guests/{account}")
    page = browser.get(f"{CONSOLE}/audit")
    csr_id = re.search(r'<option value="(\d+)">csr@demo.example</option>', page.text)
    assert csr_id
    assert len(audit_rows(browser)) == 2
    only_csr = audit_rows(browser, operator=csr_id.group(1))
    assert len(only_csr) == 1 and "adjust_wallet" in only_csr[0]
    assert len(audit_rows(browser, account=str(account))) == 2
    assert audit_rows(browser, account=str(account + 1)) == []
    assert audit_rows(browser, **{"from": "2000-01-01", "to": "2000-01-31"}) == []
    assert len(audit_rows(browser, **{"from": "2000-01-01"})) == 2
    wrong = browser.get(f"{CONSOLE}/audit", params={"from": "yesterday"})
    assert wrong.status_code == 400 and "Not understood" in wrong.text
    # Nothing in the console edits or deletes an entry.
    assert browser.post(f"{CONSOLE}/audit", follow_redirects=False).status_code in (403, 405)


def test_an_owner_merges_a_card_and_a_csr_locks_one_of_two(browser: TestClient) -> None:
    second = "7000000000000002"
    assert activate(browser, second)["result"] == "authorizedSuccess"
    add_redeem(browser, second, add=[{"walletCode": 2, "quantity": "30"}], program="LP")
    sign_in(browser, CSR)
    account = demo_account(browser)
    fields = {"card": second, "comment": "Same guest"}
    assert post(browser, f"guests/{account}/merge", fields, f"guests/{account}").status_code == 403
    sign_in(browser, OWNER)
    for wrong in ("6000000000000001", "9999"):
        reply = post(
            browser, f"guests/{account}/merge", {"card": wrong, "comment": "x"}, f"guests/{account}"
        )
        assert reply.status_code == 400, wrong
    done = post(browser, f"guests/{account}/merge", fields, f"guests/{account}")
    assert done.status_code == 303, done.text
    page = browser.get(done.headers["location"])
    assert "The card&#39;s account was merged into this one." in page.text
    assert f"{second}</td><td>active" in page.text
    assert points_of(browser, account) == "150"
    assert "Another card&#39;s account was combined into this one." in page.text
    row = audit_rows(browser, account=str(account))[0]
    assert "merge_accounts" in row and '"2": "120"' in row and '"2": "150"' in row

    sign_in(browser, CSR)
    lock = {"card": second, "comment": "Reported stolen"}
    assert post(browser, f"guests/{account}/lock", lock, f"guests/{account}").status_code == 303
    assert f"{second}</td><td>disabled" in browser.get(f"{CONSOLE}/guests/{account}").text
    assert post(browser, f"guests/{account}/unlock", lock, f"guests/{account}").status_code == 303
    assert f"{second}</td><td>active" in browser.get(f"{CONSOLE}/guests/{account}").text
    actions = [re.findall(r"<td>(\w+_\w+)</td>", r)[0] for r in audit_rows(browser)]
    assert actions == ["unlock_card", "lock_card", "merge_accounts"]


def test_a_void_and_what_it_undid_name_each_other(browser: TestClient) -> None:
    body = add_redeem_body(DEMO_CARD, [{"walletCode": 2, "quantity": "10"}], None, "V-1", "LP")
    added = call(browser, "addRedeem", body)
    voided = call(browser, "voidAddRedeem", body)
    assert added["result"] == voided["result"] == "authorizedSuccess", voided
    sign_in(browser, CSR)
    page = browser.get(f"{CONSOLE}/guests/{demo_account(browser)}").text
    original = re.search(r"<td>(\d+) addRedeem", page.split("voidAddRedeem")[1])
    void = re.search(r"<td>(\d+) voidAddRedeem", page)
    assert original and void, page
    assert f"Undoes transaction {original.group(1)}." in page
    assert f"Undone by transaction {void.group(1)}." in page
    assert points_of(browser, demo_account(browser)) == "120"


def test_an_expiry_names_the_lots_it_wrote_off(browser: TestClient, clock: ShiftedClock) -> None:
    day = (clock.now() + timedelta(days=3)).date()
    expiring = [
        {
            "walletCode": 2,
            "quantity": "15",
            "expiration": {"date": day.isoformat(), "type": "absolute"},
        }
    ]
    assert (
        add_redeem(browser, DEMO_CARD, add=expiring, program="LP")["result"] == "authorizedSuccess"
    )
    sign_in(browser, CSR)
    account = demo_account(browser)
    page = browser.get(f"{CONSOLE}/guests/{account}").text
    assert f"<td>15</td><td>{day.isoformat()}</td>" in page  # an open lot and its expiry
    clock.offset += timedelta(days=5)
    assert browser.get(f"{CONSOLE}/guests", follow_redirects=False).status_code == 303
    sign_in(browser, CSR)  # the session of five days ago has ended
    page = browser.get(f"{CONSOLE}/guests/{account}").text
    assert "expire" in page and f"15 Points expired on {day.isoformat()}." in page
    assert points_of(browser, account) == "120"
