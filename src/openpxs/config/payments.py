"""Card payments in a merchant's program file: the processor, its secrets and the limits
of recharges.

Secrets are never written in the file: a processor setting that is secret names the
environment variable or the file that holds it (``{env: NAME}`` or ``{file: /path}``),
and only that reference is stored with the program. The server reads the secret when it
builds the processor.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from openpxs.config.sales import SaleProgramConfig


class _Model(BaseModel):
    # Each field's docstring is its description in the JSON Schema and the generated
    # reference (docs/reference/config.md).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def _amount_text(value: object) -> object:
    # A YAML float such as 5.10 has already lost its written form; insist on text.
    if isinstance(value, float):
        raise ValueError(f"write the amount in quotes, e.g. '{value:.2f}'")
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount_text),
    Field(gt=0, le=Decimal("1000000"), max_digits=11, decimal_places=2),
]


class SecretRef(_Model):
    """Where a secret is read from: an environment variable or a file, never the YAML."""

    env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")] | None = None
    """Name of the environment variable holding the secret."""
    file: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    """Path of a file holding the secret (surrounding whitespace is ignored)."""

    @model_validator(mode="after")
    def _one_source(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env or file")
        return self

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.file}"


class BuiltinProcessorConfig(_Model):
    """The built-in test processor: no network, outcomes chosen by the token (tok_approve,
    tok_decline, tok_insufficient_funds, tok_processor_error, tok_timeout,
    tok_requires_action). For demonstrations and tests, never for real money."""

    kind: Literal["test"]
    """test: the built-in processor."""
    api_key: SecretRef | None = None
    """A secret the test processor insists on reading, to try the references of a real one."""


def _base_url(value: str) -> str:
    # Only the scheme and host matter; a trailing slash would double the API's own.
    if not value.startswith(("https://", "http://")):
        raise ValueError("write the URL with https:// (http:// only for a local test server)")
    return value.rstrip("/")


BaseUrl = Annotated[str, Field(min_length=8, max_length=300), AfterValidator(_base_url)]


def _script_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError("write the URL with https:// (http:// only for a local test server)")
    return value


ScriptUrl = Annotated[str, Field(min_length=8, max_length=300), AfterValidator(_script_url)]


class StripeProcessorConfig(_Model):
    """Stripe (PaymentIntents). Clients tokenize cards with Stripe.js or the mobile SDKs
    (``createPaymentMethod``) and send the PaymentMethod id (``pm_...``) as the token."""

    kind: Literal["stripe"]
    """stripe: charges through Stripe's API."""
    api_key: SecretRef
    """The secret API key (``sk_live_...``/``sk_test_...``), by reference."""
    publishable_key: Annotated[str, Field(pattern=r"^pk_[A-Za-z0-9_]{1,200}$")] | None = None
    """The publishable key clients need to tokenize (public; shown by paymentConfig)."""
    api_base: BaseUrl = "https://api.stripe.com"
    """Where Stripe's API is reached; another address only for a local test server."""
    js_url: ScriptUrl = "https://js.stripe.com/v3/"
    """Where the guest website's payment page loads Stripe.js from (its origin is the one
    script origin that page's Content-Security-Policy allows); another address only for a
    local test server."""
    timeout_seconds: float = Field(default=30, gt=0, le=120)
    """How long one call may take before its outcome counts as unknown."""


class SpreedlyProcessorConfig(_Model):
    """Spreedly: clients tokenize cards in the Spreedly iFrame (spreedlyIframeParams)
    and send the payment method token; charges go through one of the merchant's
    Spreedly gateways."""

    kind: Literal["spreedly"]
    """spreedly: charges through Spreedly's gateway API."""
    environment_key: Annotated[str, Field(min_length=1, max_length=100)]
    """The Spreedly environment key (public: the iFrame needs it)."""
    access_secret: SecretRef
    """The environment's access secret, by reference."""
    gateway_token: Annotated[str, Field(min_length=1, max_length=100)]
    """Token of the Spreedly gateway that charges the merchant's cards."""
    certificate_token: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    """Token of the certificate uploaded to Spreedly for authenticated (enhanced
    security) iFrame tokenization; without it the iFrame is not authenticated."""
    certificate_key: SecretRef | None = None
    """The private key (PEM) of that certificate, by reference: it signs the iFrame
    parameters spreedlyIframeParams hands out."""
    api_base: BaseUrl = "https://core.spreedly.com"
    """Where Spreedly's API is reached; another address only for a local test server."""
    timeout_seconds: float = Field(default=30, gt=0, le=120)
    """How long one call may take before its outcome counts as unknown."""

    @model_validator(mode="after")
    def _signing_pair(self) -> SpreedlyProcessorConfig:
        if (self.certificate_key is None) != (self.certificate_token is None):
            raise ValueError("give certificate_token and certificate_key together")
        return self


ProcessorConfig = Annotated[
    BuiltinProcessorConfig | StripeProcessorConfig | SpreedlyProcessorConfig,
    Field(discriminator="kind"),
]


class RechargeConfig(_Model):
    """Reloading a stored value card with a credit card."""

    enabled: bool = True
    """Whether guests may recharge cards."""
    wallet: int = Field(gt=0)
    """Code of the currency wallet a recharge credits."""
    store: Annotated[str, Field(min_length=1, max_length=64)]
    """Code of the store recharges are recorded at (usually the online store, e.g. corp)."""
    min_amount: Amount = Decimal("5.00")
    """Smallest amount a guest may recharge, in quotes."""
    max_amount: Amount = Decimal("500.00")
    """Largest amount of one recharge, in quotes."""
    require_billing_address: bool = True
    """Whether a new credit card must come with a billing address."""

    @model_validator(mode="after")
    def _ordered(self) -> RechargeConfig:
        if self.min_amount > self.max_amount:
            raise ValueError("min_amount is greater than max_amount")
        return self


class AutoRechargeConfig(_Model):
    """Reloading automatically when a redemption takes the balance below a threshold."""

    enabled: bool = True
    """Whether guests may turn on automatic recharge."""
    min_threshold: Amount = Decimal("5.00")
    """Lowest threshold a guest may choose."""
    max_threshold: Amount = Decimal("100.00")
    """Highest threshold a guest may choose."""
    max_declines: int = Field(default=3, ge=1, le=100)
    """Declined automatic charges in a row after which automatic recharge is switched off."""

    @model_validator(mode="after")
    def _ordered(self) -> AutoRechargeConfig:
        if self.min_threshold > self.max_threshold:
            raise ValueError("min_threshold is greater than max_threshold")
        return self


Quantity = Annotated[
    Decimal,
    BeforeValidator(_amount_text),
    Field(gt=0, le=Decimal("1000000"), max_digits=11, decimal_places=4),
]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class GiftableReward(_Model):
    """A wallet guests may give to someone else, and how much one gift moves."""

    wallet: int = Field(gt=0)
    """Code of the wallet (declared with giftable: true)."""
    quantity: Quantity = Decimal(1)
    """How much of the wallet one gift moves (one reward unless set), in quotes."""
    templates: list[int] | None = None
    """Card templates whose guests may give it; absent: every template holding the wallet."""


class GiftTransferConfig(_Model):
    """Guests giving rewards to other guests (gifttransfer/*)."""

    enabled: bool = True
    """Whether gifting is offered."""
    claim_days: int = Field(default=30, ge=1, le=3650)
    """Days a gift to someone without an account may wait to be claimed before it goes
    back to the giver."""
    max_message_length: int = Field(default=250, ge=0, le=1000)
    """Longest transferMessage accepted."""
    rewards: list[GiftableReward] = Field(default_factory=list)
    """What may be gifted."""


class PlanGrant(_Model):
    """What each paid period of a plan adds to the subscriber's account."""

    wallet: int = Field(gt=0)
    """Code of the wallet credited."""
    quantity: Quantity
    """How much, in quotes."""


class SubscriptionPlan(_Model):
    """A paid plan guests subscribe to (subscription/*)."""

    code: Code
    """The plan's subscriptionCode."""
    name: Annotated[str, Field(min_length=1, max_length=200)]
    """Name shown to guests."""
    price: Amount
    """Charged at sign-up and at every renewal, in quotes."""
    period: Literal["week", "month", "year"] = "month"
    """Length of one paid period; a month renews on the same day of the month (the last
    day when the month is shorter)."""
    grants: list[PlanGrant] = Field(min_length=1)
    """Wallet value each paid period adds."""


class SubscriptionsConfig(_Model):
    """Paid subscription plans and how renewals are retried."""

    store: Annotated[str, Field(min_length=1, max_length=64)]
    """Code of the store subscription charges and grants are recorded at."""
    plans: list[SubscriptionPlan] = Field(min_length=1)
    """The plans offered."""
    retry_days: list[int] = Field(default_factory=lambda: [1, 3, 7], min_length=1, max_length=10)
    """After a declined renewal, days from the renewal date at which it is tried again;
    after the last decline the subscription expires."""


CardBrand = Literal["VISA", "MASTERCARD", "AMEX", "DISCOVER", "JCB", "DINERS"]


def _usual_brands() -> list[CardBrand]:
    return ["VISA", "MASTERCARD", "AMEX", "DISCOVER"]


# Apple's hosts that hand out merchant sessions (the validationURL of onvalidatemerchant).
APPLE_PAY_ORIGINS = [
    "https://apple-pay-gateway.apple.com",
    "https://cn-apple-pay-gateway.apple.com",
    *(f"https://apple-pay-gateway-nc-pod{n}.apple.com" for n in range(1, 6)),
    *(f"https://apple-pay-gateway-pr-pod{n}.apple.com" for n in range(1, 6)),
    *(f"https://cn-apple-pay-gateway-sh-pod{n}.apple.com" for n in range(1, 4)),
    *(f"https://cn-apple-pay-gateway-tj-pod{n}.apple.com" for n in range(1, 4)),
    "https://apple-pay-gateway-cert.apple.com",
    "https://cn-apple-pay-gateway-cert.apple.com",
]


def _apple_pay_origins() -> list[str]:
    return list(APPLE_PAY_ORIGINS)


def _apple_pay_networks() -> list[str]:
    return ["visa", "masterCard", "amex", "discover"]


def _apple_pay_capabilities() -> list[str]:
    return ["supports3DS"]


class ApplePayConfig(_Model):
    """Apple Pay on the web: the merchant identity that asks Apple for merchant sessions,
    and where domains are registered."""

    merchant_identifier: Annotated[str, Field(min_length=1, max_length=200)]
    """The Apple Pay merchant identifier (e.g. merchant.com.example.giftcards)."""
    display_name: Annotated[str, Field(min_length=1, max_length=64)]
    """The merchant name the payment sheet shows."""
    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "US"
    """ISO 3166 country of the merchant."""
    supported_networks: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=_apple_pay_networks
    )
    """Card networks offered on the payment sheet (Apple's names: visa, masterCard, ...)."""
    merchant_capabilities: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=_apple_pay_capabilities
    )
    """Apple's merchant capabilities (supports3DS, supportsCredit, supportsDebit)."""
    identity_certificate_file: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    """The Apple Pay merchant identity certificate (PEM file) presented to Apple."""
    identity_key_file: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    """The private key of that certificate (PEM file)."""
    validation_origins: list[BaseUrl] = Field(default_factory=_apple_pay_origins)
    """Where a validationURL may point (scheme and host): Apple's gateways. Merchant
    validation refuses any other address, so a browser cannot make the server call it."""
    registration_url: BaseUrl = "https://apple-pay-gateway.apple.com/paymentservices"
    """Apple's web merchant registration service (registerMerchant, unregisterMerchant)."""
    timeout_seconds: float = Field(default=20, gt=0, le=60)
    """How long a call to Apple may take."""

    @model_validator(mode="after")
    def _identity_pair(self) -> ApplePayConfig:
        if (self.identity_certificate_file is None) != (self.identity_key_file is None):
            raise ValueError("give identity_certificate_file and identity_key_file together")
        return self


class PaymentsConfig(_Model):
    """Card payments: the processor and what guests may pay for with it."""

    processor: ProcessorConfig | None = None
    """The card processor; without one, every payment operation answers not configured."""
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    """ISO 4217 code of the currency charged."""
    accepted_brands: list[CardBrand] = Field(default_factory=_usual_brands)
    """Card brands clients may offer."""
    recharge: RechargeConfig | None = None
    """Recharging stored value cards; absent: not offered."""
    auto_recharge: AutoRechargeConfig = Field(default_factory=AutoRechargeConfig)
    """Automatic recharge limits."""
    apple_pay: ApplePayConfig | None = None
    """Apple Pay on the web; absent: the Apple Pay operations answer not configured."""
    intent_capture_days: int = Field(default=7, ge=1, le=30)
    """Days a payment intent (payment/createCheckoutSession) may wait for its capture,
    counted from its checkout; after them it is released at the processor and ends
    CANCELED. Card networks hold an authorization about seven days."""
    max_card_balance: Amount | None = None
    """Largest stored value balance a gift sale or reload may leave on a card (Gift
    Service); absent: no limit but the ledger's."""
    sales: list[SaleProgramConfig] = Field(default_factory=list, max_length=20)
    """The web store's sale programs (eGift, Reward Yourself, loyalty cards); empty:
    nothing is sold."""
    gift_transfer: GiftTransferConfig = Field(default_factory=GiftTransferConfig)
    """Guests giving rewards to other guests (no processor needed)."""
    subscriptions: SubscriptionsConfig | None = None
    """Paid subscription plans; absent: not offered."""

    @model_validator(mode="after")
    def _recharge_needs_processor(self) -> PaymentsConfig:
        if self.recharge is not None and self.processor is None:
            raise ValueError("recharge needs a processor")
        # Reward Yourself is paid with points; every other sale charges a card.
        if any(s.type != "REWARD_YOURSELF" for s in self.sales) and self.processor is None:
            raise ValueError("sales paid by card need a processor")
        kinds = [(s.type, s.card_template) for s in self.sales]
        if len(set(kinds)) != len(kinds):
            raise ValueError("two sale programs have the same type and card_template")
        if self.subscriptions is not None and self.processor is None:
            raise ValueError("subscriptions need a processor")
        return self
