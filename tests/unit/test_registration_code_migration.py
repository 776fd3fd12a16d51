"""Revision 0005 keeps registration codes only as keyed digests, and drops the bodies
of outbox messages already sent (they carried one-time codes)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from openpxs.domain.cards import Card, CardStatus, registration_code_matches
from openpxs.security import seal_registration_code
from openpxs.store.db import create_engine, migrate
from openpxs.store.migrations.runner import alembic_config
from openpxs.store.repositories.outbox import REMOVED_BODY
from tests.unit.test_coupon_slot_migration import empty_url  # noqa: F401  (the fixture)

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)
# id -> (number, code as stored before the upgrade)
CARDS = {
    1: ("7000000000000001", "1234"),
    2: ("7000000000000002", "1234"),
    3: ("7000000000000003", None),
    4: ("7000000000000004", seal_registration_code("7000000000000004", "5678")),  # sealed
}


def _at_0004_with_cards_and_mail(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "0004")
    for card_id, (number, code) in CARDS.items():
        connection.execute(
            text(
                "INSERT INTO cards (merchant_id, id, printed_card_number, registration_code,"
                " template_code, status) VALUES (1000, :id, :n, :code, 2, 'inactive')"
            ),
            {"id": card_id, "n": number, "code": code},
        )
    for message_id, sent in ((1, AT), (2, None)):
        connection.execute(
            text(
                "INSERT INTO outbox (merchant_id, id, channel, recipient, subject, body,"
                " created_at, attempts, next_attempt_at, sent_at)"
                " VALUES (1000, :id, 'sms', '6175550100', NULL, :body, :at, 0, :at, :sent)"
            ),
            {
                "id": message_id,
                "body": f"123456 is your code ({message_id})",
                "at": AT,
                "sent": sent,
            },
        )


def test_the_upgrade_seals_codes_and_empties_sent_messages(empty_url: str) -> None:  # noqa: F811
    async def run() -> tuple[dict[int, Any], dict[int, str]]:
        engine = create_engine(empty_url)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(_at_0004_with_cards_and_mail)
                await conn.commit()
            await migrate(engine)
            async with engine.connect() as conn:
                codes = await conn.execute(text("SELECT id, registration_code FROM cards"))
                bodies = await conn.execute(text("SELECT id, body FROM outbox"))
                return (
                    {row.id: row.registration_code for row in codes},
                    {row.id: row.body for row in bodies},
                )
        finally:
            await engine.dispose()

    stored, bodies = asyncio.run(run())
    assert "1234" not in (stored[1] or "") and stored[1] != stored[2]  # same code, two cards
    assert stored[3] is None
    assert stored[4] == CARDS[4][1]  # already sealed: left as it was

    def card(card_id: int) -> Card:
        number = CARDS[card_id][0]
        return Card(card_id, number, stored[card_id], 2, CardStatus.INACTIVE, None)

    assert registration_code_matches(card(1), "1234") and registration_code_matches(card(2), "1234")
    assert not registration_code_matches(card(1), "1235")
    assert registration_code_matches(card(4), "5678")
    assert bodies == {1: REMOVED_BODY, 2: "123456 is your code (2)"}
