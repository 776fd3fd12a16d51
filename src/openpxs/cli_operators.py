"""``openpxs operators ...``: the staff who sign in to the operator console."""

from __future__ import annotations

import typer
from rich.console import Console

from openpxs.cli_support import (
    CommandFailure,
    DatabaseOption,
    ExitCode,
    command_group,
    open_database,
    reported_failures,
    run,
)
from openpxs.cli_support import settings as cli_settings

operators_app = command_group("Operators of the console (/console/).")
console = Console(soft_wrap=True, highlight=False)

MerchantOption = typer.Option(..., "--merchant", metavar="ID", help="Merchant id.")


def _url(database: str | None) -> str:
    with reported_failures(database):
        return cli_settings(database).database_url


@operators_app.command("add")
def operators_add(
    email: str = typer.Option(
        ..., "--email", metavar="EMAIL", help="The operator's e-mail (the sign-in name)."
    ),
    merchant: int = MerchantOption,
    role: str = typer.Option(..., "--role", metavar="ROLE", help="owner, manager, csr or analyst."),
    password: str = typer.Option(
        ...,
        "--password",
        metavar="PASSWORD",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 10 characters; asked for when not given.",
    ),
    totp: bool = typer.Option(
        False, "--totp", help="Set up a second factor and print its otpauth:// address."
    ),
    database: str | None = DatabaseOption,
) -> None:
    """Add an operator of a merchant.

    With --totp the operator signs in with a code from an authenticator app too; the
    address to scan is printed once.
    """
    from openpxs.domain.clock import Clock
    from openpxs.domain.errors import DomainError
    from openpxs.domain.operators import parse_role, totp_uri
    from openpxs.services.operators import NewOperator, add_operator
    from openpxs.store.uow import unit_of_work

    async def add(url: str) -> NewOperator:
        engine = await open_database(url)
        try:
            async with unit_of_work(engine) as uow:
                try:
                    return await add_operator(
                        uow,
                        merchant,
                        email,
                        password,
                        parse_role(role),
                        Clock().now(),
                        with_totp=totp,
                    )
                except DomainError as refusal:
                    raise CommandFailure(ExitCode.CONFIGURATION, str(refusal)) from None
        finally:
            await engine.dispose()

    url = _url(database)
    added = run(url, add(url))
    console.print(
        f"added {added.operator.email} ({added.operator.role.value}) to merchant {merchant}"
    )
    if added.totp_secret is not None:
        console.print(
            f"second factor: {totp_uri(added.totp_secret, added.operator.email, 'OpenPXS')}"
        )


@operators_app.command("list")
def operators_list(merchant: int = MerchantOption, database: str | None = DatabaseOption) -> None:
    """List a merchant's operators: e-mail, role, second factor, enabled, created."""
    from openpxs.domain.errors import DomainError
    from openpxs.domain.operators import Operator
    from openpxs.services.operators import operators_of
    from openpxs.store.uow import reading

    async def read(url: str) -> list[Operator]:
        engine = await open_database(url)
        try:
            async with reading(engine) as uow:
                try:
                    return await operators_of(uow, merchant)
                except DomainError as refusal:
                    raise CommandFailure(ExitCode.CONFIGURATION, str(refusal)) from None
        finally:
            await engine.dispose()

    url = _url(database)
    for op in run(url, read(url)):
        factor = "totp" if op.totp_secret else "-"
        state = "enabled" if op.enabled else "disabled"
        created = op.created_at.strftime("%Y-%m-%d")
        typer.echo(f"{op.email}\t{op.role.value}\t{factor}\t{state}\t{created}")


@operators_app.command("disable")
def operators_disable(
    email: str = typer.Option(..., "--email", metavar="EMAIL", help="The operator's e-mail."),
    merchant: int = MerchantOption,
    database: str | None = DatabaseOption,
) -> None:
    """Disable an operator: their sessions end now and they can no longer sign in."""
    from openpxs.domain.clock import Clock
    from openpxs.domain.errors import DomainError
    from openpxs.services.operators import set_enabled
    from openpxs.store.uow import unit_of_work

    async def disable(url: str) -> None:
        engine = await open_database(url)
        try:
            async with unit_of_work(engine) as uow:
                try:
                    await set_enabled(uow, merchant, email, False, Clock().now())
                except DomainError as refusal:
                    raise CommandFailure(ExitCode.CONFIGURATION, str(refusal)) from None
        finally:
            await engine.dispose()

    url = _url(database)
    run(url, disable(url))
    console.print(f"disabled {email.strip().lower()} at merchant {merchant}")
