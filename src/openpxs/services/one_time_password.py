"""Sign-in by a code texted to the guest's mobile phone (onetimepassword.yaml)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from openpxs.domain.program import Program
from openpxs.store.users import User
from openpxs.wire.envelope import ServiceFailure


async def user_for_sms_code(
    conn: AsyncConnection, program: Program, mobile_phone: object, code: object, now: datetime
) -> User:
    """The user a live one-time password was texted to; the code is used up."""
    raise ServiceFailure("invalid_grant", "The one-time password is not valid.")
