"""Guessing limits as a stranger holding only the app's public credential meets them.

Wrong passwords and registration codes are counted per subject from each client
address, per subject from every address, per address, and per range of card numbers
(services/guessing.py, docs/security.md). What one address guesses slows and then
refuses that address; it never locks another address's guest out, and a backoff ends:
the right answer after it works. The replies never tell a known username or card from
an unknown one.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.clock import ShiftedClock
from openpxs.domain.social_groups import new_invitation_code
from openpxs.store.tables import sign_in_failures
from openpxs.wire.sources import ClientAddresses, proxies_from
from tests.api.guests import (
    APP,
    PASSWORD,
    POS,
    as_guest,
    b2b,
    body_of,
    enroll,
    gpost,
    rest,
    slower_each_time,
    user_fields,
)
from tests.api.pos import LOYALTY, LOYALTY2, activate, run_db
from tests.api.security import OTHER_APP, ensure_integrations, fresh_token, guest_a

PER_ADDRESS = 5  # max_failed_sign_ins and max_card_guesses
PER_SUBJECT = 20  # max_subject_failures
PER_SOURCE = 30  # max_source_failures
FIRST_BACKOFF = timedelta(seconds=30)
WRONG = "Wr0ng-passw0rd"
NOT_A_CARD = "7999999999999999"
STRANGER = "198.51.100.66"
GUEST_HOME = "203.0.113.10"


def from_address(
    client: TestClient, address: str, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """One call as it arrives from ``address`` (the peer of the connection)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app, client=(address, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.request(method, path, **kwargs)

    assert client.portal is not None
    return client.portal.call(go)


def password_sign_in(
    client: TestClient, username: str, password: str, address: str = GUEST_HOME
) -> dict[str, Any]:
    body = {
        "merchantId": 1000,
        "authentication": "anonymous",
        "grant_type": "password",
        "username": username,
        "password": password,
    }
    reply = from_address(
        client, address, "POST", rest("oauth", "requestGuestToken"), json=body, auth=APP
    )
    assert reply.status_code == 200, reply.text
    data: dict[str, Any] = reply.json()
    return data


def guest_style(
    client: TestClient, username: str, password: str, address: str = GUEST_HOME
) -> dict[str, Any]:
    params = {"merchantId": 1000, "authentication": "guest", "username": username}
    reply = from_address(
        client,
        address,
        "GET",
        rest("guest", "userInformation"),
        params={**params, "password": password},
        auth=OTHER_APP,
    )
    data: dict[str, Any] = reply.json()
    return data


def card_style(
    client: TestClient, number: str, code: str, address: str = GUEST_HOME
) -> dict[str, Any]:
    params = {
        "merchantId": 1000,
        "authentication": "card",
        "printedCardNumber": number,
        "registrationCode": code,
    }
    reply = from_address(
        client, address, "GET", rest("guest", "accountInformation"), params=params, auth=APP
    )
    data: dict[str, Any] = reply.json()
    return data


def code_of(reply: dict[str, Any]) -> str | None:
    code: str | None = reply.get("errorCode")
    return code


def seconds_left(reply: dict[str, Any]) -> int:
    """The wait a refusal names ("N seconds" or "N minutes"), in seconds."""
    found = re.search(r"(\d+) (second|minute)s?", reply["errorMessage"])
    assert found is not None, reply
    return int(found.group(1)) * (60 if found.group(2) == "minute" else 1)


def signed_in(reply: dict[str, Any]) -> bool:
    return reply.get("result") == "success" and "errorCode" not in reply


def test_a_stranger_guessing_a_password_does_not_lock_the_guest_out(
    client: TestClient, clock: ShiftedClock
) -> None:
    a = guest_a(client)
    answers = [code_of(password_sign_in(client, a.username, WRONG, STRANGER)) for _ in range(50)]
    # The stranger's address backs off after a few tries; the rest are refused at once.
    assert answers[:PER_ADDRESS] == ["could_not_authenticate"] * PER_ADDRESS
    assert set(answers[PER_ADDRESS:]) == {"account_locked"}
    # Even the right password from there waits for the backoff...
    refused = password_sign_in(client, a.username, PASSWORD, STRANGER)
    assert code_of(refused) == "account_locked", refused
    # What is left of the first backoff: the 45 refusals above took real time.
    assert 0 < seconds_left(refused) <= FIRST_BACKOFF.total_seconds(), refused

    # ...while the guest, elsewhere, signs in as usual, and the refusals counted nothing.
    assert signed_in(password_sign_in(client, a.username, PASSWORD))

    # The backoff ends: refusals during it did not stretch it.
    clock.offset = FIRST_BACKOFF + timedelta(seconds=1)
    assert signed_in(password_sign_in(client, a.username, PASSWORD, STRANGER))


def test_the_backoff_doubles_with_each_wrong_try_after_it(
    client: TestClient, clock: ShiftedClock, refusal_waits: list[float]
) -> None:
    a = guest_a(client)
    for _ in range(PER_ADDRESS):
        password_sign_in(client, a.username, WRONG, STRANGER)
    waited = timedelta()
    for step in range(3):
        backoff = FIRST_BACKOFF * 2**step
        waited += backoff
        clock.offset = waited + timedelta(seconds=1)
        assert code_of(password_sign_in(client, a.username, WRONG, STRANGER)) == (
            "could_not_authenticate"
        )
        refused = password_sign_in(client, a.username, PASSWORD, STRANGER)
        # Doubled: 60 seconds, then 2 minutes, then 4 (a loaded machine may take a
        # second or more of it between the two calls).
        doubled = 2 * backoff.total_seconds()
        assert doubled - FIRST_BACKOFF.total_seconds() < seconds_left(refused) <= doubled, refused
    # All along, the guest at home was never refused.
    assert signed_in(password_sign_in(client, a.username, PASSWORD))
    # Each wrong try that was answered waited a little longer than the one before.
    assert refusal_waits == pytest.approx(slower_each_time(PER_ADDRESS + 3))


def test_a_stranger_guessing_card_codes_does_not_stop_the_cardholder(
    client: TestClient, clock: ShiftedClock
) -> None:
    activate(client, LOYALTY)
    activate(client, LOYALTY2)
    answers = [code_of(card_style(client, LOYALTY, f"{n:04d}", STRANGER)) for n in range(50)]
    assert answers[:PER_ADDRESS] == ["system.invalid_card_credentials"] * PER_ADDRESS
    assert set(answers[PER_ADDRESS:]) == {"system.too_many_attempts"}
    assert code_of(card_style(client, LOYALTY, "1234", STRANGER)) == "system.too_many_attempts"

    # The cardholder elsewhere, and any other card, sign in as usual.
    assert signed_in(card_style(client, LOYALTY, "1234"))
    assert signed_in(card_style(client, LOYALTY2, "1234", "203.0.113.99"))
    clock.offset = FIRST_BACKOFF + timedelta(seconds=1)
    assert signed_in(card_style(client, LOYALTY, "1234", STRANGER))


def test_trying_many_cards_from_one_address_stops_that_address(
    client: TestClient, refusal_waits: list[float]
) -> None:
    activate(client, LOYALTY)
    for n in range(PER_SOURCE):
        assert code_of(card_style(client, f"79999999999{n:05d}", "1234", STRANGER)) == (
            "system.invalid_card_credentials"
        )
    # Spraying is counted per address across subjects (passwords too): the address is
    # refused whatever it tries next, right answers included; other addresses are not.
    assert code_of(card_style(client, LOYALTY, "1234", STRANGER)) == "system.too_many_attempts"
    a = guest_a(client)
    assert code_of(password_sign_in(client, a.username, PASSWORD, STRANGER)) == "account_locked"
    assert signed_in(card_style(client, LOYALTY, "1234"))
    # Each card was a first miss of its own: the spray is counted per address, but
    # each reply waits only for the misses at its own card.
    assert refusal_waits == pytest.approx([0.05] * PER_SOURCE)


def test_guessing_one_guest_from_many_addresses_backs_the_guest_off(
    client: TestClient, clock: ShiftedClock, refusal_waits: list[float]
) -> None:
    activate(client, LOYALTY)
    for n in range(PER_SUBJECT):
        card_style(client, LOYALTY, "0000", f"198.51.100.{n + 1}")
    # Too many addresses at one card: it backs off for everyone, for a while only.
    assert code_of(card_style(client, LOYALTY, "1234")) == "system.too_many_attempts"
    assert refusal_waits == pytest.approx(slower_each_time(PER_SUBJECT))
    clock.offset = FIRST_BACKOFF + timedelta(seconds=1)
    assert signed_in(card_style(client, LOYALTY, "1234"))


def test_a_spent_card_range_refuses_only_addresses_that_missed(
    client: TestClient, clock: ShiftedClock
) -> None:
    activate(client, LOYALTY)
    activate(client, LOYALTY2)
    assert code_of(card_style(client, LOYALTY, "0000", STRANGER)) == (
        "system.invalid_card_credentials"
    )

    async def spend(conn: AsyncConnection) -> None:
        # As guess_budget misses from everywhere leave the range, without 1000 calls.
        spent = f"range:{LOYALTY[:-4]}"
        await conn.execute(delete(sign_in_failures).where(sign_in_failures.c.subject == spent))
        await conn.execute(
            insert(sign_in_failures).values(
                merchant_id=1000,
                subject=spent,
                failures=1000,
                window_started_at=clock.now(),
                locked_until=clock.now() + timedelta(minutes=15),
            )
        )

    run_db(client, spend)
    # The address that missed is refused in the whole range, even for another card...
    assert code_of(card_style(client, LOYALTY2, "1234", STRANGER)) == "system.too_many_attempts"
    # ...guests who never missed are not.
    assert signed_in(card_style(client, LOYALTY2, "1234"))
    # A range not spent is open to the address.
    assert code_of(card_style(client, "8000000000000001", "1234", STRANGER)) == (
        "system.invalid_card_credentials"
    )


def test_an_unknown_username_is_answered_and_counted_alike(
    client: TestClient, refusal_waits: list[float]
) -> None:
    a = guest_a(client)
    known = [password_sign_in(client, a.username, WRONG) for _ in range(PER_ADDRESS + 1)]
    unknown = [password_sign_in(client, "nobody.zz", WRONG) for _ in range(PER_ADDRESS + 1)]
    assert known == unknown
    assert [code_of(r) for r in known] == ["could_not_authenticate"] * PER_ADDRESS + [
        "account_locked"
    ]
    # Answered alike down to how long each reply waited.
    assert refusal_waits == pytest.approx(2 * slower_each_time(PER_ADDRESS))


def test_usernames_are_counted_whatever_their_case(client: TestClient) -> None:
    a = guest_a(client)
    for name in (a.username, a.username.upper(), a.username.title(), a.username, a.username):
        assert code_of(password_sign_in(client, name, WRONG)) == "could_not_authenticate"
    assert code_of(password_sign_in(client, a.username, PASSWORD)) == "account_locked"


def test_the_guest_style_counts_toward_the_same_backoff(client: TestClient) -> None:
    ensure_integrations(client)
    a = guest_a(client)
    assert guest_style(client, a.username, PASSWORD)["fields"]["username"] == a.username
    for _ in range(3):
        assert code_of(password_sign_in(client, a.username, WRONG)) == "could_not_authenticate"
    for _ in range(2):
        assert code_of(guest_style(client, a.username, WRONG)) == "could_not_authenticate"
    assert code_of(password_sign_in(client, a.username, PASSWORD)) == "account_locked"
    assert code_of(guest_style(client, a.username, PASSWORD)) == "account_locked"
    assert code_of(guest_style(client, "nobody.zz", WRONG)) == "could_not_authenticate"


def test_an_unknown_card_and_a_wrong_code_are_answered_alike(
    client: TestClient, refusal_waits: list[float]
) -> None:
    activate(client, LOYALTY)
    a = guest_a(client)  # a registered virtual card with a code of its own
    answers = {
        "wrong code": card_style(client, LOYALTY, "9999"),
        "registered card, wrong code": card_style(client, a.card, "x"),
        "unknown card": card_style(client, NOT_A_CARD, "9999"),
        "inactive card, right code": card_style(client, LOYALTY2, "1234"),
    }
    assert len(set(map(repr, answers.values()))) == 1, answers
    assert code_of(answers["unknown card"]) == "system.invalid_card_credentials"

    # An unknown number is counted and backed off like a real one.
    known = [card_style(client, LOYALTY, "9999", STRANGER) for _ in range(PER_ADDRESS + 1)]
    unknown = [card_style(client, NOT_A_CARD, "9999", STRANGER) for _ in range(PER_ADDRESS + 1)]
    assert known == unknown
    assert code_of(known[-1]) == "system.too_many_attempts"
    # Answered alike down to how long each reply waited: the four first misses, then
    # the known card and the unknown one, each with one miss before.
    first, known_waits, unknown_waits = refusal_waits[:4], refusal_waits[4:9], refusal_waits[9:]
    assert first == pytest.approx([0.05] * 4)
    assert known_waits == unknown_waits == pytest.approx([0.1, 0.15, 0.2, 0.25, 0.3])


def test_the_address_behind_a_trusted_proxy_is_the_one_counted(client: TestClient) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    saved = runtime.addresses
    runtime.addresses = ClientAddresses("x-forwarded-for", proxies_from("10.0.0.0/8"))
    try:
        a = guest_a(client)
        body = {
            "merchantId": 1000,
            "authentication": "anonymous",
            "grant_type": "password",
            "username": a.username,
        }

        def through(proxy: str, forwarded: str, password: str) -> dict[str, Any]:
            reply = from_address(
                client,
                proxy,
                "POST",
                rest("oauth", "requestGuestToken"),
                json={**body, "password": password},
                auth=APP,
                headers={"X-Forwarded-For": forwarded},
            )
            data: dict[str, Any] = reply.json()
            return data

        for _ in range(PER_ADDRESS):
            through("10.0.0.5", f"{STRANGER}, 10.1.2.3", WRONG)
        # The stranger behind the proxy backs off; the guest behind the same proxy not.
        assert code_of(through("10.0.0.5", STRANGER, PASSWORD)) == "account_locked"
        assert signed_in(through("10.0.0.5", GUEST_HOME, PASSWORD))
        # A client that is no trusted proxy cannot choose the address it is counted as.
        assert code_of(through(STRANGER, GUEST_HOME, PASSWORD)) == "account_locked"
    finally:
        runtime.addresses = saved


def test_a_guest_style_sign_in_without_an_address_still_counts(client: TestClient) -> None:
    """Calls whose peer is not an IP address (a test client, a Unix socket) share one
    counter rather than escaping the limits."""
    a = guest_a(client)
    for _ in range(PER_ADDRESS):
        gpost(
            client,
            "oauth",
            "requestGuestToken",
            {
                "authentication": "anonymous",
                "grant_type": "password",
                "username": a.username,
                "password": WRONG,
            },
        )
    reply = gpost(
        client,
        "oauth",
        "requestGuestToken",
        {
            "authentication": "anonymous",
            "grant_type": "password",
            "username": a.username,
            "password": PASSWORD,
        },
    ).json()
    assert code_of(reply) == "account_locked"


def test_asking_whether_cards_combine_is_counted_like_attaching(
    client: TestClient, refusal_waits: list[float]
) -> None:
    activate(client, LOYALTY)
    a = guest_a(client)
    token = fresh_token(client, a)

    def can_combine(number: str, address: str) -> dict[str, Any]:
        params = {"merchantId": 1000, **as_guest(token, printedCardNumber=number)}
        reply = from_address(
            client, address, "GET", rest("guest", "canCombineCards"), params=params
        )
        data: dict[str, Any] = reply.json()
        return data

    # Walking card numbers: every miss is a guess from the address.
    for n in range(PER_SOURCE):
        assert code_of(can_combine(f"79999999999{n:05d}", STRANGER)) == "guest.card_not_found"
    # The address is refused now, even for a card that could be combined, with the one
    # code the operation answers; attaching from there is refused as well.
    refused = can_combine(LOYALTY, STRANGER)
    assert code_of(refused) == "guest.card_not_found"
    assert "Too many failed attempts" in refused["errorMessage"]
    attach = from_address(
        client,
        STRANGER,
        "POST",
        rest("guest", "attachCard"),
        json={
            "merchantId": 1000,
            **as_guest(token, printedCardNumber=LOYALTY, registrationCode="1234"),
        },
    ).json()
    assert "Too many failed attempts" in attach["errorMessage"], attach
    # The guest elsewhere is not held back.
    assert can_combine(LOYALTY, GUEST_HOME) == {"result": "success", "canCombine": True}
    # Each card number was a first miss of its own.
    assert refusal_waits == pytest.approx([0.05] * PER_SOURCE)


def test_a_stranger_guessing_activation_codes_does_not_stop_the_cardholder(
    client: TestClient,
) -> None:
    def activate_and_register(code: str, username: str, address: str) -> dict[str, Any]:
        body = {
            "merchantId": 1000,
            "authentication": "anonymous",
            "printedCardNumber": LOYALTY,
            "registrationCode": code,
            "setUserFields": user_fields(username),
        }
        reply = from_address(
            client, address, "POST", rest("enrollment", "activateAndRegister"), json=body, auth=APP
        )
        data: dict[str, Any] = reply.json()
        return data

    answers = [code_of(activate_and_register(f"{n:04d}", "guesser", STRANGER)) for n in range(50)]
    assert answers[:PER_ADDRESS] == ["enrollment.card_not_found"] * PER_ADDRESS
    assert set(answers[PER_ADDRESS:]) == {"system.too_many_attempts"}
    # The holder of the card, elsewhere, activates it with the code printed on it.
    assert activate_and_register("1234", "holder", GUEST_HOME)["result"] == "success"


# --- social group invitation codes --------------------------------------------------


def invitation_code(client: TestClient) -> str:
    """A shareable invitation to a group ada owns; bob is enrolled to try codes."""
    enroll(client, "ada")
    made = body_of(
        gpost(client, "socialgroup", "createGroup", b2b(username="ada", name="Club"), auth=POS)
    )
    shared = body_of(
        gpost(
            client,
            "socialgroup",
            "createInvitationMessage",
            b2b(username="ada", groupCode=made["group"]["groupCode"]),
            auth=POS,
        )
    )
    code: str = shared["invitationCode"]
    return code


def wrong_codes(right: str, count: int) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        code = new_invitation_code()
        if code != right and code not in found:
            found.append(code)
    return found


def accept_from(client: TestClient, token: str, code: str, address: str) -> dict[str, Any]:
    body = {"merchantId": 1000, **as_guest(token), "invitationCode": code}
    reply = from_address(
        client, address, "POST", rest("socialgroup", "acceptInvitation"), json=body, auth=APP
    )
    data: dict[str, Any] = reply.json()
    return data


def test_guessing_invitation_codes_from_one_address_stops_that_address(
    client: TestClient,
) -> None:
    right = invitation_code(client)
    token = enroll(client, "bob")["oauthTokens"]["access_token"]
    answers = [
        code_of(accept_from(client, token, code, STRANGER))
        for code in wrong_codes(right, PER_ADDRESS)
    ]
    assert set(answers) == {"social_group.invitation_not_found"}
    backed_off = accept_from(client, token, right, STRANGER)
    assert code_of(backed_off) == "social_group.too_many_attempts", backed_off
    assert 0 < seconds_left(backed_off) <= FIRST_BACKOFF.seconds
    # The stranger's misses do not stop the guest at another address.
    joined = accept_from(client, token, right, GUEST_HOME)
    assert joined["result"] == "success", joined


def test_a_back_end_guessing_codes_for_one_guest_backs_that_guest_off(
    client: TestClient, clock: ShiftedClock
) -> None:
    right = invitation_code(client)
    enroll(client, "bob")

    def accept(code: str) -> dict[str, Any]:
        body = b2b(username="bob", invitationCode=code)
        return body_of(gpost(client, "socialgroup", "acceptInvitation", body, auth=POS))

    for code in wrong_codes(right, PER_SUBJECT):
        assert code_of(accept(code)) == "social_group.invitation_not_found"
    refused = accept(right)
    assert code_of(refused) == "social_group.too_many_attempts", refused
    clock.offset = FIRST_BACKOFF + timedelta(seconds=1)
    assert accept(right)["result"] == "success"
