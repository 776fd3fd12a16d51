"""Enrollment Service: what an account is linked to - identifiers in other systems,
and the program's perks."""

from __future__ import annotations

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.errors import ENROLLMENT
from openpxs.domain.errors import Reason as R
from openpxs.services import external_sign_in, perks
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


def _pairs(sent: list[m.ExternalAccount] | None) -> list[tuple[str, str]]:
    return [(e.externalIdentifier, e.accountCode) for e in sent or []]


@endpoint(
    ENROLLMENT,
    "editExternalAccounts",
    request=m.ExternalAccountsRequest,
    reply=m.EnrollmentReply,
    styles=("oauth", "b2b"),
    summary="Link or unlink external identifiers of an account",
    errors=(R.CARD_NOT_FOUND, R.FIELD_VALIDATION),
    scope="account_write",
)
async def edit_external_accounts(
    ctx: CallContext, req: m.ExternalAccountsRequest
) -> m.EnrollmentReply:
    """Removals run first, then additions. Linking a pair already on this account is a
    no-op; a pair linked to another account is refused (``already_linked``); a Sign in
    with Apple ID only with ``id_token`` (and ``nonce``) proving it (``proof_required``)."""
    ref = await external_sign_in.edit_links(
        ctx,
        req.printedCardNumber,
        add=_pairs(req.addExternalAccounts),
        remove=_pairs(req.removeExternalAccounts),
        proof=req.proof(),
    )
    return m.EnrollmentReply(accountId=ref.account_id, printedCardNumber=ref.card_number)


@endpoint(
    ENROLLMENT,
    "configuredPerks",
    method="GET",
    request=m.PerksRequest,
    reply=m.ConfiguredPerksReply,
    styles=("anonymous", "b2b", "oauth"),
    summary="The perks configured for one perk type",
    errors=(R.INVALID_PERK_TYPE,),
)
async def configured_perks(ctx: CallContext, req: m.PerksRequest) -> m.ConfiguredPerksReply:
    """A type with no configured perk is ``invalid_perk_type``."""
    found = perks.configured_perks(ctx.program, req.perkType)
    return m.ConfiguredPerksReply(
        perks=[m.Perk(code=p.code, type=p.type, label=p.label) for p in found]
    )


@endpoint(
    ENROLLMENT,
    "addAccountPerk",
    request=m.PerkRequest,
    reply=m.EnrollmentReply,
    styles=("b2b", "oauth"),
    summary="Attach a configured perk to an account",
    errors=(R.CARD_NOT_FOUND, R.INVALID_PERK),
    scope="account_write",
)
async def add_account_perk(ctx: CallContext, req: m.PerkRequest) -> m.EnrollmentReply:
    """Adding a perk the account already has is a success that changes nothing."""
    ref = await perks.add_perk(ctx, req.printedCardNumber, req.perkCode)
    return m.EnrollmentReply(accountId=ref.account_id, printedCardNumber=ref.card_number)
