"""Business refusals raised by the domain and the services.

Each carries a ``reason`` (``card_not_found``, ``insufficient_balance`` ...) that a
PXS service turns into its own error code (``transaction.card_not_found``), and
says whether the refusal is about the card or account data the caller supplied
(which the Transaction Service reports as ``userDataError``).
"""

from __future__ import annotations


class DomainError(Exception):
    reason: str = "system_error"
    about_user_data: bool = False

    def __init__(self, detail: str | None = None, *, extra: dict[str, object] | None = None):
        super().__init__(detail or self.reason)
        self.detail = detail
        self.extra = extra or {}


def _refusal(name: str, reason: str, about_user_data: bool) -> type[DomainError]:
    return type(name, (DomainError,), {"reason": reason, "about_user_data": about_user_data})


CardNotFound = _refusal("CardNotFound", "card_not_found", True)
CardNotActive = _refusal("CardNotActive", "card_not_active", True)
CardAlreadyActive = _refusal("CardAlreadyActive", "card_already_active", True)
CardNotInRequiredState = _refusal("CardNotInRequiredState", "card_not_in_required_state", True)
InvalidRegistrationCode = _refusal("InvalidRegistrationCode", "invalid_registration_code", True)
InsufficientBalance = _refusal("InsufficientBalance", "insufficient_balance", True)
InvalidWalletCode = _refusal("InvalidWalletCode", "invalid_wallet_code", False)
InvalidQuantity = _refusal("InvalidQuantity", "invalid_quantity", False)
InvalidRequest = _refusal("InvalidRequest", "invalid_request", False)
InvalidMerchant = _refusal("InvalidMerchant", "invalid_merchant", False)
InvalidStore = _refusal("InvalidStore", "invalid_store", False)
TransactionNotFound = _refusal("TransactionNotFound", "transaction_not_found", False)
AlreadyVoided = _refusal("AlreadyVoided", "already_voided", False)
DuplicateTransaction = _refusal("DuplicateTransaction", "duplicate_transaction", False)
RewardNotAvailable = _refusal("RewardNotAvailable", "reward_not_available", False)
InvalidCoupon = _refusal("InvalidCoupon", "invalid_coupon", False)
CouponNotApplicable = _refusal("CouponNotApplicable", "coupon_not_applicable", False)
DuplicateCheck = _refusal("DuplicateCheck", "duplicate_check", False)
CheckNotFound = _refusal("CheckNotFound", "check_not_found", False)
AmountsExceedCheckTotal = _refusal("AmountsExceedCheckTotal", "amounts_exceed_check_total", False)
