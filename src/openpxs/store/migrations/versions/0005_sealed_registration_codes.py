"""sealed registration codes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 09:20:00.000000

Registration codes were kept as printed; from this revision only a keyed digest of
each is kept (openpxs.security.seal_registration_code, under settings.secret_key).
The codes already stored are sealed here, in batches; the column keeps its type. The
bodies of outbox messages already sent, which carried one-time codes, are removed. A
downgrade cannot bring either back.
"""

import sqlalchemy as sa
from alembic import op

from openpxs.security import SEALED_PREFIX, seal_registration_code

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 5000
_cards = sa.table(
    "cards",
    sa.column("merchant_id", sa.Integer),
    sa.column("id", sa.BigInteger),
    sa.column("printed_card_number", sa.String),
    sa.column("registration_code", sa.String),
)


def upgrade() -> None:
    conn = op.get_bind()
    # Messages already sent (or given up) keep no body: it carried one-time codes.
    conn.execute(
        sa.text(
            "UPDATE outbox SET body = :removed WHERE sent_at IS NOT NULL OR failed_at IS NOT NULL"
        ),
        {"removed": "(removed once sent)"},
    )
    after = (-1, -1)
    while True:
        rows = conn.execute(
            sa.select(
                _cards.c.merchant_id,
                _cards.c.id,
                _cards.c.printed_card_number,
                _cards.c.registration_code,
            )
            .where(
                _cards.c.registration_code.is_not(None),
                _cards.c.registration_code != "",
                sa.tuple_(_cards.c.merchant_id, _cards.c.id) > sa.tuple_(*after),
            )
            .order_by(_cards.c.merchant_id, _cards.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            if row.registration_code.startswith(SEALED_PREFIX):
                continue
            conn.execute(
                sa.update(_cards)
                .where(_cards.c.merchant_id == row.merchant_id, _cards.c.id == row.id)
                .values(
                    registration_code=seal_registration_code(
                        row.printed_card_number, row.registration_code
                    )
                )
            )
        after = (rows[-1].merchant_id, rows[-1].id)


def downgrade() -> None:
    """The codes cannot be recovered from their digests: nothing to undo."""
