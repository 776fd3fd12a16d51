"""Request and reply objects of the Payment Service (payment.yaml)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

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
    cardholderName: Text | None = Field(default=None, description="The name on the card.")
    saveCard: bool | None = Field(
        default=None,
        description="With type CC, keep the card on file (accepted, not yet acted on).",
    )


class PaymentConfigRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None


class PaymentConfig(ReplyModel):
    """What a recharge screen may offer, and which processor tokenizes cards."""

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

    amount: DecimalOut = Field(description='The amount charged, e.g. "25.00".')
    cardType: str = Field(
        description="The card's brand (VISA, MASTERCARD, ...), as the processor tells it."
    )
    expDate: str = Field(description="The card's expiry, MM/yyyy.")
    lastFour: str = Field(description="The last four digits of the card.")
    processorAuthCode: str = Field(description="The issuer's authorization code.")
    processorReferenceNumber: str = Field(description="The processor's reference of the charge.")
    processorResponseCode: int = Field(
        description="0 approved; else an ISO 8583-style code (5 declined, 51 no funds, ...)."
    )
    processorResponseMessage: str = Field(description="The processor's message, e.g. Approved.")
    transactionDatetime: str
    transactionState: Literal["Succeeded", "Declined", "Failed"] = Field(
        description="Succeeded, Declined or Failed."
    )


class RechargeReply(ReplyModel):
    result: str = "success"
    chargeResponse: ChargeResponse


class RechargeHistoryRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None
    dateStart: date | None = None
    dateEnd: date | None = None
    maxResults: int | None = Field(default=None, ge=1, le=1000)


class RechargeHistoryEntry(ReplyModel):
    """One card payment of the card, with the processor's outcome."""

    datetime: str
    amount: DecimalOut
    automatic: bool
    chargeResponse: ChargeResponse | None = None


class RechargeHistoryReply(ReplyModel):
    result: str = "success"
    recharges: list[RechargeHistoryEntry]


class CardRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None


class SimpleReply(ReplyModel):
    result: str = "success"


class SavedCreditCard(ReplyModel):
    """What may be shown of a saved credit card: never its token or number."""

    cardType: str = Field(description="The card's brand (VISA, MASTERCARD, ...).")
    lastFour: str = Field(description="The last four digits of the card.")
    expDate: str = Field(description="The card's expiry, MM/yyyy.")
    cardholderName: str | None = Field(default=None, description="The name on the card.")
    address: Address | None = Field(default=None, description="The card's billing address.")


class SavedCreditCardReply(ReplyModel):
    result: str = "success"
    savedCreditCard: SavedCreditCard


Usages = Annotated[list[Annotated[str, Field(max_length=32)]], Field(max_length=10)]


class AddPaymentMethodRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None
    paymentMethod: PaymentMethod | None = None
    address: Address | None = None
    usages: Usages | None = None


class PaymentMethodRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None
    paymentMethodId: Annotated[str, Field(max_length=64)] | None = Field(
        default=None,
        description="The id addPaymentMethod returned; savedPaymentMethod also takes a usage.",
    )
    usage: Annotated[str, Field(max_length=32)] | None = Field(
        default=None,
        description="savedPaymentMethod only: the method that is the default for this usage.",
    )


class EditUsagesRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None
    paymentMethodId: Annotated[str, Field(max_length=64)] | None = None
    usages: Usages | None = None


class SavedPaymentMethod(ReplyModel):
    """A payment method kept on the account: display data and usages, never a token."""

    paymentMethodId: str = Field(description="The server's id of the method.")
    type: str = Field(description="CREDIT_CARD.")
    cardType: str | None = Field(default=None, description="The card's brand.")
    lastFour: str | None = Field(default=None, description="The last four digits of the card.")
    expDate: str | None = Field(default=None, description="The card's expiry, MM/yyyy.")
    cardholderName: str | None = Field(default=None, description="The name on the card.")
    usages: list[str] = Field(description="What the method is the default for.")
    address: Address | None = Field(default=None, description="The card's billing address.")


class PaymentMethodReply(ReplyModel):
    result: str = "success"
    paymentMethod: SavedPaymentMethod


class SavedPaymentMethodsReply(ReplyModel):
    result: str = "success"
    paymentMethods: list[SavedPaymentMethod]


class EnableAutoRechargeRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None
    amount: RawDecimal = None
    thresholdAmount: RawDecimal = None
    paymentMethod: PaymentMethod | None = None
    address: Address | None = None


class AutoRechargeStatusReply(ReplyModel):
    result: str = "success"
    autoRechargeEnabled: bool
    amount: DecimalOut | None = None
    thresholdAmount: DecimalOut | None = None
    thresholdMonitoringEnabled: bool = False
    savedCreditCard: SavedCreditCard | None = None


class MerchantRequest(GuestRequest):
    """Only the merchant (and the caller's authentication)."""


class SpreedlyIframeParamsReply(ReplyModel):
    """What Spreedly.init needs; the nonce, timestamp, certificate token and signature
    only when the merchant authenticates its iFrame (enhanced security)."""

    result: str = "success"
    environmentKey: str = Field(description="The merchant's Spreedly environment key.")
    nonce: str | None = Field(
        default=None, description="A new random value for this tokenization only."
    )
    timestamp: str | None = Field(
        default=None, description="When the parameters were made, in seconds since 1970 (UTC)."
    )
    certificateToken: str | None = Field(
        default=None, description="The Spreedly certificate whose key made the signature."
    )
    signature: str | None = Field(
        default=None,
        description="Hex HMAC-SHA256 of nonce, timestamp and certificate token, keyed with "
        "the certificate's private key.",
    )


DomainName = Annotated[str, Field(max_length=253)]


class ValidateApplePayMerchantRequest(GuestRequest):
    validationUrl: Annotated[str, Field(max_length=2000)] | None = Field(
        default=None,
        description="The validationURL of the Apple Pay JS onvalidatemerchant event.",
    )
    domainName: DomainName | None = Field(
        default=None, description="The registered web domain showing the Apple Pay button."
    )
    displayName: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="The merchant name on the payment sheet (else the program's)."
    )


class ApplePayDomainRequest(GuestRequest):
    domainName: DomainName | None = Field(
        default=None, description="A host name such as shop.example.com."
    )


class ApplePayMerchantSessionReply(ReplyModel):
    result: str = "success"
    merchantSession: dict[str, Any] = Field(
        description="Apple's merchant session, unchanged, for completeMerchantValidation."
    )


class ApplePayMerchantDetailsReply(ReplyModel):
    """What a client needs to build an Apple Pay payment request, and the domains."""

    result: str = "success"
    merchantIdentifier: str = Field(description="The Apple Pay merchant identifier.")
    displayName: str = Field(description="The merchant name the payment sheet shows.")
    countryCode: str = Field(description="The merchant's ISO 3166 country code.")
    currencyCode: str = Field(description="The ISO 4217 currency charged.")
    supportedNetworks: list[str] = Field(description="Card networks offered (Apple's names).")
    merchantCapabilities: list[str] = Field(description="Apple's merchant capabilities.")
    domains: list[str] = Field(description="The web domains registered for Apple Pay.")


class EnableMonitoringRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None
    thresholdAmount: RawDecimal = Field(
        default=None, description="The balance below which an event is raised."
    )
    amount: RawDecimal = Field(
        default=None, description="The recharge the caller means to make when one is raised."
    )


class PendingEventsRequest(GuestRequest):
    printedCardNumber: CardNumber | None = Field(
        default=None,
        description="The card; a back end (b2b) may leave it out for every watched card.",
    )


class MonitoredAutoRechargeEvent(ReplyModel):
    """A redemption left a watched card's stored value below its threshold."""

    eventId: int = Field(description="The event's id.")
    printedCardNumber: str = Field(description="The card whose balance crossed the threshold.")
    balance: DecimalOut = Field(description="The stored value balance the redemption left.")
    thresholdAmount: DecimalOut = Field(description="The threshold it went below.")
    amount: DecimalOut = Field(description="The recharge amount registered with monitoring.")
    eventDatetime: str = Field(description="When it was raised, in the merchant's time zone.")


class PendingAutoRechargeEventsReply(ReplyModel):
    result: str = "success"
    events: list[MonitoredAutoRechargeEvent] = Field(
        description="Events not settled yet, oldest first; at most one per card."
    )


class CreateCheckoutSessionRequest(GuestRequest):
    printedCardNumber: CardNumber | None = None
    amount: RawDecimal = Field(default=None, description="Amount the checkout authorizes.")
    purpose: Annotated[str, Field(max_length=32)] | None = Field(
        default=None, description="RECHARGE (value goes on printedCardNumber) or SALE."
    )
    captureMethod: Annotated[str, Field(max_length=32)] | None = Field(
        default=None,
        description="AUTOMATIC (default: the server captures once the guest has paid) or "
        "MANUAL (capturePaymentIntent captures).",
    )
    savePaymentMethod: bool | None = Field(
        default=None, description="Accepted; the card paid with is not kept."
    )
    returnUrl: Annotated[str, Field(max_length=2000)] | None = None


class CheckoutSessionReply(ReplyModel):
    result: str = "success"
    checkoutSessionId: str | None = None
    url: str | None = None
    clientSecret: str | None = None
    paymentIntentId: str | None = None
    expiresDatetime: str | None = None


IntentId = Annotated[str, Field(max_length=64)]
_INTENT_ID = "The paymentIntentId createCheckoutSession answered."


class PaymentIntentRequest(GuestRequest):
    paymentIntentId: IntentId | None = Field(default=None, description=_INTENT_ID)


class CapturePaymentIntentRequest(GuestRequest):
    paymentIntentId: IntentId | None = Field(default=None, description=_INTENT_ID)
    amount: RawDecimal = Field(
        default=None, description="Amount to take, at most the authorized one; default all."
    )


class PaymentIntent(ReplyModel):
    """A checkout's payment intent: what was authorized, what was captured."""

    paymentIntentId: str
    status: str = Field(
        description="CREATED, AUTHORIZED, PROCESSING (a capture or cancel under way), "
        "CAPTURED, CANCELED or FAILED."
    )
    amount: DecimalOut
    capturedAmount: DecimalOut | None = None
    purpose: str
    printedCardNumber: str | None = None
    chargeResponse: ChargeResponse | None = None


class PaymentIntentReply(ReplyModel):
    result: str = "success"
    paymentIntent: PaymentIntent = Field(description="The intent as it stands now.")
