"""Write src/openpxs/api/field_notes.json: every request and reply member's description,
taken from the notes of the PXS contract (../shared/spec, or OPENPXS_SPEC_DIR).

The server reads the file when it builds its OpenAPI document, so the reference does not
need the contract at run time. Run after changing a model or the contract:

    python -m tools.field_notes

tests/unit/test_field_notes.py fails when the committed file differs from what this
writes. Members the contract does not describe get their text from OWN_NOTES below.
"""

from __future__ import annotations

import json
import os
import re
import sys
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

import openpxs.api  # noqa: F401  (registers every service's endpoints)
from openpxs.wire.registry import REGISTRY, Endpoint

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "openpxs" / "api" / "field_notes.json"
SPEC = Path(os.environ.get("OPENPXS_SPEC_DIR", ROOT.parent / "shared" / "spec"))

Members = list[dict[str, Any]]
# Where a note's words come from is the contract's business, not the reader's: these
# leading and trailing provenance remarks are dropped.
_SOURCE = (
    r"(?:documented(?: field)?|seen in (?:real )?client code(?: constants)?|inferred|"
    r"third-party spec(?: only)?|reference example quoted in client code|"
    r"value seen in client code constants|from the guide|query parameter)"
)
_LEADING = re.compile(rf"^{_SOURCE}(?: \([^)]*\))?\s*(?:[-;:,]\s*|$)", re.IGNORECASE)
_TRAILING = re.compile(rf"[;,(]\s*{_SOURCE}(?: \([^)]*\))?\)?\s*$", re.IGNORECASE)

# The members proving an Apple ID an enrollment call links (AppleProof).
APPLE_PROOF = (
    "Sign in with Apple's identity token proving the Apple ID an external account names "
    "(as requestGuestToken's Apple grant takes it)"
)
APPLE_NONCE = "The nonce whose SHA-256 (hex) the app gave Apple with the id_token's request"

# Members the contract lists without a usable note, or that the server adds; keyed by
# "Model.member" or by "member" for every model.
OWN_NOTES: dict[str, str] = {
    "StoresRequest.storeGroupCode": "Limit the list to the stores of this store group",
    "ActiveTour.tourCode": "The tour's code, as tourStatus takes it",
    "ActiveTour.name": "The tour's name",
    "ActiveTour.items": "The items to buy, each counted once",
    "ActiveToursReply.tours": "The tours whose dates hold the merchant's today",
    "PostRegionEventRequest.eventTime": "When the device crossed the edge (ISO 8601 with an "
    "offset); now when absent",
    "RegionDefinition.coordinates": "The centre of the region",
    "RegionDefinitionsReply.geoRegions": "The regions to monitor",
    "TourItem.name": "The item's name",
    "TourItemStatus.itemCode": "The POS item code",
    "TourItemStatus.name": "The item's name",
    "TourItemStatus.firstPurchaseDate": "When the item was first bought within the tour",
    "TourStatusReply.tourCode": "The tour asked about",
    "TourStatusReply.completedItems": "The tour's items bought so far, in the tour's order",
    "TourStatusReply.itemsCompleted": "How many of the tour's items are bought",
    "TourStatusReply.itemsTotal": "How many items the tour has",
    "TourStatusReply.completed": "Whether every item of the tour is bought",
    "Location.address": "The store's address and phone number",
    "LocationAddress.address1": "First line of the street address",
    "LocationAddress.city": "City",
    "LocationAddress.stateProvince": "State or province",
    "LocationsReply.locations": "The stores found, nearest first for a nearby search",
    "accounts": "The accounts that match the query",
    "addresses": "The user's saved addresses",
    "annotation": "The comment recorded on the transaction",
    "canCombine": "Whether the two accounts may be combined into one",
    "candidateAccounts": "Other accounts that look like the guest's, to combine after "
    "the guest proves they own them",
    "cardResults": "One result per card of the request, in the request's order",
    "categoryId": "The POS's code of the menu category",
    "checkinDatetime": "When the guest checked in",
    "Check.closeTime": "When the check was closed at the POS",
    "Check.openTime": "When the check was opened at the POS",
    "Check.discounts": "Discounts the POS applied to the check",
    "Check.guestCount": "How many guests the check served",
    "Check.payments": "How the check was paid",
    "Check.serviceCharges": "Service charges on the check (tips, delivery fees...)",
    "Check.tax": "Tax on the check",
    "Check.total": "The check's total, tax included",
    "config": "The enrollment form: every field a guest may or must give, with its rules",
    "customerName": "The account holder's name, for the receipt",
    "description": "What the wallet or reward is, in words for the guest",
    "detail": "How the rule earned this quantity, in words",
    "details": "The wallet movements of the transaction",
    "discountAmount": "The money off the check the reward gives",
    "discountObjectNumber": "The POS's discount number the reward rings up as",
    "discountPercent": "The percentage off the item or check the reward gives",
    "enabled": "Whether the card is enabled (a disabled card is refused everywhere)",
    "endDate": "Last day of the history to return (yyyy-mm-dd), inclusive",
    "endDatetime": "When the price-match discount stops applying",
    "enrollmentStore": "The store where the guest enrolled",
    "eventName": "The event that earns the reward (for example a birthday)",
    "field": "The name of the enrollment field",
    "firstName": "Guest's first name",
    "lastName": "Guest's last name",
    "giftable": "Whether the wallet's value may be given to another guest",
    "hasVisibleComment": "Whether the transaction carries a comment the guest can see",
    "itemDiscounts": "Rewards that discount one item of the check",
    "subtotalDiscounts": "Rewards that discount the check's subtotal",
    "maxLength": "Longest value the field accepts",
    "minLength": "Shortest value the field accepts",
    "unique": "Whether no two guests of the merchant may give the same value",
    "newPassword": "The guest's new password, meeting the program's password rules",
    "pendingRewards": "Event rewards the guest will receive when their event comes",
    "pointBalances": "Balances of the account's point and visit wallets",
    "rewardBalances": "Balances of the account's reward wallets",
    "postedDatetime": "When the check was posted",
    "priceMatchDiscounts": "The price-match discounts",
    "productId": "The product the reward gives, in the merchant's catalogue",
    "productType": "The kind of product the reward gives",
    "rewardType": "The kind of reward the wallet holds (discount, free item...)",
    "pxTransactionIds": "The server's transactions the check was posted as",
    "receiptSettings": "How the receipt text is laid out (accepted and ignored)",
    "receiptText": "Lines for the POS to print on the receipt",
    "referralCode": "The guest's own code, which friends give when they enroll",
    "referralDate": "When the friend was referred",
    "referrals": "Friends referred by the guest",
    "refresh_token": "Token that gets a new access token when this one expires",
    "registered": "Whether the account has a registered user",
    "relatedGuests": "Guests related to the account holder (family members...)",
    "relationship": "How the related guest is related to the account holder",
    "rewardName": "The reward's name, for the receipt",
    "rewardSelectionMode": "How rewards are chosen for the check (accepted and ignored)",
    "rule": "The earning rule that applied",
    "ruleBreakdown": "What each earning rule added to the account",
    "startDatetime": "When the price-match discount starts applying",
    "storeName": "The name of the store where the transaction happened",
    "storedCheck": "The check as posted",
    "unitPrice": "Price of one unit of the item",
    "verificationChannel": "Where the ownership code was sent: email or sms",
    "verificationCode": "The ownership code the guest received",
    "walletName": "The wallet's name",
    "perkType": "The kind of perks to list",
    "tierLabel": "The name of the account's tier, for the guest",
    "wallets": "Every wallet of the program, with its configuration",
    "workflowId": "Identifies the combine started by automaticCombine",
    "authentication": "The authentication style of the call; the operation's description "
    "lists the styles it accepts",
    "merchantId": "The merchant the call is for; it must be the integration's own",
    "printedCardNumber": "The number printed on the card",
    "result": "The outcome: the service's success value, or a refusal's result (then "
    "errorCode and errorMessage say why)",
    "errorCode": "The refusal's code, present when result is not success",
    "errorMessage": "The refusal in words, present when result is not success",
    "username": "The guest's username",
    "access_token": "The guest's OAuth access token",
    "accountId": "The account's id",
    "accountIds": "The ids of the user's accounts",
    "storeCode": "The code of the store where the call happens",
    "walletCode": "The wallet's code in the program",
    "terminal": "The POS terminal the check was rung up on",
    "operator": "The cashier who rang up the check",
    "operatorId": "The cashier who started the request; '0' when unknown",
    "agentName": "The name of the POS software sending the check",
    "email": "The guest's e-mail address",
    "check": "The POS check",
    "cardInfo": "The card the call is about",
    "headerInfo": "Who sends the call, from where, and the POS's own transaction ids",
    "autoActivateCard": "Activate the card first when it is not yet active",
    "cardTemplateCode": "The card template (program) of the account",
    "cardTemplateLabel": "The name of the card template (program)",
    "walletBalances": "The balance of every wallet of the account",
    "setAccountFields": "Account fields to set, by field name",
    "setUserFields": "User fields (demographics) to set, by field name",
    "enforceUniqueFields": "Fields whose values no other guest of the merchant may hold",
    "addWalletContents": "Value to add, per wallet",
    "redeemWalletContents": "Value to redeem, per wallet",
    "activationStoreCode": "The store credited with activating the card",
    "scope": "OAuth scopes, separated by spaces",
    "password": "The guest's password; never returned",
    "maxNumberOfResults": "At most this many entries are returned",
    "maskedCardNumber": "The card number with all but its last four digits masked",
    "userIdentity": "What identifies the guest: a card, a username or an e-mail address",
    "token_type": "Always bearer",
    "expires_in": "Seconds until the access token expires",
    "tierCode": "The code of the account's tier",
    "startDate": "First day of the history to return (yyyy-mm-dd), inclusive",
    "dateStart": "First day of the history to return (yyyy-mm-dd), inclusive",
    "dateEnd": "Last day of the history to return (yyyy-mm-dd), inclusive",
    "serviceChargeDiscounts": "Rewards that discount a service charge of the check",
    "multiItemDiscounts": "Rewards that discount several items of the check together",
    "resetCode": "The code from the password-reset message",
    "registrationStatus": "Whether the account has a registered user",
    "isRegistered": "Whether the account has a registered user",
    "pxTransactionId": "The server's id of the transaction, for voids and reversals",
    "primaryCard": "The account's primary card",
    "additionalCards": "The account's other cards (empty when there are none)",
    "mobilePhone": "The guest's mobile phone number",
    "integrationIdentifier": "The caller's own name for the integration sending the check",
    "integrationId": "The integration that redeemed the coupon",
    "fields": "Field values, by field name; blank fields are left out",
    "dateOfBirth": "The guest's date of birth (yyyy-mm-dd)",
    "couponCode": "The coupon code the guest typed or scanned",
    "couponCodes": "Coupon codes to apply to the check",
    "addressId": "The id of the saved address",
    "address2": "Second line of the street address",
    "walletType": "The kind of wallet (stored value, points, rewards...)",
    "valueType": "How the wallet counts its value (money or units)",
    "visitCode": "The visit code from the receipt",
    "userFields": "The user's fields (demographics), by field name",
    "transactionIdLong": "The server's id of the transaction",
    "shortName": "The wallet's short name",
    "longName": "The wallet's long name",
    "tinyName": "The wallet's shortest name, for narrow displays",
    "terminalId": "The POS terminal that started the request",
    "svCurrentBalance": "The stored-value (gift) balance after the call",
    "storedValueBalance": "The stored-value (gift) balance, for stored-value programs",
    "rewards": "The account's rewards that may be given to another guest",
    "removeExternalAccounts": "External accounts to unlink",
    "addExternalAccounts": "External accounts to link",
    "relatedGuestId": "The id of the related guest",
    "relatedGuest": "The related guest, with its id",
    "registrationCode": "The registration code printed with the card",
    "redeemWallet": "The wallet the coupon redeems from",
    "queryCardStatus": "The status of the card asked about: ACTIVE, DISABLED or EXCHANGED",
    "accountStatus": "The account's status: ACTIVE or SUSPENDED",
    "postalCode": "The postal code",
    "posTransactionId": "The POS's own id of the transaction; a retry with the same id "
    "replays the first reply, and voids find their target by it",
    "phone": "The guest's phone number",
    "perks": "The perks the guest may choose",
    "Check.number": "The POS's check number",
    "Check.items": "The items of the check",
    "newCardInfo": "The replacement card, which must not be active yet",
    "modifiers": "Modifiers of the item (toppings, sides...), as items",
    "messageFrequency": "How often the guest wants messages",
    "itemId": "The menu item",
    "externalIdentifier": "The code of the external system (push service, partner...)",
    "expirationDate": "When the reward expires",
    "expiration": "When the value expires",
    "expirations": "Value that will expire, with its dates",
    "discountPerUnit": "Money off per unit of the item",
    "datetime": "When the request was created (server time when absent)",
    "Expiration.date": "The day the value expires (yyyy-mm-dd)",
    "Perk.code": "The perk's code, to choose it",
    "Perk.label": "The perk's name, for the guest",
    "Perk.type": "The kind of perk",
    "ConfigEntry.label": "The field's label, for the form",
    "ConfigEntry.required": "Whether the guest must fill the field",
    "ConfigEntry.scope": "Whether the field belongs to the user or to the account",
    "ConfigEntry.type": "The field's type",
    "cardAmounts": "One entry per guest paying: the card and the amount paid",
    "businessDate": "The POS's business date of the check (yyyy-mm-dd)",
    "CheckPayment.amount": "The amount paid",
    "addRedeemRequest": "A transaction/addRedeem.json request that posts this check's redemptions",
    "Category.name": "The category's name",
    "CheckDiscount.name": "The discount's name",
    "CheckItem.name": "The item's name",
    "PotentialUnitItem.name": "The item's name",
    "RedeemWallet.name": "The wallet's name",
    "RewardDetail.name": "The reward's name",
    "WalletBalanceOut.name": "The wallet's name",
    "WalletInfo.name": "The wallet's name",
    "RelatedGuest.id": "The related guest's id",
    "RelatedGuestIn.id": "The related guest's id (absent when adding one)",
    "PendingEventReward.quantity": "How much of the reward the guest will receive",
    "RuleBreakdown.quantity": "What the rule added",
    "TokenRequest.code_verifier": "Grant_type=authorization_code: the PKCE verifier (RFC 7636) "
    "of the code_challenge the guest website's accountlogin request carried",
    "TokenRequest.id_token": "Grant_type=http://paytronix.com/oauth/apple: the identity "
    "token Apple gave the app (a JWT)",
    "TokenRequest.nonce": "Grant_type=http://paytronix.com/oauth/apple: the app's nonce, "
    "whose SHA-256 (hex) it gave Apple and Apple put in the token",
    "LinkingCreateRequest.id_token": APPLE_PROOF,
    "LinkingCreateRequest.nonce": APPLE_NONCE,
    "CreateWithNumberRequest.id_token": APPLE_PROOF,
    "CreateWithNumberRequest.nonce": APPLE_NONCE,
    "ExternalAccountsRequest.id_token": APPLE_PROOF,
    "ExternalAccountsRequest.nonce": APPLE_NONCE,
    "WalletContentOut.quantity": "The quantity added or redeemed",
    "balance": "The wallet's current balance",
}


def clean(note: str) -> str:
    text = " ".join(str(note).split())
    for _ in range(3):
        text = _LEADING.sub("", text).strip()
        text = _TRAILING.sub("", text).strip()
    return text[:1].upper() + text[1:] if text else ""


class Contract:
    """The contract's endpoints by "METHOD path", its objects, and the members of every
    authentication style (part of every request, auth.yaml)."""

    def __init__(self, spec: Path):
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.objects: dict[str, Members] = {}
        self.auth: Members = []
        for file in sorted(spec.glob("*.yaml")):
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            if not isinstance(data, dict):
                continue
            for endpoint in data.get("endpoints") or []:
                self.endpoints[f"{str(endpoint['method']).upper()} {endpoint['path']}"] = endpoint
            for name, members in (data.get("objects") or {}).items():
                # An object repeated in several files: the one with more notes wins.
                if isinstance(members, list) and _noted(members) > _noted(
                    self.objects.get(name, [])
                ):
                    self.objects[name] = members
            for style in data.get("styles") or []:
                self.auth += style.get("parameters") or []


def _strong(note: str) -> bool:
    """A note that tells the reader something: not "As siblings" or "Inferred name"."""
    return len(note.split()) >= 3 and not _WEAK.match(note)


# Notes about the contract's sources or its other members rather than the member itself.
_WEAK = re.compile(
    r"^(inferred|same as|as the|as siblings|both names|documented as|consistent with|"
    r"required on failure|values unknown|code list unknown|allowed values unknown|"
    r"documented example|documented on|older crawl|not in the examples|"
    r"third-party description|documented footnote|with b2b|with oauth|"
    r"anonymous is the only style|inner shape unknown|wrapping the first)",
    re.IGNORECASE,
)


def _noted(members: Members) -> int:
    return sum(1 for m in members if isinstance(m, dict) and _strong(clean(m.get("notes", ""))))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a member's annotation holds (directly, in a list, or in a union)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _object_name(type_text: str) -> str:
    """'List[WalletContent]' -> 'WalletContent'."""
    inner = re.findall(r"[A-Za-z_]\w*", str(type_text))
    return inner[-1] if inner else ""


def key_of(model: type[BaseModel]) -> str:
    return f"{model.__module__}.{model.__qualname__}"


class Collector:
    def __init__(self, contract: Contract):
        self.contract = contract
        self.objects = contract.objects
        self.auth = contract.auth
        self.notes: dict[str, dict[str, Any]] = {}
        self.seen: set[tuple[str, int]] = set()
        # Every member list paired so far, kept alive: the pairs are told apart by the
        # lists' ids, and a list freed after its endpoint could hand its id to the next
        # endpoint's list, whose model would then be skipped.
        self.held: list[Members] = []

    def model(self, model: type[BaseModel], members: Members, about: str) -> None:
        # A model may hold itself (a tree); each pairing of model and members once.
        if (key_of(model), id(members)) in self.seen:
            return
        self.seen.add((key_of(model), id(members)))
        self.held.append(members)
        entry = self.notes.setdefault(key_of(model), {"fields": {}})
        if about and not entry.get("description"):
            entry["description"] = about
        by_name: dict[str, dict[str, Any]] = {}
        for member in members:  # the endpoint's own list before the auth members
            if isinstance(member, dict) and "name" in member:
                by_name.setdefault(str(member["name"]), member)
        for name, info in model.model_fields.items():
            wire = info.alias or name
            member = by_name.get(wire, {})
            note = self.note(model, wire, clean(member.get("notes", "")))
            if note and not _strong(entry["fields"].get(wire, "")):
                entry["fields"][wire] = note
            for nested in _models_in(info.annotation):
                object_name = _object_name(member.get("type", "")) or nested.__name__
                nested_members = self.objects.get(object_name) or self.objects.get(
                    nested.__name__, []
                )
                self.model(nested, nested_members, "")

    def note(self, model: type[BaseModel], wire: str, given: str) -> str:
        """The member's own note where it says something, else ours, else what it says."""
        own = OWN_NOTES.get(f"{model.__name__}.{wire}") or OWN_NOTES.get(wire, "")
        if _strong(given):
            return given
        return own or given

    def endpoint(self, ep: Endpoint, spec: dict[str, Any] | None) -> None:
        title = spec["name"] if spec else ep.summary
        request = list((spec or {}).get("request") or []) + self.auth
        self.model(ep.request, request, f"The request of “{title}” ({ep.path}).")
        reply = (spec or {}).get("reply")
        if isinstance(reply, str):
            members = self.objects.get(_object_name(reply), [])
        else:
            members = list(reply or [])
        self.model(ep.reply, members, f"The reply of “{title}” ({ep.path}).")


def collect(spec: Path) -> dict[str, Any]:
    contract = Contract(spec)
    collector = Collector(contract)
    for ep in REGISTRY.all():
        collector.endpoint(ep, contract.endpoints.get(f"{ep.method} {ep.path}"))
    return {
        key: {
            **({"description": entry["description"]} if entry.get("description") else {}),
            "fields": dict(sorted(entry["fields"].items())),
        }
        for key, entry in sorted(collector.notes.items())
    }


def render(spec: Path) -> str:
    return json.dumps(collect(spec), indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> int:
    OUTPUT.write_text(render(SPEC), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
