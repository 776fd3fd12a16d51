"""Request and reply objects shared by the Enrollment Service (enrollment.yaml)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from openpxs.api.guest_request import GuestRequest
from openpxs.services.external_sign_in import Proof
from openpxs.services.form_fields import FieldsSent
from openpxs.wire.types import FlexInt, FlexLong, FlexStr, ReplyModel, WireModel

# A FieldSet is checked member by member by domain.fields, which reports each bad field
# under its own key; the wire only requires an object here.
FieldSet = dict[str, Any] | None


class EnrollmentRequest(GuestRequest):
    enforceUniqueFields: list[str] | None = None
    setUserFields: FieldSet = None
    setAccountFields: FieldSet = None

    def sent(self) -> FieldsSent:
        return FieldsSent(self.setUserFields, self.setAccountFields, self.enforceUniqueFields)


class AppleProof(WireModel):
    """Sign in with Apple's identity token proving the Apple ID an account is linked to
    (an externalAccounts entry with the Apple external identifier), and the nonce whose
    SHA-256 the app gave Apple: the same two requestGuestToken's Apple grant takes."""

    id_token: FlexStr | None = Field(default=None, max_length=8000)
    nonce: FlexStr | None = Field(default=None, max_length=256)

    def proof(self) -> Proof:
        return Proof(self.id_token, self.nonce)


class CreateRequest(EnrollmentRequest):
    cardTemplateCode: FlexInt
    activationStoreCode: FlexStr | None = Field(default=None, max_length=64)


class LinkingCreateRequest(CreateRequest, AppleProof):
    """A new account whose setAccountFields may name externalAccounts to link."""


class CardRequest(EnrollmentRequest):
    printedCardNumber: FlexStr = Field(min_length=1, max_length=64)


class RegisterRequest(CardRequest):
    cardTemplateCode: FlexInt | None = None


class ConfigRequest(WireModel):
    authentication: str | None = None
    merchantId: FlexInt
    cardTemplateCode: FlexInt

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class OAuthTokens(ReplyModel):
    """OAuth tokens for the guest just signed in."""

    access_token: str
    refresh_token: str
    expires_in: int
    printedCardNumber: str | None = None
    token_type: str = "bearer"
    scope: str | None = None
    username: str | None = None


class EnrollmentReply(ReplyModel):
    result: str = "success"
    accountId: int | None = None
    printedCardNumber: str | None = None
    oauthTokens: OAuthTokens | None = None


class ConfigEntry(ReplyModel):
    """One field of the enrollment form and its rules."""

    field: str
    type: str
    required: bool
    label: str | None = None
    minLength: int | None = None
    maxLength: int | None = None
    unique: bool | None = None
    scope: str


class EnrollmentConfig(ReplyModel):
    """The enrollment form of the card template."""

    fields: list[ConfigEntry]


class EnrollmentConfigReply(ReplyModel):
    result: str = "success"
    config: EnrollmentConfig


class SimpleReply(ReplyModel):
    result: str = "success"


# --- Requests and replies of the create/activate, user and related-guest endpoints ---

CardNumber = Annotated[FlexStr, Field(min_length=1, max_length=64)]
Text100 = Annotated[str, Field(max_length=100)]


class CreateWithNumberRequest(LinkingCreateRequest):
    printedCardNumber: CardNumber


class ActivateRequest(CardRequest):
    activationStoreCode: FlexStr | None = Field(default=None, max_length=64)
    registrationCode: FlexStr | None = Field(default=None, max_length=64)


class SmsEnrollRequest(GuestRequest):
    cardTemplateCode: FlexInt
    mobilePhone: FlexStr = Field(max_length=64)
    activationStoreCode: FlexStr | None = Field(default=None, max_length=64)


class EditSmsEnrollRequest(GuestRequest):
    printedCardNumber: CardNumber
    mobilePhone: FlexStr = Field(max_length=64)


class UserRequest(GuestRequest):
    """A call about one user: b2b names them, a guest style is them (username optional)."""

    username: FlexStr | None = Field(default=None, max_length=254)


class EditUserRequest(UserRequest):
    enforceUniqueFields: list[str] | None = None
    setUserFields: FieldSet = None


class CardOnlyRequest(GuestRequest):
    printedCardNumber: CardNumber


class EClubEditRequest(GuestRequest):
    email: FlexStr | None = Field(default=None, max_length=254)
    printedCardNumber: FlexStr | None = Field(default=None, max_length=64)
    setUserFields: FieldSet = None
    setAccountFields: FieldSet = None

    def sent(self) -> FieldsSent:
        return FieldsSent(self.setUserFields, self.setAccountFields)


class Address(WireModel):
    """A postal address of the guest."""

    addressId: FlexLong | None = None
    label: Text100 | None = None
    address1: Annotated[str, Field(max_length=200)] | None = None
    address2: Annotated[str, Field(max_length=200)] | None = None
    city: Text100 | None = None
    stateProvince: Text100 | None = None
    postalCode: Annotated[str, Field(max_length=32)] | None = None
    country: Annotated[str, Field(max_length=64)] | None = None


class AddressRequest(UserRequest):
    address: Address


class DeleteAddressRequest(UserRequest):
    addressId: FlexLong


class AddressReply(ReplyModel):
    result: str = "success"
    addressId: int | None = None


class ExternalAccount(WireModel):
    """An account in another system linked to the guest's account."""

    externalIdentifier: FlexStr = Field(min_length=1, max_length=100)
    accountCode: FlexStr = Field(min_length=1, max_length=200)


class ExternalAccountsRequest(CardOnlyRequest, AppleProof):
    addExternalAccounts: list[ExternalAccount] | None = Field(default=None, max_length=50)
    removeExternalAccounts: list[ExternalAccount] | None = Field(default=None, max_length=50)


class PerkRequest(CardOnlyRequest):
    perkCode: FlexStr = Field(min_length=1, max_length=64)


class PerksRequest(GuestRequest):
    perkType: FlexStr = Field(min_length=1, max_length=64)


class Perk(ReplyModel):
    """A perk the guest may choose."""

    code: str
    type: str
    label: str


class ConfiguredPerksReply(ReplyModel):
    result: str = "success"
    perks: list[Perk]


class CompleteVerificationRequest(GuestRequest):
    verificationCode: FlexStr = Field(min_length=1, max_length=64)


class RelatedGuestIn(WireModel):
    """Members are checked by the service, so each bad one is reported under its own key."""

    id: FlexLong | None = None
    firstName: Any = None
    lastName: Any = None
    dateOfBirth: Any = None
    relationship: Any = None


class RelatedGuest(ReplyModel):
    """A guest related to the account holder."""

    id: int
    firstName: str | None = None
    lastName: str | None = None
    dateOfBirth: str | None = None
    relationship: str | None = None


class AddRelatedGuestsRequest(CardOnlyRequest):
    relatedGuests: list[RelatedGuestIn] = Field(max_length=50)


class EditRelatedGuestRequest(CardOnlyRequest):
    relatedGuest: RelatedGuestIn


class RemoveRelatedGuestRequest(CardOnlyRequest):
    relatedGuestId: FlexLong


class ValidateRelatedGuestRequest(GuestRequest):
    relatedGuest: RelatedGuestIn


class RelatedGuestsReply(EnrollmentReply):
    relatedGuests: list[RelatedGuest] | None = None


class BeginCombineRequest(UserRequest):
    pass


class WorkflowRequest(GuestRequest):
    workflowId: FlexStr = Field(min_length=1, max_length=64)


class CompleteCombineRequest(WorkflowRequest):
    verificationCode: FlexStr | None = Field(default=None, max_length=64)
    accountIds: list[FlexLong] | None = Field(default=None, max_length=100)


class CandidateAccount(ReplyModel):
    """Another account that may be the guest's, offered for combining."""

    accountId: int
    # Masked (domain.cards.mask), never whole: the candidate is not the caller's until
    # combined.
    maskedCardNumber: str
    cardTemplateCode: int
    registered: bool


class AutomaticCombineReply(ReplyModel):
    result: str = "success"
    workflowId: str | None = None
    candidateAccounts: list[CandidateAccount] | None = None
    # Where the ownership code went ("email" or "sms"), so the app can say so.
    verificationChannel: str | None = None
