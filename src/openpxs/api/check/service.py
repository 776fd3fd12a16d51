"""The Check Service: its name, success value and error vocabulary."""

from openpxs.wire.registry import Service

CHECK = Service(
    name="check",
    title="Check Service",
    success="success",
    error_prefix="check",
    messages={
        "invalid_request": "Invalid request",
        "invalid_merchant": "Invalid merchant",
        "invalid_store": "Invalid store",
        "card_not_found": "Card not found",
        "card_not_active": "Card is not active",
        "reward_not_available": "Reward is not available",
        "insufficient_balance": "Insufficient balance",
        "invalid_coupon": "Invalid coupon code",
        "coupon_not_applicable": "Coupon does not apply to this check",
        "amounts_exceed_check_total": "Card amounts exceed the check total",
        "check_not_found": "Check not found",
        "duplicate_check": "Check has already been posted",
        "check_storage_error": "Unable to store check",
        "system_error": "System error",
        "invalid_wallet_code": "Invalid wallet code",
        "invalid_quantity": "Invalid quantity",
    },
)
B2B = ("b2b",)
