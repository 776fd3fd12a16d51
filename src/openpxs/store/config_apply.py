"""Writing a merchant's configuration file into the database.

Applying is idempotent: rows are compared with the file and only differences are
written, so applying the same file again changes nothing. Rows the file no longer
mentions stay (transactions and cards still refer to them) and are reported, except
integrations, which are disabled: removing one from the file is how access is revoked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Table, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.config.model import Loc, MerchantConfig
from openpxs.config.redact import redact_secrets
from openpxs.security import hash_secret, verify_secret
from openpxs.store.card_issue import issue_cards
from openpxs.store.program_rows import rows_of
from openpxs.store.repositories import programs as program_cache
from openpxs.store.tables import (
    card_templates,
    integrations,
    merchants,
    program_sources,
    programs,
    stores,
    wallets,
)

# The tables a program's configuration fills (and the files it was applied from);
# everything else is written by calls. Card ranges fill ``cards`` too, which calls then
# change (activation, exchange, ...).
CONFIGURATION_TABLES = (
    merchants,
    programs,
    card_templates,
    wallets,
    stores,
    integrations,
    program_sources,
)


class ConfigApplyError(ValueError):
    """The file is valid on its own but conflicts with what the database holds."""

    def __init__(self, loc: Loc, reason: str) -> None:
        super().__init__(reason)
        self.loc = loc
        self.reason = reason


@dataclass
class Changes:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    # In the database for this merchant but no longer in the file.
    not_in_file: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


@dataclass
class ApplyReport:
    merchant_id: int
    merchant_created: bool = False
    merchant_updated: bool = False
    sections: dict[str, Changes] = field(default_factory=dict)
    disabled_integrations: list[str] = field(default_factory=list)
    new_cards: int = 0

    @property
    def changed(self) -> bool:
        return (
            self.merchant_created
            or self.merchant_updated
            or any(c.changed for c in self.sections.values())
            or bool(self.disabled_integrations)
            or self.new_cards > 0
        )


async def apply_config(
    conn: AsyncConnection,
    config: MerchantConfig,
    now: datetime,
    progress: Callable[[int], None] | None = None,
    *,
    source: str | None = None,
    applied_by: str = "cli",
) -> ApplyReport:
    """Bring the merchant's rows in line with ``config`` inside the caller's transaction.

    ``progress`` receives the number of card numbers handled so far over all ranges.
    ``source``: the file's text ``config`` was read from, kept (secrets replaced by their
    hashes) with the version it produced and ``applied_by``.
    Raises ConfigApplyError (before writing anything) when an integration identifier
    already belongs to another merchant.
    """
    mid = config.merchant.id
    report = ApplyReport(merchant_id=mid)
    existing_integrations = await _integrations_in_play(conn, config)

    row = (
        await conn.execute(select(merchants).where(merchants.c.merchant_id == mid))
    ).one_or_none()
    desired = rows_of(config)
    merchant_values = desired.merchant
    if row is None:
        await conn.execute(
            merchants.insert().values(merchant_id=mid, updated_at=now, **merchant_values)
        )
        report.merchant_created = True
    elif _differs(row._mapping, merchant_values):
        await conn.execute(
            update(merchants).where(merchants.c.merchant_id == mid).values(**merchant_values)
        )
        report.merchant_updated = True

    report.sections["programs"] = await _sync(conn, programs, mid, desired.programs)
    report.sections["card_templates"] = await _sync(
        conn, card_templates, mid, desired.card_templates
    )
    report.sections["wallets"] = await _sync(conn, wallets, mid, desired.wallets)
    report.sections["stores"] = await _sync(conn, stores, mid, desired.stores)
    report.sections["integrations"] = await _sync_integrations(
        conn, config, existing_integrations, report
    )

    if report.changed and not report.merchant_created:
        # updated_at tells readers that cache a merchant's program to load it again.
        version = (
            await conn.execute(
                update(merchants)
                .where(merchants.c.merchant_id == mid)
                .values(updated_at=now, config_version=merchants.c.config_version + 1)
                .returning(merchants.c.config_version)
            )
        ).scalar_one()
        # This process sees the change once it commits; other processes within
        # RECHECK_SECONDS.
        program_cache.written(conn.engine, mid, version)

    handled = 0
    for card_range in config.card_ranges:
        base = handled

        def _report(n: int, base: int = base) -> None:
            if progress is not None:
                progress(base + n)

        report.new_cards += await issue_cards(
            conn,
            mid,
            card_range.template,
            card_range.start,
            card_range.count,
            card_range.registration_code,
            progress=_report,
        )
        handled += card_range.count
    if source is not None:
        await _keep_source(conn, mid, source, applied_by, now)
    return report


async def _keep_source(
    conn: AsyncConnection, merchant_id: int, text: str, applied_by: str, now: datetime
) -> None:
    """Keep the file's text for the console's editor, its secrets replaced by the hashes
    just written; a text that cannot be redacted safely is not kept."""
    result = await conn.execute(
        select(integrations.c.identifier, integrations.c.secret_hash).where(
            integrations.c.merchant_id == merchant_id
        )
    )
    redacted = redact_secrets(text, {row.identifier: row.secret_hash for row in result})
    if redacted is None:
        return
    version = (
        await conn.execute(
            select(merchants.c.config_version).where(merchants.c.merchant_id == merchant_id)
        )
    ).scalar_one()
    await conn.execute(
        program_sources.insert().values(
            merchant_id=merchant_id,
            config_version=version,
            source=redacted,
            applied_at=now,
            applied_by=applied_by,
        )
    )


def _differs(row: RowMapping, values: Mapping[str, Any]) -> bool:
    return any(row[column] != value for column, value in values.items())


async def _sync(
    conn: AsyncConnection,
    table: Table,
    merchant_id: int,
    desired: dict[Any, dict[str, Any]],
) -> Changes:
    """Insert or update rows keyed by (merchant_id, code); report the rest."""
    changes = Changes()
    result = await conn.execute(select(table).where(table.c.merchant_id == merchant_id))
    existing = {row.code: row._mapping for row in result}
    for code, values in desired.items():
        row = existing.get(code)
        if row is None:
            await conn.execute(table.insert().values(merchant_id=merchant_id, code=code, **values))
            changes.created.append(str(code))
        elif _differs(row, values):
            await conn.execute(
                update(table)
                .where(table.c.merchant_id == merchant_id, table.c.code == code)
                .values(**values)
            )
            changes.updated.append(str(code))
        else:
            changes.unchanged += 1
    changes.not_in_file = [str(code) for code in sorted(set(existing) - set(desired))]
    return changes


async def _integrations_in_play(
    conn: AsyncConnection, config: MerchantConfig
) -> dict[str, RowMapping]:
    """This merchant's integrations and any row holding an identifier the file uses."""
    mid = config.merchant.id
    identifiers = [i.identifier for i in config.integrations]
    result = await conn.execute(
        select(integrations).where(
            or_(integrations.c.merchant_id == mid, integrations.c.identifier.in_(identifiers))
        )
    )
    rows = {row.identifier: row._mapping for row in result}
    for i, integration in enumerate(config.integrations):
        row = rows.get(integration.identifier)
        if row is not None and row["merchant_id"] != mid:
            raise ConfigApplyError(
                ("integrations", i, "identifier"),
                f"identifier {integration.identifier!r} already belongs to merchant "
                f"{row['merchant_id']}",
            )
    return rows


async def _sync_integrations(
    conn: AsyncConnection,
    config: MerchantConfig,
    existing: dict[str, RowMapping],
    report: ApplyReport,
) -> Changes:
    mid = config.merchant.id
    changes = Changes()
    for integration in config.integrations:
        row = existing.get(integration.identifier)
        if integration.secret_hash is not None:
            secret_hash = integration.secret_hash
        elif row is not None and verify_secret(row["secret_hash"], integration.secret or ""):
            # Hashing is salted, so hashing an unchanged secret again would look like a
            # change on every apply and cost a deliberately slow hash for nothing.
            secret_hash = row["secret_hash"]
        else:
            secret_hash = hash_secret(integration.secret or "")
        values = {
            "name": integration.name,
            "styles": list(integration.styles),
            "secret_hash": secret_hash,
            "enabled": integration.enabled,
        }
        if row is None:
            await conn.execute(
                integrations.insert().values(
                    merchant_id=mid, identifier=integration.identifier, **values
                )
            )
            changes.created.append(integration.identifier)
        elif _differs(row, values):
            await conn.execute(
                update(integrations).where(integrations.c.id == row["id"]).values(**values)
            )
            changes.updated.append(integration.identifier)
        else:
            changes.unchanged += 1
    in_file = {i.identifier for i in config.integrations}
    for identifier, row in sorted(existing.items()):
        if identifier in in_file:
            continue
        changes.not_in_file.append(identifier)
        if row["enabled"]:
            await conn.execute(
                update(integrations).where(integrations.c.id == row["id"]).values(enabled=False)
            )
            report.disabled_integrations.append(identifier)
    return changes
