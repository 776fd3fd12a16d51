"""Request and reply objects of the Checkin Service (checkin.yaml)."""

from __future__ import annotations

from pydantic import Field

from openpxs.services.checkins import AccountNamed, CheckinRequest
from openpxs.wire.types import FlexInt, FlexStr, ReplyModel, WireModel

Id = Field(default=None, max_length=64)


class CheckinAccountIdentifier(WireModel):
    """Who checks in: exactly one of the three."""

    mobilePhone: FlexStr | None = Id
    printedCardNumber: FlexStr | None = Id
    externalAccountCode: FlexStr | None = Field(default=None, max_length=200)


class CheckinAccountRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    storeCode: FlexStr | None = Id
    # Read loosely: a bad or missing time is checkin.invalid_checkin_time.
    checkinTime: FlexStr | None = Id
    account: CheckinAccountIdentifier
    externalStoreCode: FlexStr | None = Id

    def claimed_merchant_id(self) -> int:
        return self.merchantId

    def checkin(self) -> CheckinRequest:
        return CheckinRequest(
            store_code=self.storeCode,
            checkin_time=self.checkinTime,
            account=AccountNamed(
                mobile_phone=self.account.mobilePhone,
                printed_card_number=self.account.printedCardNumber,
                external_account_code=self.account.externalAccountCode,
            ),
            external_store_code=self.externalStoreCode,
        )


class CheckinReply(ReplyModel):
    result: str = "success"
    shortCardNumber: str
    printedCardNumber: str
    expirationTime: str
