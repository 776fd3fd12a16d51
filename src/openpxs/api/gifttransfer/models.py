"""Request and reply objects of the Gift Transfer Service (gifttransfer.yaml)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.wire.types import DecimalOut, FlexInt, FlexStr, ReplyModel, WireModel

CardNumber = Annotated[FlexStr, Field(max_length=64)]
Name = Annotated[FlexStr, Field(max_length=200)]


class TransferTo(WireModel):
    """TransferToAccount (printedCardNumber) or TransferToExternal (email, phone, names):
    told apart by which members are present."""

    printedCardNumber: CardNumber | None = Field(
        default=None, description="TransferToAccount: the recipient's card."
    )
    email: Annotated[FlexStr, Field(max_length=320)] | None = Field(
        default=None, description="TransferToExternal: where the gift is sent."
    )
    phone: Annotated[FlexStr, Field(max_length=32)] | None = Field(
        default=None,
        description="TransferToExternal: a mobile number the claim code is texted to"
        " (with or instead of email).",
    )
    firstName: Name | None = None
    lastName: Name | None = None


class TransferOutRequest(GuestRequest):
    fromPrintedCardNumber: CardNumber | None = None
    to: TransferTo | None = None
    walletCode: FlexInt | None = None
    # Longer than any configured limit, so that a long message is refused with
    # gifttransfer.message_too_long by the use case rather than as a bad request.
    transferMessage: Annotated[FlexStr, Field(max_length=5000)] | None = None


class ClaimRequest(GuestRequest):
    claimCode: Annotated[FlexStr, Field(max_length=64)] | None = None
    printedCardNumber: CardNumber | None = None


class GiftingConfigRequest(GuestRequest):
    cardTemplateCode: FlexInt | None = None


class TransferInfo(ReplyModel):
    """One gift: what moved, from which card, to which card (once it has one)."""

    transferId: int
    status: str = Field(description="COMPLETED, PENDING_CLAIM, CLAIMED or EXPIRED.")
    walletCode: int
    quantity: DecimalOut
    fromPrintedCardNumber: str
    toPrintedCardNumber: str | None = None
    claimCode: str | None = Field(
        default=None, description="Only in the reply that made a held gift."
    )
    expirationDate: date | None = None
    transferMessage: str | None = None


class TransferOutReply(ReplyModel):
    result: str = "success"
    transferInfo: TransferInfo


class GiftableReward(ReplyModel):
    """A reward a guest may give, and how much of it one gift moves."""

    walletCode: int
    name: str
    quantity: DecimalOut


class GiftingConfigReply(ReplyModel):
    result: str = "success"
    rewards: list[GiftableReward]
