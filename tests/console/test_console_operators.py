"""Owners manage the merchant's operators from the console; no one else may, and the
owners' second factor follows the program's console setting."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from openpxs.config.console import ConsoleConfig
from openpxs.domain.errors import Refused
from openpxs.services import operators
from openpxs.store.uow import unit_of_work
from tests.console.console import CONSOLE, CSR, OWNER, post, sign_in, try_sign_in


def test_an_owner_adds_disables_and_enables_an_operator(browser: TestClient) -> None:
    sign_in(browser, OWNER)
    page = browser.get(f"{CONSOLE}/operators")
    assert page.status_code == 200 and "csr@demo.example" in page.text
    fields = {"email": "New.Analyst@demo.example", "role": "analyst", "password": "Analyst1234!"}
    short = post(browser, "operators/add", {**fields, "password": "short"}, "operators")
    assert short.status_code == 400 and "at least 10 characters" in short.text
    assert post(browser, "operators/add", fields, "operators").status_code == 303
    again = post(browser, "operators/add", fields, "operators")
    assert again.status_code == 400 and "already an operator" in again.text
    listed = browser.get(f"{CONSOLE}/operators").text
    found = re.search(r'name="operator" value="(\d+)">\s*<button type="submit">Disable new', listed)
    assert found, listed
    ident = found.group(1)
    assert post(browser, "operators/disable", {"operator": ident}, "operators").status_code == 303
    assert "did not match" in try_sign_in(browser, "new.analyst@demo.example", "Analyst1234!").text
    sign_in(browser, OWNER)
    assert post(browser, "operators/enable", {"operator": ident}, "operators").status_code == 303
    sign_in(browser, ("new.analyst@demo.example", "Analyst1234!"))
    sign_in(browser, OWNER)
    audit = browser.get(f"{CONSOLE}/audit").text
    for action in ("add_operator", "disable_operator", "enable_operator"):
        assert action in audit
    assert "Analyst1234!" not in audit


def test_an_owner_cannot_disable_themselves(browser: TestClient) -> None:
    sign_in(browser, OWNER)
    page = browser.get(f"{CONSOLE}/operators").text
    owner_id = re.search(
        r'<option value="(\d+)">owner@demo.example', browser.get(f"{CONSOLE}/audit").text
    )
    assert owner_id and "Disable owner@demo.example" not in page
    reply = post(browser, "operators/disable", {"operator": owner_id.group(1)}, "operators")
    assert reply.status_code == 400 and "cannot disable themselves" in reply.text


def test_only_owners_manage_operators(browser: TestClient) -> None:
    sign_in(browser, CSR)
    assert "Operators</a>" not in browser.get(f"{CONSOLE}/guests").text
    assert browser.get(f"{CONSOLE}/operators").status_code == 403
    fields = {"email": "x@demo.example", "role": "owner", "password": "Sneaky12345!"}
    assert post(browser, "operators/add", fields, "guests").status_code == 403
    assert "did not match" in try_sign_in(browser, "x@demo.example", "Sneaky12345!").text


def test_owners_need_a_second_factor_when_the_program_says_so(client: TestClient) -> None:
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    now = client.app.state.runtime.clock.now()  # type: ignore[attr-defined]

    async def sign_in_owner(required: bool, who: tuple[str, str]) -> None:
        async with unit_of_work(engine) as uow:
            program = await uow.programs.load(1000)
            program = replace(program, console=ConsoleConfig(require_totp_for_owners=required))
            await operators.sign_in(uow, program, *who, "", now, None)

    assert client.portal is not None
    client.portal.call(sign_in_owner, False, OWNER)
    client.portal.call(sign_in_owner, True, CSR)  # not an owner: no second factor needed
    with pytest.raises(Refused):
        client.portal.call(sign_in_owner, True, OWNER)
