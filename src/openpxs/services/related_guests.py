"""Related guests: family members or others a guest keeps under their account.

A related guest is checked member by member, each problem keyed ``<key>/<member>`` so a
client can show it next to its input; several are added all together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from openpxs.domain.errors import InvalidRequest, Reason, Refused
from openpxs.domain.fields import FieldError, InvalidFields
from openpxs.services.context import Call
from openpxs.services.guest_access import AccountRef, account_by_card
from openpxs.store.repositories.related_guests import RelatedGuest

# Related guests are family members; more than this under one account is abuse.
MAX_RELATED_GUESTS = 20
# Wire member -> (RelatedGuest attribute, longest text).
TEXT_MEMBERS = {
    "firstName": ("first_name", 100),
    "lastName": ("last_name", 100),
    "relationship": ("relationship", 64),
}
EARLIEST_BIRTH = date(1900, 1, 1)


def check_related(
    sent: Mapping[str, Any], key: str, today: date, *, partial: bool
) -> dict[str, object]:
    """The RelatedGuest values of the members sent; problems keyed ``<key>/<member>``.

    ``partial`` (an edit) checks only the members sent; a new guest needs a first name.
    """
    errors: dict[str, list[FieldError]] = {}
    out: dict[str, object] = {}
    for member, (attribute, limit) in TEXT_MEMBERS.items():
        if partial and member not in sent:
            continue
        value = sent.get(member)
        if value is None or (isinstance(value, str) and not value.strip()):
            out[attribute] = None
        elif not isinstance(value, str) or "\x00" in value:
            errors[f"{key}/{member}"] = [FieldError("invalid_type", "Must be text")]
        elif len(value.strip()) > limit:
            errors[f"{key}/{member}"] = [
                FieldError("too_long", f"Must be at most {limit} characters")
            ]
        else:
            out[attribute] = value.strip()
    if not partial or "dateOfBirth" in sent:
        out["date_of_birth"] = None
        born = sent.get("dateOfBirth")
        if born not in (None, ""):
            day = _iso_day(born)
            if day is None:
                errors[f"{key}/dateOfBirth"] = [
                    FieldError("invalid_format", "Must be a date written YYYY-MM-DD")
                ]
            elif not EARLIEST_BIRTH <= day <= today:
                errors[f"{key}/dateOfBirth"] = [
                    FieldError("invalid_date", "Must be a date between 1900-01-01 and today")
                ]
            else:
                out["date_of_birth"] = day
    if "first_name" in out and out["first_name"] is None and f"{key}/firstName" not in errors:
        errors[f"{key}/firstName"] = [FieldError("required", "This field is required")]
    if errors:
        raise InvalidFields(errors)
    return out


def _iso_day(value: object) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def validate_related_guest(call: Call, sent: Mapping[str, Any]) -> None:
    """The checks of adding a related guest, without saving anything."""
    check_related(sent, "relatedGuest", call.program.today(call.now), partial=False)


async def add_related_guests(
    call: Call, number: str, guests: Sequence[Mapping[str, Any]]
) -> AccountRef:
    """Add every guest to the card's account, or none."""
    ref = await account_by_card(call, number)
    if not guests:
        raise InvalidRequest("Send at least one related guest")
    today = call.program.today(call.now)
    values = [
        check_related(guest, f"relatedGuests/{i}", today, partial=False)
        for i, guest in enumerate(guests)
    ]
    uow, merchant_id = call.uow, call.merchant_id
    # Counted under the account's lock: two additions at once cannot pass the limit.
    await uow.users.lock_account(merchant_id, ref.account_id)
    if await uow.related_guests.count_of(merchant_id, ref.account_id) + len(values) > (
        MAX_RELATED_GUESTS
    ):
        raise InvalidFields(
            {
                "relatedGuests": [
                    FieldError(
                        "too_many", f"At most {MAX_RELATED_GUESTS} related guests per account"
                    )
                ]
            }
        )
    await uow.related_guests.add(merchant_id, ref.account_id, values)
    return ref


async def edit_related_guest(
    call: Call, number: str, guest_id: int | None, sent: Mapping[str, Any]
) -> AccountRef:
    """Change the members sent (null clears one, except firstName); the others stay."""
    ref = await account_by_card(call, number)
    if guest_id is None:
        raise Refused(Reason.RELATED_GUEST_NOT_FOUND)
    values = check_related(sent, "relatedGuest", call.program.today(call.now), partial=True)
    uow, merchant_id = call.uow, call.merchant_id
    if not await uow.related_guests.exists(merchant_id, ref.account_id, guest_id):
        raise Refused(Reason.RELATED_GUEST_NOT_FOUND)
    await uow.related_guests.change(merchant_id, ref.account_id, guest_id, values)
    return ref


async def remove_related_guest(call: Call, number: str, guest_id: int) -> None:
    ref = await account_by_card(call, number)
    if not await call.uow.related_guests.remove(call.merchant_id, ref.account_id, guest_id):
        raise Refused(Reason.RELATED_GUEST_NOT_FOUND)


async def related_guests_of(call: Call, account_id: int) -> list[RelatedGuest]:
    return await call.uow.related_guests.of_account(call.merchant_id, account_id)
