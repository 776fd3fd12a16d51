"""Request and reply objects of the Payment Service (payment.yaml)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.wire.types import DecimalOut, RawDecimal, ReplyModel, WireModel

Text = Annotated[str, Field(max_length=200)]
CardNumber = Annotated[str, Field(max_length=64)]


class Address(WireModel):
    """The billing address of a credit card (the platform Address)."""

    address1: Text | None = None
    address2: Text | None = None
    city: Text | None = None
    stateProvince: Text | None = None
    postalCode: Annotated[str, Field(max_length=32)] | None = None
    country: Annotated[str, Field(max_length=64)] | None = None


class PaymentMethod(WireModel):
    """What pays: a new card as a processor token (CC), the card saved on the account
    (SAVED_CC) or a saved payment method (SAVED). Card numbers are never accepted."""

    type: Annotated[str, Field(max_length=32)] | None = None
    token: Annotated[str, Field(max_length=200)] | None = None
    paymentMethodId: Annotated[str, Field(max_length=64)] | None = None
    cardholderName: Text | None = None
    saveCard: bool | None = None


class PaymentConfigRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None


class PaymentConfig(ReplyModel):
    rechargeEnabled: bool
    autoRechargeEnabled: bool
    thresholdMonitoringEnabled: bool
    minRechargeAmount: DecimalOut | None = None
    maxRechargeAmount: DecimalOut | None = None
    rechargeAmounts: list[DecimalOut] = Field(default_factory=list)
    autoRechargeThresholds: list[DecimalOut] = Field(default_factory=list)
    acceptedCardTypes: list[str]
    addressRequired: bool
    processor: str
    processorClientParams: dict[str, str] = Field(default_factory=dict)


class PaymentConfigReply(ReplyModel):
    result: str = "success"
    paymentConfig: PaymentConfig


class RechargeRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None
    amount: RawDecimal = None
    paymentMethod: PaymentMethod | None = None
    address: Address | None = None
    metadata: dict[str, Annotated[str, Field(max_length=2000)]] | None = Field(
        default=None, max_length=50
    )


class ChargeResponse(ReplyModel):
    """The processor's answer, as the documented recharge example shows it."""

    amount: DecimalOut
    cardType: str
    expDate: str
    lastFour: str
    processorAuthCode: str
    processorReferenceNumber: str
    processorResponseCode: int
    processorResponseMessage: str
    transactionDatetime: str
    transactionState: Literal["Succeeded", "Declined", "Failed"]


class RechargeReply(ReplyModel):
    result: str = "success"
    chargeResponse: ChargeResponse


class RechargeHistoryRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None
    dateStart: Annotated[str, Field(max_length=32)] | None = None
    dateEnd: Annotated[str, Field(max_length=32)] | None = None
    maxResults: int | None = Field(default=None, ge=1, le=1000)


class RechargeHistoryEntry(ReplyModel):
    datetime: str
    amount: DecimalOut
    automatic: bool
    chargeResponse: ChargeResponse | None = None


class RechargeHistoryReply(ReplyModel):
    result: str = "success"
    recharges: list[RechargeHistoryEntry]
