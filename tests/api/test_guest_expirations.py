"""guest/accountInformation.json tells, for each wallet with value that expires, how
much lapses on which day (soonest first), as the guest website's account page does."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from openpxs.domain.clock import ShiftedClock, local_date
from tests.api.guests import as_guest, body_of, enroll, gget
from tests.api.pos import add_redeem, ok, sv


def test_expiring_value_is_listed_by_day_on_its_wallet(
    client: TestClient, clock: ShiftedClock
) -> None:
    created = enroll(client, "ada")
    card, token = created["printedCardNumber"], created["oauthTokens"]["access_token"]
    today = local_date(clock.now(), "America/New_York")
    soon, later = today + timedelta(days=5), today + timedelta(days=50)

    def on(day: object) -> dict[str, object]:
        return {"expiration": {"date": str(day), "type": "absolute"}}

    ok(add_redeem(client, card, add=sv(10, 2), program="LP"))
    ok(add_redeem(client, card, add=sv(7, 2, **on(later)), program="LP"))
    ok(add_redeem(client, card, add=sv(3, 2, **on(soon)) + sv(2, 2, **on(soon)), program="LP"))
    ok(add_redeem(client, card, add=sv(1, 3, **on(later)), program="LP"))
    asked = as_guest(token, printedCardNumber=card)
    info = body_of(gget(client, "guest", "accountInformation", asked, auth=None))
    by_code = {b["walletCode"]: b for b in info["walletBalances"]}
    assert by_code[2]["balance"] == "22"
    assert by_code[2]["expirations"] == [
        {"expirationDate": soon.isoformat(), "quantity": "5"},
        {"expirationDate": later.isoformat(), "quantity": "7"},
    ]
    assert info["rewardBalances"][0]["expirations"] == [
        {"expirationDate": later.isoformat(), "quantity": "1"}
    ]
    [points] = [b for b in info["pointBalances"] if b["walletCode"] == 2]
    assert points["expirations"] == by_code[2]["expirations"]
    assert by_code[4].get("expirations") is None  # visits: nothing expires
