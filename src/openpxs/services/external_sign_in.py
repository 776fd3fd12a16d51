"""Signing a guest in by an identity another system vouches for (Sign in with Apple on
the guest website): the identity is an external account of the guest's account
(enrollment/editExternalAccounts links the same pairs), and a guest with none linked
yet joins the program as enrollment/createAndEdit enrols one, with what the provider
shared (e-mail address and name) and no username or password.

The caller checks the identity first (the provider's signature, audience, expiry and
nonce); these use cases trust it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from openpxs.domain.errors import Reason, Refused
from openpxs.domain.identity import Principal
from openpxs.services import enrollment, oauth
from openpxs.services.context import Call
from openpxs.services.external_accounts import edit_external_accounts
from openpxs.services.form_fields import FieldsSent
from openpxs.services.guest_access import account_by_id, user_for


@dataclass(frozen=True)
class ExternalIdentity:
    # The external identifier the provider's ids are linked under (e.g. "apple").
    provider: str
    subject: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


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
        await uow.external_accounts.link(
            merchant_id, enrolled.account_id, identity.provider, identity.subject
        )
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
    await edit_external_accounts(
        acting, ref.card_number, add=[(identity.provider, identity.subject)], remove=[]
    )
