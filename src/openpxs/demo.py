"""The demo merchants (1000 and 2000) that client developers script against, and the
registered demo guest of merchant 1000."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from openpxs.config import DEMO_CONFIG_FILES
from openpxs.config.loader import load_config
from openpxs.config.model import MerchantConfig
from openpxs.demo_wallet import ensure_demo_wallet_keys
from openpxs.domain.cards import CardRef
from openpxs.domain.moves import Move
from openpxs.domain.operators import Role
from openpxs.domain.stamp import CallStamp
from openpxs.services import activation, enrollment, new_accounts, operators, wallet_moves
from openpxs.store.config_apply import apply_config
from openpxs.store.db import create_engine, migrate
from openpxs.store.uow import UnitOfWork, unit_of_work

DEMO_MERCHANT = 1000
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "DemoPass123!"
DEMO_CARD = "7000000000000001"
LOYALTY_TEMPLATE = 1
POINTS_WALLET = 2
# The demo's console operators (no second factor): e-mail, password, role.
DEMO_OPERATORS = (
    ("owner@demo.example", "DemoOwner123!", Role.OWNER),
    ("csr@demo.example", "DemoCsr123!", Role.CSR),
)
# (days ago, store, points added, points redeemed): 150 earned, 30 spent = 120 points.
DEMO_HISTORY = ((21, "1001", 60, 0), (14, "1002", 50, 0), (7, "1001", 40, 0), (2, "1002", 0, 30))


async def install_demo(database_url: str, public_url: str | None = None) -> int:
    """Apply the demo configuration and the demo guest (idempotent); returns how many
    cards were new. ``public_url``: where the demo is served, for the links to its
    Apple Wallet passes."""
    # The wallet passes' test certificates and key (not Apple- or Google-issued) that
    # merchant-1000.yaml names.
    ensure_demo_wallet_keys()
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        created = 0
        for path in DEMO_CONFIG_FILES:
            async with engine.begin() as conn:
                config = served_at(load_config(path), public_url)
                text = path.read_text(encoding="utf-8")
                report = await apply_config(
                    conn, config, datetime.now(UTC), source=text, applied_by="demo"
                )
                created += report.new_cards
        async with unit_of_work(engine) as uow:
            await install_demo_guest(uow, datetime.now(UTC))
            await install_demo_operators(uow, datetime.now(UTC))
        return created
    finally:
        await engine.dispose()


# Where the demo files say the demo is served; links under it follow the demo to the
# address it is started at.
DEMO_URL = "http://127.0.0.1:8080"


def served_at(config: MerchantConfig, public_url: str | None) -> MerchantConfig:
    """The program with its passes' web service and its reset link at ``public_url``
    (the port the demo was started on), when given."""
    if public_url is None:
        return config
    messages = config.guest.messages
    if messages.reset_link.startswith(DEMO_URL + "/"):
        moved_link = public_url + messages.reset_link.removeprefix(DEMO_URL)
        guest = config.guest.model_copy(
            update={"messages": messages.model_copy(update={"reset_link": moved_link})}
        )
        config = config.model_copy(update={"guest": guest})
    apple = config.wallet_passes.apple
    if apple is None:
        return config
    moved = apple.model_copy(update={"web_service_url": public_url})
    passes = config.wallet_passes.model_copy(update={"apple": moved})
    return config.model_copy(update={"wallet_passes": passes})


async def install_demo_guest(uow: UnitOfWork, now: datetime) -> bool:
    """Register guest ``demo`` on loyalty card 7000000000000001 with 120 points and a
    short history; False when the guest is already there."""
    if await uow.users.by_unique(DEMO_MERCHANT, "username", DEMO_USERNAME) is not None:
        return False
    program = await uow.programs.load(DEMO_MERCHANT)
    where = CallStamp(
        merchant_id=DEMO_MERCHANT,
        store_code="corp",
        terminal_id=None,
        operator_id=None,
        pos_transaction_id=None,
        pos_datetime=None,
        integration_id=None,
        now=now - timedelta(days=30),
    )
    card = CardRef(DEMO_CARD)
    activated = await activation.activate(uow, program, where, card, "PX")
    assert activated.view is not None
    for days_ago, store, added, redeemed in DEMO_HISTORY:
        await wallet_moves.add_redeem(
            uow,
            program,
            replace(where, store_code=store, now=now - timedelta(days=days_ago)),
            card,
            "LP",
            [Move(POINTS_WALLET, str(added))] if added else [],
            [Move(POINTS_WALLET, str(redeemed))] if redeemed else [],
        )
    template = program.templates[LOYALTY_TEMPLATE]
    await enrollment.register_user(
        uow,
        program,
        template,
        activated.view.account_id,
        {
            "username": DEMO_USERNAME,
            "password": DEMO_PASSWORD,
            "firstName": "Demo",
            "lastName": "Guest",
            "email": "demo@example.com",
            "mobilePhone": "6175550123",
            "dateOfBirth": "1990-05-17",
            "postalCode": "02108",
            "optIn": True,
        },
        None,
        now,
    )
    await new_accounts.set_account_fields(
        uow, DEMO_MERCHANT, activated.view.account_id, {"favoriteStore": {"code": "1001"}}
    )
    return True


async def install_demo_operators(uow: UnitOfWork, now: datetime) -> None:
    """The owner and the CSR of merchant 1000's console (kept when already there)."""
    for email, password, role in DEMO_OPERATORS:
        await operators.ensure_operator(uow, DEMO_MERCHANT, email, password, role, now)
