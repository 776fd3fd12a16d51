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
from openpxs.security import hash_secret, verify_secret
from openpxs.store.card_issue import issue_cards
from openpxs.store.repositories import programs as program_cache
from openpxs.store.tables import card_templates, integrations, merchants, programs, stores, wallets

# The tables a program's configuration fills; everything else is written by calls.
# Card ranges fill ``cards`` too, which calls then change (activation, exchange, ...).
CONFIGURATION_TABLES = (merchants, programs, card_templates, wallets, stores, integrations)


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
) -> ApplyReport:
    """Bring the merchant's rows in line with ``config`` inside the caller's transaction.

    ``progress`` receives the number of card numbers handled so far over all ranges.
    Raises ConfigApplyError (before writing anything) when an integration identifier
    already belongs to another merchant.
    """
    mid = config.merchant.id
    report = ApplyReport(merchant_id=mid)
    existing_integrations = await _integrations_in_play(conn, config)

    row = (
        await conn.execute(select(merchants).where(merchants.c.merchant_id == mid))
    ).one_or_none()
    merchant_values = {
        "name": config.merchant.name,
        "timezone": config.merchant.timezone,
        "guest_config": config.guest.model_dump(mode="json"),
        "loyalty_config": config.loyalty.model_dump(mode="json"),
        "payments_config": config.payments.model_dump(mode="json"),
        "surveys_config": [s.model_dump(mode="json") for s in config.surveys],
        "places_config": config.places.model_dump(mode="json"),
        "challenges_config": [c.model_dump(mode="json") for c in config.challenges],
        "social_groups_config": (
            config.social_groups.model_dump(mode="json") if config.social_groups else None
        ),
        "outreach_config": config.outreach.model_dump(mode="json"),
        "wallet_passes_config": config.wallet_passes.model_dump(mode="json"),
        "console_config": config.console.model_dump(mode="json"),
    }
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

    report.sections["programs"] = await _sync(
        conn, programs, mid, {p.code: {"name": p.name} for p in config.programs}
    )
    report.sections["card_templates"] = await _sync(
        conn,
        card_templates,
        mid,
        {
            t.code: {
                "name": t.name,
                "programs": list(t.programs),
                "enrollment": t.enrollment.model_dump(mode="json"),
            }
            for t in config.card_templates
        },
    )
    report.sections["wallets"] = await _sync(
        conn,
        wallets,
        mid,
        {
            w.code: {
                "name": w.name,
                "description": w.description,
                "kind": w.kind,
                "scale": w.scale,
                "program": w.program,
                "allow_negative": w.allow_negative,
                "default_expiration_days": w.default_expiration_days,
                "giftable": w.giftable,
                "pos": w.pos.as_json() if w.pos is not None else {},
            }
            for w in config.wallets
        },
    )
    report.sections["stores"] = await _sync(
        conn,
        stores,
        mid,
        {
            s.code: {
                "name": s.name,
                "address": s.address.as_json(),
                "latitude": None if s.latitude is None else str(s.latitude),
                "longitude": None if s.longitude is None else str(s.longitude),
                "groups": list(s.groups),
                "lat": None if s.latitude is None else float(s.latitude),
                "lon": None if s.longitude is None else float(s.longitude),
                "phone": s.phone_digits(),
                "hours": s.hours,
                "attributes": [dict(m) for m in s.metadata] or None,
            }
            for s in config.stores
        },
    )
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
        program_cache.written(conn.engine.url, mid, version)

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
    return report


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
