"""Request and reply objects of the Guest Service (guest.yaml)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from openpxs.api.common import GuestRequest
from openpxs.api.transaction.models import WalletBalance
from openpxs.wire.types import FlexLong, FlexStr, ReplyModel

CardNumber = FlexStr


class CardNumberRequest(GuestRequest):
    printedCardNumber: CardNumber = Field(min_length=1, max_length=64)


class AccountIdRequest(GuestRequest):
    accountId: FlexLong


class UsernameRequest(GuestRequest):
    username: FlexStr | None = Field(default=None, max_length=254)


class HistoryFilters(GuestRequest):
    dateStart: date | None = None
    startDate: date | None = None
    dateEnd: date | None = None
    endDate: date | None = None
    maxNumberOfResults: int | None = Field(default=None, ge=1, le=2**31 - 1)


class HistoryByCardRequest(HistoryFilters):
    printedCardNumber: CardNumber = Field(min_length=1, max_length=64)


class HistoryByIdRequest(HistoryFilters):
    accountId: FlexLong


class StoreRef(ReplyModel):
    code: str
    label: str | None = None


class CardInformation(ReplyModel):
    printedCardNumber: str
    maskedCardNumber: str
    status: str


class WalletBalanceOut(WalletBalance):
    expirations: list[dict[str, Any]] | None = None


class AccountInformationReply(ReplyModel):
    result: str = "success"
    username: str | None = None
    accountId: int | None = None
    accountStatus: str
    queryCardStatus: str
    isRegistered: str
    registrationStatus: str
    cardTemplateCode: int
    cardTemplateLabel: str
    tierCode: int | None = None
    tierLabel: str | None = None
    enrollmentStore: StoreRef | None = None
    fields: dict[str, Any]
    primaryCard: CardInformation
    additionalCards: list[CardInformation]
    pointBalances: list[WalletBalanceOut]
    rewardBalances: list[WalletBalanceOut]
    storedValueBalance: WalletBalanceOut | None = None
    walletBalances: list[WalletBalanceOut]


class Address(ReplyModel):
    addressId: int
    label: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    stateProvince: str | None = None
    postalCode: str | None = None
    country: str | None = None


class UserInformationReply(ReplyModel):
    result: str = "success"
    fields: dict[str, Any]
    primaryCardNumbers: list[str]
    accountIds: list[int]
    addresses: list[Address]


class UserAndAccountInformationReply(AccountInformationReply):
    userFields: dict[str, Any] | None = None
