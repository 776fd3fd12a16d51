"""A user's secondary addresses: added, replaced whole, deleted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.fields import FieldError, InvalidFields
from openpxs.services.context import Call
from openpxs.services.guest_access import user_for
from openpxs.store.repositories.addresses import Address

MAX_ADDRESSES = 20
# Wire member -> Address attribute.
MEMBERS = {
    "label": "label",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "stateProvince": "state_province",
    "postalCode": "postal_code",
    "country": "country",
}


def address_of(sent: Mapping[str, Any]) -> Address:
    """The address a wire Address gives; one with no line, city or code is refused."""
    values: dict[str, str | None] = {}
    for member, attribute in MEMBERS.items():
        value = sent.get(member)
        text = value.strip() if isinstance(value, str) else None
        if text is not None and "\x00" in text:
            raise InvalidFields(
                {f"address/{member}": [FieldError("invalid_format", "Invalid text")]}
            )
        values[attribute] = text or None
    address = Address(**values)
    if not (address.address1 or address.address2 or address.city or address.postal_code):
        raise InvalidFields(
            {"address": [FieldError("required", "Give at least an address line, city or code")]}
        )
    return address


async def add_address(call: Call, username: str | None, sent: Mapping[str, Any]) -> int:
    """Store a new address of the user; its id. An addressId sent is ignored."""
    user = await user_for(call, username)
    address = address_of(sent)
    # Counted under the user's lock: two additions at once cannot pass the limit.
    await call.uow.users.lock(call.merchant_id, user.id)
    if await call.uow.addresses.count_of(call.merchant_id, user.id) >= MAX_ADDRESSES:
        raise InvalidFields(
            {"address": [FieldError("too_many", f"At most {MAX_ADDRESSES} addresses per user")]}
        )
    return await call.uow.addresses.add(call.merchant_id, user.id, address)


async def replace_address(
    call: Call, username: str | None, address_id: int | None, sent: Mapping[str, Any]
) -> None:
    """Replace every value of one of the user's addresses: a member left out is cleared."""
    user = await user_for(call, username)
    if address_id is None:
        raise Refused(Reason.ADDRESS_NOT_FOUND)
    address = address_of(sent)
    if not await call.uow.addresses.replace(call.merchant_id, user.id, address_id, address):
        raise Refused(Reason.ADDRESS_NOT_FOUND)


async def delete_address(call: Call, username: str | None, address_id: int) -> None:
    user = await user_for(call, username)
    if not await call.uow.addresses.remove(call.merchant_id, user.id, address_id):
        raise Refused(Reason.ADDRESS_NOT_FOUND)
