"""A merchant's program as a whole, for those who edit it: its rows as they are now,
its version, and applying a new program file in the unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from openpxs.config.model import MerchantConfig
from openpxs.store.card_issue import issue_cards
from openpxs.store.config_apply import ApplyReport, apply_config
from openpxs.store.program_rows import ProgramRows
from openpxs.store.repositories import Repository
from openpxs.store.repositories.programs import read_rows
from openpxs.store.tables import merchants, program_sources


class StaleProgram(Exception):
    """The program changed since the version the caller read (another apply came
    first): nothing was written."""

    def __init__(self, expected: int, found: int) -> None:
        super().__init__(f"the live program is at version {found}, not {expected}")
        self.expected = expected
        self.found = found


class ProgramFileRepository(Repository):
    """The live program's rows and version, and `config apply` in this transaction."""

    __slots__ = ()

    async def rows(self, merchant_id: int) -> ProgramRows | None:
        """The merchant's configuration as the tables hold it; None when unknown."""
        return await read_rows(self.conn, merchant_id)

    async def version(self, merchant_id: int, *, lock: bool = False) -> int | None:
        """The merchant's program version (it grows by one with each apply that changes
        something); ``lock``: held until the transaction ends, so no apply slips in."""
        query = select(merchants.c.config_version).where(merchants.c.merchant_id == merchant_id)
        if lock and self.postgres:
            query = query.with_for_update()
        found = (await self.conn.execute(query)).scalar()
        return None if found is None else int(found)

    async def latest_source(self, merchant_id: int) -> tuple[int, str] | None:
        """The text of the last program file applied (secrets replaced by their hashes)
        and the version it produced; None when none was kept."""
        row = (
            await self.conn.execute(
                select(program_sources.c.config_version, program_sources.c.source)
                .where(program_sources.c.merchant_id == merchant_id)
                .order_by(program_sources.c.id.desc())
                .limit(1)
            )
        ).one_or_none()
        return None if row is None else (int(row.config_version), str(row.source))

    async def apply(
        self,
        config: MerchantConfig,
        now: datetime,
        *,
        expected_version: int | None,
        source: str | None = None,
        applied_by: str = "cli",
    ) -> ApplyReport:
        """Apply ``config`` as `openpxs config apply` does, if the program is still at
        ``expected_version`` (None: the merchant must not exist yet); StaleProgram if not.
        ``source``: the text ``config`` was read from, kept with ``applied_by``.
        """
        found = await self.version(config.merchant.id, lock=True)
        if found != expected_version:
            raise StaleProgram(expected_version or 0, found or 0)
        return await apply_config(self.conn, config, now, source=source, applied_by=applied_by)

    async def issue_cards(
        self,
        merchant_id: int,
        template_code: int,
        start: str,
        count: int,
        *,
        registration_code: str | None,
        new_code: Callable[[], str] | None,
        issued: Callable[[list[tuple[str, str | None]]], None],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """A range of inactive cards as `openpxs cards generate` issues it (CardIssueError
        for an unknown merchant or template or a bad range); ``issued`` gets the new ones
        with their codes in clear."""
        return await issue_cards(
            self.conn,
            merchant_id,
            template_code,
            start,
            count,
            registration_code,
            progress=progress,
            new_code=new_code,
            issued=issued,
        )
