"""What a copy of the database shows of guests' codes: registration codes only as keyed
digests, one-time codes only as keyed digests, and no sent message's body."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.clock import ShiftedClock
from openpxs.messaging import deliver_due
from openpxs.store.repositories.outbox import REMOVED_BODY
from openpxs.store.tables import cards, outbox, verification_codes
from tests.api.guests import enroll, gget
from tests.api.pos import LOYALTY, activate, run_db
from tests.api.test_onetimepassword import PHONE, otp_grant, send, texted_code


def test_printed_registration_codes_are_not_stored(client: TestClient) -> None:
    async def stored(conn: AsyncConnection) -> list[str | None]:
        return list((await conn.execute(select(cards.c.registration_code))).scalars())

    codes = run_db(client, stored)
    assert codes and "1234" not in codes  # the demo's cards are all printed with 1234
    assert all(code is None or code.startswith("rc1$") for code in codes)
    # The code printed on the card still proves it.
    activate(client, LOYALTY)
    reply = gget(
        client,
        "guest",
        "accountInformation",
        {"authentication": "card", "printedCardNumber": LOYALTY, "registrationCode": "1234"},
    ).json()
    assert reply["result"] == "success", reply


def test_a_sent_message_keeps_no_code(client: TestClient, clock: ShiftedClock) -> None:
    enroll(client, "ada", mobilePhone=[PHONE])
    send(client)
    code = texted_code(client)

    async def deliver() -> int:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        transport = client.app.state.transport  # type: ignore[attr-defined]
        return await deliver_due(runtime.engine, transport, clock.now() + timedelta(seconds=1))

    assert client.portal is not None
    client.portal.call(deliver)  # (the app's own worker may have been first)

    async def rows(conn: AsyncConnection) -> tuple[list[str], list[str]]:
        bodies = list((await conn.execute(select(outbox.c.body))).scalars())
        digests = list((await conn.execute(select(verification_codes.c.code_hash))).scalars())
        return bodies, digests

    bodies, digests = run_db(client, rows)
    assert bodies == [REMOVED_BODY]
    assert not any(code in digest for digest in digests)
    # Delivered, and the code still works.
    assert code in client.app.state.transport.sent[-1].body  # type: ignore[attr-defined]
    assert otp_grant(client, PHONE, code)["access_token"]
