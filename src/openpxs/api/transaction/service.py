"""The Transaction Service: its name, success value and error vocabulary."""

from openpxs.wire.registry import Service

TRANSACTION = Service(
    name="transaction",
    title="Transaction Service",
    success="authorizedSuccess",
    error_prefix="transaction",
    user_data_result="userDataError",
    messages={
        "card_already_active": "Card is already active",
        "card_not_in_required_state": "Card is not in the required state for this operation",
        "card_not_found": "Card not found",
        "card_not_active": "Card is not active",
        "invalid_registration_code": "Invalid registration code",
        "insufficient_balance": "Insufficient balance",
        "invalid_wallet_code": "Invalid wallet code",
        "invalid_quantity": "Invalid quantity",
        "duplicate_transaction": "Duplicate transaction",
        "transaction_not_found": "Original transaction not found",
        "already_voided": "Transaction has already been voided or reversed",
        "invalid_merchant": "Invalid merchant",
        "invalid_store": "Invalid store",
        "invalid_request": "Invalid request",
        "system_error": "System error",
    },
)
B2B = ("b2b",)
