"""Enrollment Service: a user's secondary addresses."""

from __future__ import annotations

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.errors import ENROLLMENT
from openpxs.domain.errors import Reason as R
from openpxs.services import addresses
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    ENROLLMENT,
    "addAddressForUser",
    request=m.AddressRequest,
    reply=m.AddressReply,
    styles=("oauth", "b2b"),
    summary="Store a secondary address for a user",
    errors=(R.USER_NOT_FOUND, R.FIELD_VALIDATION),
    scope="user_write",
)
async def add_address(ctx: CallContext, req: m.AddressRequest) -> m.AddressReply:
    """Answers the new ``addressId``; an addressId sent here is ignored."""
    address_id = await addresses.add_address(ctx, req.username, req.address.model_dump())
    return m.AddressReply(addressId=address_id)


@endpoint(
    ENROLLMENT,
    "editAddressForUser",
    request=m.AddressRequest,
    reply=m.AddressReply,
    styles=("oauth", "b2b"),
    summary="Replace the values of one secondary address",
    errors=(R.USER_NOT_FOUND, R.ADDRESS_NOT_FOUND, R.FIELD_VALIDATION),
    scope="user_write",
)
async def edit_address(ctx: CallContext, req: m.AddressRequest) -> m.AddressReply:
    """Every member is replaced: one left out is cleared."""
    address_id = req.address.addressId
    await addresses.replace_address(ctx, req.username, address_id, req.address.model_dump())
    return m.AddressReply(addressId=address_id)


@endpoint(
    ENROLLMENT,
    "deleteAddressForUser",
    method="DELETE",
    request=m.DeleteAddressRequest,
    reply=m.SimpleReply,
    styles=("oauth", "b2b"),
    summary="Delete one secondary address",
    errors=(R.USER_NOT_FOUND, R.ADDRESS_NOT_FOUND),
    scope="user_write",
)
async def delete_address(ctx: CallContext, req: m.DeleteAddressRequest) -> m.SimpleReply:
    await addresses.delete_address(ctx, req.username, req.addressId)
    return m.SimpleReply()
