"""Request and reply objects of the Subscription Service (subscription.yaml)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.wire.types import DecimalOut, FlexStr, ReplyModel, WireModel

Text = Annotated[FlexStr, Field(max_length=200)]
CardNumber = Annotated[FlexStr, Field(max_length=64)]
Code = Annotated[FlexStr, Field(max_length=64)]


class Address(WireModel):
    """A billing address (the platform Address; addressId and label are ignored)."""

    address1: Text | None = None
    address2: Text | None = None
    city: Text | None = None
    stateProvince: Text | None = None
    postalCode: Annotated[FlexStr, Field(max_length=32)] | None = None
    country: Annotated[FlexStr, Field(max_length=64)] | None = None


class SubscriptionPaymentMethod(WireModel):
    """What pays: a new card as a processor token (CC) or the card saved on the account
    (SAVED or SAVED_CC). Card numbers are never accepted."""

    type: Annotated[FlexStr, Field(max_length=32)] | None = None
    token: Annotated[FlexStr, Field(max_length=200)] | None = None
    paymentMethodId: Annotated[FlexStr, Field(max_length=64)] | None = None
    address: Address | None = None


class SubscribeRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None
    subscriptionCode: Code | None = None
    paymentMethod: SubscriptionPaymentMethod | None = None
    storeCode: Code | None = None


class UpdatePaymentMethodRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None
    paymentMethod: SubscriptionPaymentMethod | None = Field(
        default=None, description="The card renewals charge from now on."
    )


class CardRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None


class ChangePlanRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None
    subscriptionCode: Code | None = None


class SubscriptionPaymentMethodSummary(ReplyModel):
    """What may be shown of the card renewals charge."""

    cardType: str | None = Field(default=None, description="The card's brand, e.g. VISA.")
    lastFour: str | None = Field(default=None, description="The card number's last four digits.")
    expDate: str | None = Field(default=None, description="The card's expiry, MM/YYYY.")


class AccountSubscriptionInfo(ReplyModel):
    """The account's subscription: its plan, status and paid-through date."""

    subscriptionCode: str = Field(description="The plan being paid for now.")
    subscriptionName: str | None = Field(default=None, description="The plan's name.")
    status: str = Field(description="ACTIVE, CANCELLED, PAST_DUE or EXPIRED.")
    enrollmentDate: date | None = Field(
        default=None, description="The day the guest subscribed (merchant's local date)."
    )
    renewalDate: date | None = Field(
        default=None,
        description="When the paid period ends: the next charge (ACTIVE), the end"
        " (CANCELLED), or when the unpaid period was due (PAST_DUE).",
    )
    price: DecimalOut | None = Field(default=None, description="The plan's price per period.")
    paymentMethod: SubscriptionPaymentMethodSummary | None = Field(
        default=None, description="The card renewals charge."
    )
    nextSubscriptionCode: str | None = Field(
        default=None, description="A plan change that takes effect at the next renewal."
    )
    nextRetryDate: date | None = Field(
        default=None, description="PAST_DUE: when the renewal is tried again."
    )


class SubscriptionReply(ReplyModel):
    result: str = "success"
    accountSubscriptionInfo: AccountSubscriptionInfo
