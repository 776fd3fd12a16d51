"""A reset code by text message on the guest website, over HTTP: offered when the program
sends reset codes by SMS (guest.messages.reset_by_sms), texted through the outbox to
the account's mobile phone, and answered exactly as an e-mailed code is whatever the
account has, so the form tells nothing about who has an account or a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.guests import enroll
from tests.api.test_guestmanagement import NEW_PASSWORD
from tests.api.test_onetimepassword import outbox_messages
from tests.program_config import program_editor
from tests.web.site import SITE, submit

pytestmark = pytest.mark.usefixtures("quiet_worker")

PHONE = "(617) 555-0100"


def texts(client: TestClient) -> list[dict[str, Any]]:
    return [m for m in outbox_messages(client, "sms") if "password reset code" in m["body"]]


def texted_code(client: TestClient) -> str:
    found = re.search(r"reset code: (\S+) ", texts(client)[-1]["body"])
    assert found is not None
    return found.group(1)


def ask(client: TestClient, identifier: str, channel: str) -> tuple[int, str]:
    reply = submit(client, "forgot", {"identifier": identifier, "channel": channel})
    return reply.status_code, reply.headers.get("location", reply.text)


def test_a_texted_code_sets_a_new_password(site: TestClient) -> None:
    enroll(site, "ada", mobilePhone=[PHONE])
    form = site.get(f"{SITE}/forgot").text
    assert "<legend>Send the code by</legend>" in form
    assert 'id="channel-sms" name="channel" type="radio" value="sms"' in form

    assert ask(site, "ada", "sms") == (303, f"{SITE}/reset?sent=1")
    [sent] = texts(site)
    assert sent["recipient"] == PHONE and sent["subject"] is None
    assert not [m for m in outbox_messages(site, "email") if "Reset your" in m["subject"]]
    done = submit(site, "reset", {"code": texted_code(site), "password": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == f"{SITE}/signin?reset=1"
    signed_in = submit(site, "signin", {"username": "ada", "password": NEW_PASSWORD})
    assert signed_in.status_code == 303


def test_no_phone_and_no_account_get_the_same_answer(site: TestClient) -> None:
    enroll(site, "ada", mobilePhone=[PHONE])
    enroll(site, "bob")  # no mobile phone
    answers = {ask(site, name, "sms") for name in ("ada", "bob", "nobody", "ada@example.com")}
    assert answers == {(303, f"{SITE}/reset?sent=1")}
    # Ada was texted twice (by username and by address); nobody else was sent anything.
    assert [m["recipient"] for m in texts(site)] == [PHONE, PHONE]
    assert not [m for m in outbox_messages(site, "email") if "Reset your" in m["subject"]]
    # The e-mail stays the default.
    assert ask(site, "bob", "email") == (303, f"{SITE}/reset?sent=1")
    assert [m["recipient"] for m in outbox_messages(site, "email")][-1] == "bob@example.com"
    status, text = ask(site, "", "sms")
    assert (
        status == 400 and 'id="channel-sms" name="channel" type="radio" value="sms" checked' in text
    )


def test_without_sms_in_the_program_the_code_is_mailed(site: TestClient) -> None:
    enroll(site, "ada", mobilePhone=[PHONE])
    with program_editor(site) as change:
        change(lambda data: data["guest"]["messages"].update(reset_by_sms=False))
        assert "Send the code by" not in site.get(f"{SITE}/forgot").text
        assert ask(site, "ada", "sms") == (303, f"{SITE}/reset?sent=1")
    assert texts(site) == []
    mails = [m for m in outbox_messages(site, "email") if "Reset your" in m["subject"]]
    assert [m["recipient"] for m in mails] == ["ada@example.com"]


def test_the_form_needs_its_csrf_token(site: TestClient) -> None:
    enroll(site, "ada", mobilePhone=[PHONE])
    site.get(f"{SITE}/forgot")
    forged = site.post(
        f"{SITE}/forgot", data={"identifier": "ada", "channel": "sms"}, follow_redirects=False
    )
    assert forged.status_code == 403 and texts(site) == []
