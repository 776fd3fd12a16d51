"""The Sale Service, and how it answers each refusal (sale.yaml errors).

Every code is inferred (the reference's table could not be read); every refusal
answers ``failure``.
"""

from openpxs.domain.errors import Reason
from openpxs.wire.refusals import WireError, table
from openpxs.wire.registry import Service

R = Reason
PREFIX = "sale"


def _e(name: str, message: str) -> WireError:
    return WireError(f"{PREFIX}.{name}", message)


INVALID_CARD = _e("invalid_card", "Invalid card")
INVALID_AMOUNT = _e("invalid_amount", "Invalid amount")
INVALID_PAYMENT_METHOD = _e("invalid_payment_method", "Invalid payment method")
PROGRAM_NOT_FOUND = _e("program_not_found", "Sale program not found")

REFUSALS = table(
    PREFIX,
    {
        R.INVALID_PROGRAM_TYPE: "Invalid program type",
        R.INVALID_CARD_TEMPLATE: "Invalid card template",
        R.INVALID_ITEM: "Invalid item",
        R.INVALID_QUANTITY: "Invalid quantity",
        R.INVALID_DESIGN: "Invalid design",
        R.INVALID_SHIPPING_METHOD: "Invalid shipping method",
        R.ADDRESS_REQUIRED: "Address is required",
        R.INVALID_RECIPIENT: "Invalid recipient",
        R.INVALID_PURCHASER: "Invalid purchaser information",
        R.INVALID_PAYMENT_METHOD: "Invalid payment method",
        R.PRICE_CHANGED: "The price of the order has changed",
        R.PROCESSOR_ERROR: "Unable to reach the payment processor",
        # Not in sale.yaml: a merchantId that is missing or not a number.
        R.INVALID_REQUEST: "Invalid request",
        R.INVALID_MERCHANT: "Invalid merchant",
    },
    special={
        R.SYSTEM_ERROR: WireError(f"{PREFIX}.system_error", "System error", joiner=None),
        R.CARD_NOT_FOUND: INVALID_CARD,
        R.CARD_NOT_ACTIVE: INVALID_CARD,
        R.SALE_PROGRAM_NOT_FOUND: PROGRAM_NOT_FOUND,
        # Sale programs need a processor (the program file says so); without one the
        # merchant sells nothing.
        R.PAYMENTS_NOT_CONFIGURED: PROGRAM_NOT_FOUND,
        R.SALE_PROGRAM_NOT_ACTIVE: _e("program_not_active", "Sale program is not active"),
        R.AMOUNT_OUT_OF_RANGE: INVALID_AMOUNT,
        R.NO_SAVED_CREDIT_CARD: INVALID_PAYMENT_METHOD,
        R.PROCESSOR_DECLINED: _e("payment_declined", "Payment was declined"),
        # A Reward Yourself order the purchaser's points do not cover.
        R.INSUFFICIENT_BALANCE: _e("insufficient_points", "Not enough points"),
    },
)
SALE = Service(name="sale", title="Sale Service", success="success", refusals=REFUSALS)
ANONYMOUS = ("b2b", "anonymous")
ACCOUNT = ("b2b", "oauth")
ANY = ("b2b", "anonymous", "oauth")

# What pricing an order can be refused for.
PRICING = (
    R.INVALID_PROGRAM_TYPE,
    R.SALE_PROGRAM_NOT_FOUND,
    R.SALE_PROGRAM_NOT_ACTIVE,
    R.INVALID_CARD_TEMPLATE,
    R.INVALID_ITEM,
    R.AMOUNT_OUT_OF_RANGE,
    R.INVALID_QUANTITY,
    R.INVALID_DESIGN,
    R.INVALID_SHIPPING_METHOD,
    R.PAYMENTS_NOT_CONFIGURED,
)
# And what a sale can be refused for besides.
SELLING = (
    *PRICING,
    R.ADDRESS_REQUIRED,
    R.INVALID_RECIPIENT,
    R.INVALID_PAYMENT_METHOD,
    R.NO_SAVED_CREDIT_CARD,
    R.PRICE_CHANGED,
    R.PROCESSOR_DECLINED,
    R.PROCESSOR_ERROR,
)
ACCOUNT_CARD = (R.CARD_NOT_FOUND, R.CARD_NOT_ACTIVE)
