"""Request and reply objects of the Transaction Service (transaction.yaml)."""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from openpxs.wire.types import (
    ALSO_NUMERIC_STRING,
    FLEX_INT,
    AlsoAccepts,
    DecimalOut,
    FlexInt,
    FlexLong,
    FlexStr,
    RawDecimal,
    ReplyModel,
    WireModel,
)

PageSize = Annotated[int, Field(ge=1, le=500), FLEX_INT, ALSO_NUMERIC_STRING]
ResultLimit = Annotated[int, Field(ge=1, le=2**31 - 1), FLEX_INT, ALSO_NUMERIC_STRING]


class HeaderInfo(WireModel):
    """Who sends a POS call, from where, and the POS's own transaction ids."""

    merchantId: FlexInt
    storeCode: FlexStr = Field(min_length=1, max_length=64)
    applicationId: FlexStr | None = None
    applicationVersion: FlexStr | None = None
    # Documented as required, but absent values have one obvious meaning, so they default.
    operatorId: FlexStr = Field(default="0", max_length=64)
    senderId: FlexStr = "POS"
    programId: Literal["PX", "SV", "LP"]
    terminalId: FlexStr | None = Field(default=None, max_length=64)
    posTransactionId: FlexStr | None = Field(default=None, max_length=128)
    datetime: FlexStr | None = None
    posTransactionDatetime: FlexStr | None = Field(default=None, max_length=64)


def _expiration(value: Any) -> Any:
    # The third-party form sends a bare Date string here; it means an absolute date.
    if isinstance(value, str):
        return {"date": value, "type": "absolute"}
    return value


class Expiration(WireModel):
    """When added value expires."""

    date: dt.date
    type: Literal["absolute"] = "absolute"


# A bare Date is accepted too (the third-party form).
ExpirationIn = Annotated[
    Expiration | None,
    BeforeValidator(_expiration),
    AlsoAccepts({"type": "string", "format": "date"}),
]


class WalletContent(WireModel):
    """A quantity of one wallet to add or redeem."""

    walletCode: FlexInt
    quantity: RawDecimal
    expiration: ExpirationIn = None


class CardInfo(WireModel):
    """The card a POS call is about, keyed or swiped."""

    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)
    swipeFlag: bool | None = None
    cardRegCode: FlexStr | None = Field(default=None, max_length=64)
    magstripe: str | None = Field(default=None, max_length=256)
    cardTemplateCode: FlexInt | None = None

    @model_validator(mode="after")
    def _card_named(self) -> CardInfo:
        if not self.printedCardNumber and not self.magstripe:
            raise ValueError("printedCardNumber is required")
        return self


class TransactionRequest(WireModel):
    authentication: str | None = None
    headerInfo: HeaderInfo

    def claimed_merchant_id(self) -> int:
        return self.headerInfo.merchantId


class CardRequest(TransactionRequest):
    cardInfo: CardInfo


class AddRedeemRequest(CardRequest):
    addWalletContents: list[WalletContent] = Field(max_length=100)
    redeemWalletContents: list[WalletContent] = Field(max_length=100)
    autoActivateCard: bool = False


class ActivateAddRequest(CardRequest):
    addWalletContents: list[WalletContent] = Field(min_length=1, max_length=100)


class BulkActivateAddRequest(TransactionRequest):
    cardInfos: list[CardInfo] = Field(min_length=1, max_length=100_000)
    addWalletContents: list[WalletContent] = Field(min_length=1, max_length=100)


class PxTransactionRequest(TransactionRequest):
    pxTransactionId: FlexLong


class StatusRequest(WireModel):
    authentication: str | None = None
    headerInfo: dict[str, Any] | None = None

    def claimed_merchant_id(self) -> int | None:
        raw = (self.headerInfo or {}).get("merchantId")
        try:
            return int(raw) if raw is not None and not isinstance(raw, bool) else None
        except (TypeError, ValueError):
            return None


class AccountQuery(WireModel):
    """What identifies the guest whose accounts are looked up."""

    phone: FlexStr | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=254)
    firstName: str | None = Field(default=None, max_length=100)
    lastName: str | None = Field(default=None, max_length=100)
    postalCode: FlexStr | None = Field(default=None, max_length=32)


class AccountQueryRequest(TransactionRequest):
    accountQueries: list[AccountQuery] = Field(min_length=1, max_length=20)
    pageSize: PageSize = 25


class TransactionHistoryRequest(CardRequest):
    dateStart: date | None = Field(default=None)
    startDate: date | None = None
    dateEnd: date | None = None
    endDate: date | None = None
    maxNumberOfResults: ResultLimit | None = None
    limitToBalanceAffectingTransactions: bool = False


class ExchangeRequest(CardRequest):
    newCardInfo: CardInfo


class AdminAdjustRequest(WireModel):
    authentication: str | None = None
    headerInfo: dict[str, Any] | None = None
    merchantId: FlexInt
    storeCode: FlexStr = Field(min_length=1, max_length=64)
    operatorId: FlexStr = Field(default="0", max_length=64)
    posTransactionId: FlexStr | None = Field(default=None, max_length=128)
    printedCardNumber: FlexStr = Field(min_length=1, max_length=64)
    walletCode: FlexInt
    quantity: RawDecimal
    activityType: Literal["ADD", "REDEEM"]
    expiration: ExpirationIn = None
    comment: str | None = Field(default=None, max_length=2000)

    def claimed_merchant_id(self) -> int:
        return self.merchantId


# ---- replies -------------------------------------------------------------------------


class Failure(ReplyModel):
    result: str
    errorCode: str | None = None
    errorMessage: str | None = None


class WalletBalance(ReplyModel):
    """The balance of one wallet."""

    walletCode: int
    name: str
    balance: DecimalOut
    description: str | None = None
    giftable: bool | None = None


class WalletContentOut(ReplyModel):
    """A quantity of one wallet that was added or redeemed."""

    walletCode: int
    quantity: DecimalOut
    expiration: Expiration | None = None


class TransactionReply(Failure):
    result: str = "authorizedSuccess"
    pxTransactionId: int | None = None
    printedCardNumber: str | None = None
    svCurrentBalance: DecimalOut | None = None
    walletBalances: list[WalletBalance] | None = None
    maskedCardNumber: str | None = None


class AddRedeemReply(TransactionReply):
    addWalletContents: list[WalletContentOut] | None = None
    redeemWalletContents: list[WalletContentOut] | None = None


class BulkCardResult(ReplyModel):
    """The outcome for one card of a bulk request."""

    printedCardNumber: str
    result: str
    errorCode: str | None = None
    errorMessage: str | None = None


class BulkAddReply(Failure):
    result: str = "authorizedSuccess"
    pxTransactionId: int | None = None
    cardResults: list[BulkCardResult] | None = None


class AccountQueryResult(ReplyModel):
    """One account that matches the query."""

    accountId: int
    printedCardNumber: str
    fieldValues: dict[str, str] = {}


class AccountQueryReply(Failure):
    result: str = "authorizedSuccess"
    accounts: list[AccountQueryResult] | None = None


class CheckinRecord(ReplyModel):
    """A guest's check-in at a store."""

    accountId: int
    printedCardNumber: str
    firstName: str | None = None
    lastName: str | None = None
    checkinDatetime: str
    shortCardNumber: str | None = None
    expirationTime: str | None = None


class CheckinsQueryReply(Failure):
    result: str = "authorizedSuccess"
    checkins: list[CheckinRecord] | None = None


class TransactionHistoryDetail(ReplyModel):
    """One wallet movement of a transaction."""

    walletCode: int
    walletName: str
    accrued: DecimalOut
    redeemed: DecimalOut
    balance: DecimalOut


class TransactionHistoryEntry(ReplyModel):
    """One transaction of the account's history."""

    transactionIdLong: int
    transactionId: int
    datetime: str
    transactionType: str
    storeCode: str | None = None
    storeName: str | None = None
    posTransactionNumber: str | None = None
    cardNumber: str | None = None
    hasVisibleComment: bool = False
    details: list[TransactionHistoryDetail]


class WalletInfo(ReplyModel):
    """A wallet of the account, with its balance."""

    walletCode: int
    name: str
    scale: int


class TransactionHistoryReply(Failure):
    result: str = "authorizedSuccess"
    transactions: list[TransactionHistoryEntry] | None = None
    walletInfo: list[WalletInfo] | None = None


class WalletConfig(ReplyModel):
    """How a wallet of the program is configured."""

    walletCode: int
    walletName: str
    walletType: int
    valueType: int
    valueAmount: DecimalOut | None = None
    scale: int
    posItemId: str | None = None
    discountObjectNumber: int | None = None
    rewardType: int | None = None
    productType: int | None = None
    productId: int | None = None


class LoadMapReply(Failure):
    result: str = "authorizedSuccess"
    wallets: list[WalletConfig] | None = None


class StatusReply(Failure):
    result: str = "authorizedSuccess"
