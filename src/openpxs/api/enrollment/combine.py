"""Enrollment Service: the automatic combine workflow that gathers a guest's other
accounts under their user."""

from __future__ import annotations

from openpxs.api.enrollment import models as m
from openpxs.api.enrollment.errors import ENROLLMENT
from openpxs.domain.cards import mask
from openpxs.domain.errors import Reason as R
from openpxs.services import automatic_combine
from openpxs.services.automatic_combine import Candidate
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


def _candidates(found: list[Candidate]) -> list[m.CandidateAccount]:
    return [
        m.CandidateAccount(
            accountId=c.account_id,
            maskedCardNumber=mask(c.card_number),
            cardTemplateCode=c.template_code,
            registered=c.registered,
        )
        for c in found
    ]


@endpoint(
    ENROLLMENT,
    "beginAutomaticCombine",
    request=m.BeginCombineRequest,
    reply=m.AutomaticCombineReply,
    styles=("oauth", "b2b"),
    summary="Find the guest's other accounts by e-mail or phone and send an ownership code",
    errors=(R.USER_NOT_FOUND, R.NO_COMBINE_CANDIDATES),
    scope="account_write",
)
async def begin_combine(ctx: CallContext, req: m.BeginCombineRequest) -> m.AutomaticCombineReply:
    """Matches on the user's e-mail when other accounts share it, else on their mobile
    phone; a one-time code goes to that address, proving the guest controls it. The
    workflow lives 30 minutes."""
    begun = await automatic_combine.begin(ctx, req.username)
    return m.AutomaticCombineReply(
        workflowId=begun.workflow_id,
        candidateAccounts=_candidates(begun.candidates),
        verificationChannel=begun.channel,
    )


@endpoint(
    ENROLLMENT,
    "automaticCombineCandidates",
    method="GET",
    request=m.WorkflowRequest,
    reply=m.AutomaticCombineReply,
    styles=("oauth", "b2b"),
    summary="The accounts a combine workflow found",
    errors=(R.INVALID_WORKFLOW,),
    scope="account_read",
)
async def combine_candidates(ctx: CallContext, req: m.WorkflowRequest) -> m.AutomaticCombineReply:
    found = await automatic_combine.candidates(ctx, req.workflowId)
    return m.AutomaticCombineReply(workflowId=req.workflowId, candidateAccounts=_candidates(found))


@endpoint(
    ENROLLMENT,
    "completeAutomaticCombine",
    request=m.CompleteCombineRequest,
    reply=m.EnrollmentReply,
    styles=("oauth", "b2b"),
    summary="Attach the confirmed candidate accounts to the guest and end the workflow",
    errors=(R.INVALID_WORKFLOW, R.INVALID_VERIFICATION_CODE),
    scope="account_write",
)
async def complete_combine(ctx: CallContext, req: m.CompleteCombineRequest) -> m.EnrollmentReply:
    """A guest must send the code from beginAutomaticCombine (a b2b caller acts with the
    merchant's authority and may leave it out). ``accountIds`` picks candidates; all by
    default. Each account becomes the guest's; those of the guest's home account's card
    template are then folded into it (balances move as ledger transactions, as
    guest/attachAndCombineCards does), the others stay separate accounts of the guest."""
    combined = await automatic_combine.complete(
        ctx, req.workflowId, req.verificationCode, req.accountIds
    )
    return m.EnrollmentReply(accountId=combined.account_id, printedCardNumber=combined.card_number)
