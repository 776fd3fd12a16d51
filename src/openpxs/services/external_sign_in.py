"""Signing a guest in by an identity another system vouches for (Sign in with Apple on
the guest website and in the apps): the identity is an external account of the guest's
account (enrollment/editExternalAccounts links the same pairs). On the website a guest
with none linked yet joins the program as enrollment/createAndEdit enrols one, with
what the provider shared (e-mail address and name) and no username or password; an app
is told no guest matches and enrols the guest itself, proving the Apple id it links
with the same identity token.

``sign_in_or_join`` and ``link_identity`` trust an identity their caller checked (the
provider's signature, audience, expiry and nonce); ``apple_identity`` is that check for
an app's identity token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.fields import FieldError, InvalidFields
from openpxs.domain.identity import Principal
from openpxs.integrations.apple_id import AppleTokenRefused, AppleVerifier, verify_identity_token
from openpxs.services import enrollment, oauth
from openpxs.services.context import Call
from openpxs.services.external_accounts import (
    ALREADY_LINKED,
    PROOF_REQUIRED,
    Pair,
    edit_external_accounts,
    unproven,
)
from openpxs.services.form_fields import FieldsSent
from openpxs.services.guest_access import AccountRef, account_by_id, user_for


@dataclass(frozen=True)
class ExternalIdentity:
    # The external identifier the provider's ids are linked under (e.g. "apple").
    provider: str
    subject: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


# requestGuestToken's grant by an identity token of Sign in with Apple (guest.apple),
# named in the style of the documented fieldset grant.
APPLE_GRANT = "http://paytronix.com/oauth/apple"
APPLE_NOT_OFFERED = "Sign in with Apple is not offered"
TOKEN_NOT_VALID = "The Apple identity token is not valid."
NO_LINKED_GUEST = "No guest is linked to this Apple ID"


class LinkedMeanwhile(Refused):
    """Another call linked the identity while this one enrolled a guest for it (two
    identical first sign-ins at once): this call is undone, and run again it finds the
    guest the other one enrolled."""

    def __init__(self) -> None:
        super().__init__(Reason.EXTERNAL_ACCOUNT_IN_USE, "Linked meanwhile by another sign-in")


class IdentityNotProven(Exception):
    """An identity token that does not hold (the reason is for the log, never the reply)."""


async def apple_identity(call: Call, id_token: str | None, nonce: str | None) -> ExternalIdentity:
    """The Apple user an app's identity token proves (guest.apple): signed by Apple's
    keys, for one of the apps' bundle ids, unexpired, and carrying SHA-256 of ``nonce``
    (required unless the program allows tokens without one). ``IdentityNotProven`` for
    a token that does not hold, and for any without guest.apple."""
    apple = call.program.guest.apple
    if apple is None:
        raise IdentityNotProven(APPLE_NOT_OFFERED)
    if not id_token or (apple.require_nonce and not nonce):
        raise IdentityNotProven("an id_token and its nonce are required")
    verifier = AppleVerifier(tuple(apple.client_ids), apple.keys_url, apple.issuer)
    try:
        verified = await verify_identity_token(
            verifier, id_token, nonce or None, call.now, hashed=True
        )
    except AppleTokenRefused as refused:
        raise IdentityNotProven(str(refused)) from None
    return ExternalIdentity(apple.external_identifier, verified.subject, verified.email)


async def sign_in_with_apple(
    call: Call, id_token: str | None, nonce: str | None, scope: str
) -> oauth.TokenSet:
    """requestGuestToken's Apple grant: tokens for the guest the proven Apple id is
    linked to. A token that does not hold is ``invalid_grant``; a proven Apple id linked
    to no guest is ``EXTERNAL_ACCOUNT_NOT_FOUND`` (no_matching_guests), which the app
    answers by enrolling the guest with that Apple id."""
    if call.program.guest.apple is None:
        raise Refused(Reason.UNSUPPORTED_GRANT_TYPE, APPLE_NOT_OFFERED)
    try:
        identity = await apple_identity(call, id_token, nonce)
    except IdentityNotProven:
        raise Refused(Reason.INVALID_GRANT, TOKEN_NOT_VALID) from None
    uow, merchant_id = call.uow, call.merchant_id
    holder = await uow.external_accounts.holder(merchant_id, identity.provider, identity.subject)
    user = await uow.users.of_account(merchant_id, holder) if holder is not None else None
    if user is None:
        raise Refused(Reason.EXTERNAL_ACCOUNT_NOT_FOUND, NO_LINKED_GUEST)
    return await oauth.issue_tokens(uow, call.program, call.integration, user, scope, call.now)


async def sign_in_or_join(
    call: Call, identity: ExternalIdentity, template_code: int, store_code: str | None
) -> oauth.TokenSet:
    """Sign in the guest whose account the identity is linked to; with none linked, enrol
    a new guest on ``template_code`` (the template's required fields and unique e-mail
    apply: a refusal changes nothing) and link the identity to the new account."""
    uow, merchant_id = call.uow, call.merchant_id
    holder = await uow.external_accounts.holder(merchant_id, identity.provider, identity.subject)
    if holder is not None:
        user = await uow.users.of_account(merchant_id, holder)
        if user is None:
            # Linked to an account nobody has registered: nothing to sign in to.
            raise Refused(Reason.USER_NOT_FOUND, "The linked account has no guest")
    else:
        values: dict[str, object] = {"style": "string"}
        for name, value in (
            ("email", identity.email),
            ("firstName", identity.first_name),
            ("lastName", identity.last_name),
        ):
            if value:
                values[name] = value
        sent = FieldsSent(user=values, account={"style": "string"}, enforce_unique=["email"])
        enrolled = await enrollment.sign_up(call, template_code, store_code, sent, login=False)
        if not await uow.external_accounts.link(
            merchant_id, enrolled.account_id, identity.provider, identity.subject
        ):
            # The same first sign-in, a moment earlier: this call's guest is undone.
            raise LinkedMeanwhile()
        user = await uow.users.by_id(merchant_id, enrolled.user) if enrolled.user_id else None
        if user is None:
            raise Refused(Reason.USER_NOT_FOUND, "The new account has no guest")
    return await oauth.issue_tokens(
        uow, call.program, call.integration, user, oauth.DEFAULT_SCOPE, call.now
    )


async def link_identity(call: Call, user_id: int, identity: ExternalIdentity) -> None:
    """Link the identity to the primary account of guest ``user_id``, as
    enrollment/editExternalAccounts links a pair (one linked to another account is
    refused)."""
    guest = Principal(
        style="oauth",
        merchant_id=call.merchant_id,
        user_id=user_id,
        scopes=frozenset(oauth.DEFAULT_SCOPE.split()),
    )
    acting = replace(call, principal=guest)
    user = await user_for(acting, None)
    ref = await account_by_id(acting, user.account_id)
    pair = (identity.provider, identity.subject)
    await edit_external_accounts(acting, ref.card_number, add=[pair], remove=[], proven=[pair])


# Where enrollment calls name the accounts to link (enrollment.yaml AccountFields).
EXTERNAL_ACCOUNTS = "externalAccounts"
FIELD_KEY = f"setAccountFields/{EXTERNAL_ACCOUNTS}"


@dataclass(frozen=True)
class Proof:
    """An enrollment call's identity token (and its nonce), proving the Apple id it links."""

    id_token: str | None = None
    nonce: str | None = None


def _requested_links(account: object) -> tuple[object, list[Pair]]:
    """``setAccountFields`` without its ``externalAccounts`` member, and the pairs that
    member names: a list of ExternalAccount objects (or a one-element list of one)."""
    if not isinstance(account, Mapping) or EXTERNAL_ACCOUNTS not in account:
        return account, []
    rest = {k: v for k, v in account.items() if k != EXTERNAL_ACCOUNTS}
    sent = account[EXTERNAL_ACCOUNTS]
    if isinstance(sent, list) and len(sent) == 1 and isinstance(sent[0], list):
        sent = sent[0]
    pairs: list[Pair] = []
    for item in sent if isinstance(sent, list) else [sent]:
        identifier = item.get("externalIdentifier") if isinstance(item, Mapping) else None
        code = item.get("accountCode") if isinstance(item, Mapping) else None
        if (
            not isinstance(identifier, str)
            or not isinstance(code, str)
            or not 0 < len(identifier) <= 100
            or not 0 < len(code) <= 200
        ):
            raise InvalidFields(
                {FIELD_KEY: [FieldError("invalid", "Each is {externalIdentifier, accountCode}")]}
            )
        pairs.append((identifier, code))
    if len(pairs) > 20 or len(set(pairs)) != len(pairs):
        raise InvalidFields({FIELD_KEY: [FieldError("invalid", "At most 20, each once")]})
    return rest, pairs


async def _proven(call: Call, pairs: list[Pair], proof: Proof) -> list[Pair]:
    """The pairs the identity token proves: the Apple id it names, when ``pairs`` links
    it. A sign-in provider's id without a token that names it is refused."""
    needing = unproven(call.program, pairs, ())
    if proof.id_token is None and not needing:
        return []
    if proof.id_token is None:
        raise InvalidFields({FIELD_KEY: [PROOF_REQUIRED]})
    try:
        identity = await apple_identity(call, proof.id_token, proof.nonce)
    except IdentityNotProven:
        raise InvalidFields({FIELD_KEY: [FieldError("not_proven", TOKEN_NOT_VALID)]}) from None
    pair = (identity.provider, identity.subject)
    if pair not in pairs:
        raise InvalidFields(
            {FIELD_KEY: [FieldError("not_proven", "The id_token names another Apple ID")]}
        )
    return [pair]


async def sign_up_linked(
    call: Call,
    template_code: int,
    store_code: str | None,
    sent: FieldsSent,
    proof: Proof,
    *,
    login: bool,
    card_number: str | None = None,
) -> enrollment.Enrolled:
    """enrollment.sign_up, linking the external accounts ``setAccountFields`` names to the
    new account: a sign-in provider's id (Sign in with Apple's) only when ``proof``
    proves it, and none linked to another account already (refused, nothing created)."""
    account, pairs = _requested_links(sent.account)
    proven = await _proven(call, pairs, proof)
    refused = unproven(call.program, pairs, proven)
    if refused:
        raise InvalidFields({FIELD_KEY: [PROOF_REQUIRED]})
    uow, merchant_id = call.uow, call.merchant_id
    for identifier, code in pairs:
        if await uow.external_accounts.holder(merchant_id, identifier, code) is not None:
            raise InvalidFields({FIELD_KEY: [ALREADY_LINKED]})
    enrolled = await enrollment.sign_up(
        call,
        template_code,
        store_code,
        replace(sent, account=account),
        login=login,
        card_number=card_number,
    )
    for identifier, code in pairs:
        if not await uow.external_accounts.link(merchant_id, enrolled.account_id, identifier, code):
            # Another enrollment linked it a moment earlier: this one is undone whole.
            raise InvalidFields({FIELD_KEY: [ALREADY_LINKED]})
    return enrolled


async def edit_links(
    call: Call, number: str, add: list[Pair], remove: list[Pair], proof: Proof
) -> AccountRef:
    """enrollment/editExternalAccounts: as ``external_accounts.edit_external_accounts``,
    with the Apple id ``proof``'s identity token proves allowed among ``add``."""
    proven: list[Pair] = []
    if proof.id_token is not None:
        try:
            identity = await apple_identity(call, proof.id_token, proof.nonce)
        except IdentityNotProven:
            raise InvalidFields({"id_token": [FieldError("not_proven", TOKEN_NOT_VALID)]}) from None
        proven.append((identity.provider, identity.subject))
    return await edit_external_accounts(call, number, add, remove, proven)
