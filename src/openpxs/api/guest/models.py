"""Request and reply objects of the Guest Service (guest.yaml): account and user
information, history, cards, referrals, visit codes, pending rewards, preferences,
annotations and eClub reads."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.api.transaction.models import WalletBalance
from openpxs.wire.types import DecimalOut, FlexLong, FlexStr, ReplyModel, WireModel

CardNumber = FlexStr
# Enough for any real invitation batch; more in one call is a client bug, not a referral.
MAX_REFERRALS_PER_CALL = 50


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
    """A store, by code and name."""

    code: str
    label: str | None = None


class CardInformation(ReplyModel):
    """A card of the account, with its status."""

    printedCardNumber: str
    maskedCardNumber: str
    status: str


class WalletBalanceOut(WalletBalance):
    """The balance of one wallet, with its coming expirations."""

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
    """A postal address of the guest."""

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


class SimpleReply(ReplyModel):
    result: str = "success"


class ExternalAccountRequest(GuestRequest):
    accountCode: FlexStr = Field(min_length=1, max_length=200)
    # Inferred: narrows the lookup when one accountCode is linked through several
    # external systems to different accounts.
    externalIdentifier: FlexStr | None = Field(default=None, max_length=100)


class PrintedCardNumberForExternalAccountReply(ReplyModel):
    result: str = "success"
    primaryCard: CardInformation
    additionalCards: list[CardInformation]


class EClubRequest(GuestRequest):
    email: FlexStr | None = Field(default=None, max_length=254)
    accountId: FlexLong | None = None


class AnnotationRequest(GuestRequest):
    printedCardNumber: CardNumber | None = Field(default=None, max_length=64)
    accountId: FlexLong | None = None
    transactionId: FlexLong


class TransactionAnnotationReply(ReplyModel):
    result: str = "success"
    annotation: str | None = None


class AttachCardRequest(GuestRequest):
    username: FlexStr | None = Field(default=None, max_length=254)
    printedCardNumber: CardNumber = Field(min_length=1, max_length=64)
    registrationCode: FlexStr | None = Field(default=None, max_length=64)


class CanCombineRequest(GuestRequest):
    username: FlexStr | None = Field(default=None, max_length=254)
    printedCardNumber: CardNumber = Field(min_length=1, max_length=64)


class CanCombineReply(ReplyModel):
    result: str = "success"
    canCombine: bool


class CombineCardsRequest(GuestRequest):
    username: FlexStr | None = Field(default=None, max_length=254)
    primaryPrintedCardNumber: CardNumber = Field(min_length=1, max_length=64)
    printedCardNumbers: list[CardNumber] = Field(min_length=1, max_length=20)


class ChangeCardStatusRequest(GuestRequest):
    printedCardNumber: CardNumber = Field(min_length=1, max_length=64)
    status: FlexStr = Field(min_length=1, max_length=32)


class ReferralInput(WireModel):
    """A friend to refer."""

    email: FlexStr | None = Field(default=None, max_length=254)
    firstName: FlexStr | None = Field(default=None, max_length=100)
    lastName: FlexStr | None = Field(default=None, max_length=100)


class ReferralsByUsernameRequest(GuestRequest):
    username: FlexStr | None = Field(default=None, max_length=254)


class ReferralsByCardRequest(GuestRequest):
    printedCardNumber: CardNumber = Field(min_length=1, max_length=64)


class ReferralsByIdRequest(GuestRequest):
    accountId: FlexLong


class AddReferralsByUsernameRequest(ReferralsByUsernameRequest):
    referrals: list[ReferralInput] = Field(max_length=MAX_REFERRALS_PER_CALL)


class AddReferralsByCardRequest(ReferralsByCardRequest):
    referrals: list[ReferralInput] = Field(max_length=MAX_REFERRALS_PER_CALL)


class AddReferralsByIdRequest(ReferralsByIdRequest):
    referrals: list[ReferralInput] = Field(max_length=MAX_REFERRALS_PER_CALL)


class Referral(ReplyModel):
    """A friend the guest referred, and whether they joined."""

    email: str
    firstName: str | None = None
    lastName: str | None = None
    status: str
    referralDate: str


class ReferralsReply(ReplyModel):
    result: str = "success"
    referrals: list[Referral]


class ReferralCodeReply(ReplyModel):
    result: str = "success"
    referralCode: str


class ValidateReferralCodeRequest(GuestRequest):
    referralCode: FlexStr = Field(min_length=1, max_length=32)


class PendingRewardsByCardRequest(GuestRequest):
    printedCardNumber: CardNumber = Field(min_length=1, max_length=64)


class PendingRewardsByIdRequest(GuestRequest):
    accountId: FlexLong


class PendingEventReward(ReplyModel):
    """A reward the guest will get on an event (for example a birthday)."""

    eventName: str
    walletCode: int
    quantity: DecimalOut
    expirationDate: date | None = None


class PendingEventRewardsReply(ReplyModel):
    result: str = "success"
    pendingRewards: list[PendingEventReward]


class ApplyVisitCodeRequest(GuestRequest):
    printedCardNumber: CardNumber = Field(min_length=1, max_length=64)
    visitCode: FlexStr = Field(min_length=1, max_length=64)


class ValidateVisitCodeRequest(GuestRequest):
    visitCode: FlexStr = Field(min_length=1, max_length=64)


class ApplyVisitCodeReply(ReplyModel):
    result: str = "success"
    pointBalances: list[WalletBalanceOut]


class MessageFrequencyRequest(GuestRequest):
    username: FlexStr | None = Field(default=None, max_length=254)
    printedCardNumber: CardNumber | None = Field(default=None, max_length=64)
    messageFrequency: FlexStr = Field(min_length=1, max_length=32)


class LanguagePreferenceRequest(GuestRequest):
    username: FlexStr | None = Field(default=None, max_length=254)
    printedCardNumber: CardNumber | None = Field(default=None, max_length=64)
    languageCode: FlexStr = Field(min_length=1, max_length=16)
