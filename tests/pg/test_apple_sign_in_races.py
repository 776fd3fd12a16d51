"""Identical first sign-ins with Apple at the same moment (a double tap, a retried post):
the unique Apple id decides who enrols, and no call answers 500.

On the website every browser ends signed in as the one guest enrolled; through the API
one createAndRegister links the Apple id and the others are told it is linked. Run as
test_races.py runs its races (a second application, calls fired at once).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from openpxs.store.tables import external_accounts, users
from tests.api.guests import user_fields
from tests.api.pos import APP
from tests.fakes.apple_id import APP_ID, CLIENT_ID, TEAM_ID, FakeAppleId, hashed
from tests.pg.test_coupon_races import program_applied
from tests.pg.test_races import Pos, outcome, race, race_url

__all__ = ["race_url"]

SITE = "/m/1000/guest"
AT_ONCE = 6


def with_apple(apple_id: FakeAppleId) -> Any:
    def edit(data: dict[str, Any]) -> None:
        data["guest"]["website"]["apple"] = {
            "client_id": CLIENT_ID,
            "team_id": TEAM_ID,
            "authorize_url": apple_id.authorize_url,
            "keys_url": apple_id.keys_url,
        }
        data["guest"]["apple"] = {"client_ids": [APP_ID], "keys_url": apple_id.keys_url}

    return edit


async def linked(pos: Pos, subject: str) -> int:
    return await pos.count(external_accounts, external_accounts.c.account_code == subject)


def test_identical_first_sign_ins_on_the_website_enrol_one_guest(
    race_url: str, apple_id: FakeAppleId
) -> None:
    async def browser(pos: Pos) -> tuple[httpx.AsyncClient, dict[str, str]]:
        http = httpx.AsyncClient(transport=pos.http._transport, base_url="http://test")
        sent = await http.get(f"{SITE}/apple/signin")
        assert sent.status_code == 303, sent.text
        query = parse_qs(urlsplit(sent.headers["location"]).query)
        return http, {k: v[0] for k, v in query.items()}

    async def back_from_apple(http: httpx.AsyncClient, query: dict[str, str]) -> httpx.Response:
        name = json.dumps({"name": {"firstName": "Apple", "lastName": "Guest"}})
        form = {"state": query["state"], "id_token": apple_id.token(query["nonce"]), "user": name}
        return await http.post(f"{SITE}/apple/callback", data=form)

    async def scenario(pos: Pos) -> None:
        users_before = await pos.count(users)
        browsers = [await browser(pos) for _ in range(AT_ONCE)]
        replies = await asyncio.gather(*(back_from_apple(h, q) for h, q in browsers))
        assert [r.status_code for r in replies] == [303] * AT_ONCE, [r.text for r in replies]
        assert {r.headers["location"] for r in replies} == {f"{SITE}/account"}
        assert await pos.count(users) == users_before + 1
        assert await linked(pos, apple_id.subject) == 1
        for http, _ in browsers:
            assert "Welcome, Apple" in (await http.get(f"{SITE}/account")).text
            await http.aclose()

    with program_applied(race_url, with_apple(apple_id)):
        race(race_url, scenario)


def test_identical_enrolments_with_one_apple_id_link_it_once(
    race_url: str, apple_id: FakeAppleId
) -> None:
    nonce = secrets.token_urlsafe(16)
    token = apple_id.token(hashed(nonce), aud=APP_ID)

    def body(n: int) -> dict[str, Any]:
        pair = {"externalIdentifier": "apple", "accountCode": apple_id.subject}
        return {
            "authentication": "anonymous",
            "merchantId": 1000,
            "cardTemplateCode": 1,
            "setUserFields": user_fields(f"racer{n}"),
            "setAccountFields": {"style": "typed", "externalAccounts": [pair]},
            "id_token": token,
            "nonce": nonce,
        }

    async def create(pos: Pos, n: int) -> dict[str, Any]:
        reply = await pos.http.post(
            "/rest/24.11/enrollment/createAndRegister.json", json=body(n), auth=APP
        )
        assert reply.status_code == 200, reply.text
        data: dict[str, Any] = reply.json()
        return data

    async def scenario(pos: Pos) -> None:
        users_before = await pos.count(users)
        replies = await asyncio.gather(*(create(pos, n) for n in range(AT_ONCE)))
        assert Counter(map(outcome, replies)) == {
            "cardCreatedSuccess": 1,
            "enrollment.field_validation": AT_ONCE - 1,
        }
        codes = {
            r["errorsByField"]["setAccountFields/externalAccounts"][0]["code"]
            for r in replies
            if r["result"] != "cardCreatedSuccess"
        }
        assert codes == {"already_linked"}
        assert await pos.count(users) == users_before + 1
        assert await linked(pos, apple_id.subject) == 1
        signed_in = await pos.http.post(
            "/rest/24.11/oauth/requestGuestToken.json",
            json={
                "merchantId": 1000,
                "grant_type": "http://paytronix.com/oauth/apple",
                "id_token": token,
                "nonce": nonce,
            },
            auth=APP,
        )
        winner = next(r for r in replies if r["result"] == "cardCreatedSuccess")
        assert signed_in.json()["username"] == f"racer{replies.index(winner)}"

    with program_applied(race_url, with_apple(apple_id)):
        race(race_url, scenario)
