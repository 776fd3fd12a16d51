"""Enrollment Service: related guests kept under an account."""

from __future__ import annotations

from typing import Any

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.errors import ENROLLMENT
from openpxs.domain.errors import Reason as R
from openpxs.services import related_guests
from openpxs.services.guest_access import AccountRef
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


def _sent(guest: m.RelatedGuestIn) -> dict[str, Any]:
    # Only the members the client actually sent, so an edit can tell "absent" from null.
    return guest.model_dump(exclude_unset=True)


async def _reply(ctx: CallContext, ref: AccountRef) -> m.RelatedGuestsReply:
    """Every related guest of the account after the change, so the app has their ids."""
    guests = await related_guests.related_guests_of(ctx, ref.account_id)
    return m.RelatedGuestsReply(
        accountId=ref.account_id,
        printedCardNumber=ref.card_number,
        relatedGuests=[
            m.RelatedGuest(
                id=g.id,
                firstName=g.first_name,
                lastName=g.last_name,
                dateOfBirth=g.date_of_birth.isoformat() if g.date_of_birth else None,
                relationship=g.relationship,
            )
            for g in guests
        ],
    )


@endpoint(
    ENROLLMENT,
    "addRelatedGuests",
    request=m.AddRelatedGuestsRequest,
    reply=m.RelatedGuestsReply,
    styles=("oauth", "b2b"),
    summary="Add one or more related guests to an account",
    errors=(R.CARD_NOT_FOUND, R.FIELD_VALIDATION),
    scope="account_write",
)
async def add_related_guests(
    ctx: CallContext, req: m.AddRelatedGuestsRequest
) -> m.RelatedGuestsReply:
    """Each guest needs a firstName; errors are keyed ``relatedGuests/<index>/<member>``.
    All are added or none. The reply lists the account's related guests with their ids."""
    ref = await related_guests.add_related_guests(
        ctx, req.printedCardNumber, [_sent(g) for g in req.relatedGuests]
    )
    return await _reply(ctx, ref)


@endpoint(
    ENROLLMENT,
    "editRelatedGuest",
    request=m.EditRelatedGuestRequest,
    reply=m.RelatedGuestsReply,
    styles=("oauth", "b2b"),
    summary="Change a related guest of an account",
    errors=(R.CARD_NOT_FOUND, R.RELATED_GUEST_NOT_FOUND, R.FIELD_VALIDATION),
    scope="account_write",
)
async def edit_related_guest(
    ctx: CallContext, req: m.EditRelatedGuestRequest
) -> m.RelatedGuestsReply:
    """Members sent change (null clears one, except firstName); absent members stay."""
    guest = req.relatedGuest
    ref = await related_guests.edit_related_guest(
        ctx, req.printedCardNumber, guest.id, _sent(guest)
    )
    return await _reply(ctx, ref)


@endpoint(
    ENROLLMENT,
    "relatedGuest",
    method="DELETE",
    request=m.RemoveRelatedGuestRequest,
    reply=m.SimpleReply,
    styles=("oauth", "b2b"),
    summary="Remove a related guest from an account",
    errors=(R.CARD_NOT_FOUND, R.RELATED_GUEST_NOT_FOUND),
    scope="account_write",
)
async def remove_related_guest(ctx: CallContext, req: m.RemoveRelatedGuestRequest) -> m.SimpleReply:
    await related_guests.remove_related_guest(ctx, req.printedCardNumber, req.relatedGuestId)
    return m.SimpleReply()


@endpoint(
    ENROLLMENT,
    "validateRelatedGuest",
    request=m.ValidateRelatedGuestRequest,
    reply=m.EnrollmentReply,
    styles=("oauth", "b2b", "anonymous"),
    summary="Check a related guest's values without saving them",
    errors=(R.FIELD_VALIDATION,),
)
async def validate_related_guest(
    ctx: CallContext, req: m.ValidateRelatedGuestRequest
) -> m.EnrollmentReply:
    """The checks of addRelatedGuests; errors keyed ``relatedGuest/<member>``."""
    related_guests.validate_related_guest(ctx, _sent(req.relatedGuest))
    return m.EnrollmentReply()
