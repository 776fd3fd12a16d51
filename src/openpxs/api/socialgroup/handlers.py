"""Social Group Service: guests form groups with friends, invite them or ask to join
theirs, and the group's owner and admins manage who is in it (docs/api/socialgroup.md).
"""

from __future__ import annotations

from openpxs.api.socialgroup import models as m
from openpxs.api.socialgroup.errors import CODE, INVITE, JOIN, SOCIALGROUP, STYLES, USER
from openpxs.api.socialgroup.replies import group, invitation, request, summary
from openpxs.domain.errors import Reason as R
from openpxs.services import social_groups as sg
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

READ, WRITE = "account_read", "account_write"
TEMPLATE = (R.INVALID_CARD_TEMPLATE,)


def _group_reply(ctx: CallContext, view: sg.GroupView) -> m.SocialGroupReply:
    return m.SocialGroupReply(group=group(ctx.program, view))


@endpoint(
    SOCIALGROUP,
    "groupsContainingMyFriendsByExternalAccounts",
    method="GET",
    request=m.ByExternalAccountsRequest,
    reply=m.ExternalAccountGroupsReply,
    styles=STYLES,
    summary="Groups that friends (by external account) belong to",
    errors=(*USER, *TEMPLATE, R.EXTERNAL_IDENTIFIER_NOT_ALLOWED),
    scope=READ,
)
async def groups_by_external_accounts(
    ctx: CallContext, req: m.ByExternalAccountsRequest
) -> m.ExternalAccountGroupsReply:
    """One entry per account code asked about (at most 100), in the order given, with the
    groups of the guests carrying that external account; an entry is empty alike for a
    code no guest has and for a guest in no group."""
    found = await sg.groups_by_external_accounts(
        ctx, req.username, req.externalIdentifier, req.accountCodes, req.cardTemplateCode
    )
    return m.ExternalAccountGroupsReply(
        extAcctGroups=[
            m.ExternalAccountSocialGroupSummary(
                accountCode=code, groups=[summary(v) for v in views]
            )
            for code, views in found.items()
        ]
    )


@endpoint(
    SOCIALGROUP,
    "groupsContainingMyFriendsByEmailAddresses",
    method="GET",
    request=m.ByEmailsRequest,
    reply=m.EmailGroupsReply,
    styles=STYLES,
    summary="Groups that friends (by e-mail address) belong to",
    errors=(*USER, *TEMPLATE),
    scope=READ,
)
async def groups_by_emails(ctx: CallContext, req: m.ByEmailsRequest) -> m.EmailGroupsReply:
    """One entry per address asked about (at most 100), with the groups of the guests who
    have it and their members by first and last name and role (no usernames)."""
    found = await sg.groups_by_emails(ctx, req.username, req.emails, req.cardTemplateCode)
    return m.EmailGroupsReply(
        emailGroups=[
            m.EmailAddressSocialGroup(
                email=email, groups=[group(ctx.program, v, with_usernames=False) for v in views]
            )
            for email, views in found.items()
        ]
    )


@endpoint(
    SOCIALGROUP,
    "requestToJoinByExternalAccount",
    request=m.JoinByExternalAccountRequest,
    reply=m.JoinRequestReply,
    styles=STYLES,
    summary="Ask to join a friend's group (friend by external account)",
    errors=(*JOIN, R.EXT_ACCT_NOT_IN_GROUP),
    scope=WRITE,
)
async def request_by_external_account(
    ctx: CallContext, req: m.JoinByExternalAccountRequest
) -> m.JoinRequestReply:
    """A pending request; nothing changes in the group until its owner or an admin
    accepts."""
    made = await sg.request_to_join(
        ctx,
        req.username,
        req.groupCode,
        req.message,
        external=(req.externalIdentifier, req.accountCode),
    )
    return m.JoinRequestReply(request=request(ctx.program, made))


@endpoint(
    SOCIALGROUP,
    "requestToJoinByEmailAddress",
    request=m.JoinByEmailRequest,
    reply=m.JoinRequestReply,
    styles=STYLES,
    summary="Ask to join a friend's group (friend by e-mail address)",
    errors=(*JOIN, R.EMAIL_NOT_IN_GROUP),
    scope=WRITE,
)
async def request_by_email(ctx: CallContext, req: m.JoinByEmailRequest) -> m.JoinRequestReply:
    """A pending request; nothing changes in the group until its owner or an admin
    accepts."""
    made = await sg.request_to_join(ctx, req.username, req.groupCode, req.message, email=req.email)
    return m.JoinRequestReply(request=request(ctx.program, made))


@endpoint(
    SOCIALGROUP,
    "acceptRequest",
    request=m.RequestCodeRequest,
    reply=m.SocialGroupReply,
    styles=STYLES,
    summary="Owner or admin: let a requester in",
    errors=(
        *USER,
        R.GROUP_NOT_FOUND,
        R.JOIN_REQUEST_NOT_FOUND,
        R.NOT_AUTHORIZED,
        R.MAX_MEMBERS,
        R.MAX_GROUPS,
        R.GROUP_CONFIG_NOT_FOUND,
    ),
    scope=WRITE,
)
async def accept_request(ctx: CallContext, req: m.RequestCodeRequest) -> m.SocialGroupReply:
    """The requester becomes a MEMBER and the request is gone."""
    view = await sg.answer_request(ctx, req.username, req.groupCode, req.requestCode, accept=True)
    return _group_reply(ctx, view)


@endpoint(
    SOCIALGROUP,
    "rejectRequest",
    request=m.RequestCodeRequest,
    reply=m.SocialGroupReply,
    styles=STYLES,
    summary="Owner or admin: turn a request down",
    errors=(*USER, R.GROUP_NOT_FOUND, R.JOIN_REQUEST_NOT_FOUND, R.NOT_AUTHORIZED),
    scope=WRITE,
)
async def reject_request(ctx: CallContext, req: m.RequestCodeRequest) -> m.SocialGroupReply:
    """The request is deleted; the requester may ask again."""
    view = await sg.answer_request(ctx, req.username, req.groupCode, req.requestCode, accept=False)
    return _group_reply(ctx, view)


@endpoint(
    SOCIALGROUP,
    "cancelRequest",
    request=m.GroupRequest,
    reply=m.SocialGroupReply,
    styles=STYLES,
    summary="Withdraw one's own request to join",
    errors=(*USER, R.GROUP_NOT_FOUND, R.JOIN_REQUEST_NOT_FOUND),
    scope=WRITE,
)
async def cancel_request(ctx: CallContext, req: m.GroupRequest) -> m.SocialGroupReply:
    """The group is answered without its members (the caller is not one)."""
    return _group_reply(ctx, await sg.cancel_request(ctx, req.username, req.groupCode))


@endpoint(
    SOCIALGROUP,
    "leaveGroup",
    request=m.GroupRequest,
    reply=m.SocialGroupReply,
    styles=STYLES,
    summary="Leave a group",
    errors=(*USER, R.GROUP_NOT_FOUND, R.NOT_GROUP_MEMBER, R.NOT_AUTHORIZED),
    scope=WRITE,
)
async def leave_group(ctx: CallContext, req: m.GroupRequest) -> m.SocialGroupReply:
    """The owner must first make another member OWNER (not_authorized otherwise); the
    last member leaving dissolves the group."""
    return _group_reply(ctx, await sg.leave(ctx, req.username, req.groupCode))


@endpoint(
    SOCIALGROUP,
    "myGroups",
    method="GET",
    request=m.TemplateRequest,
    reply=m.MyGroupsReply,
    styles=STYLES,
    summary="The groups a guest belongs to",
    errors=(*USER, *TEMPLATE),
    scope=READ,
)
async def my_groups(ctx: CallContext, req: m.TemplateRequest) -> m.MyGroupsReply:
    """Each with its members and their roles, and pending requests where the guest is
    the owner or an admin."""
    views = await sg.my_groups(ctx, req.username, req.cardTemplateCode)
    return m.MyGroupsReply(groups=[group(ctx.program, v) for v in views])


@endpoint(
    SOCIALGROUP,
    "createGroup",
    request=m.CreateGroupRequest,
    reply=m.SocialGroupReply,
    styles=STYLES,
    summary="Create a group, with the caller as its owner",
    errors=(*USER, *TEMPLATE, R.GROUP_CONFIG_NOT_FOUND, R.MAX_CREATE, R.MAX_GROUPS),
    scope=WRITE,
)
async def create_group(ctx: CallContext, req: m.CreateGroupRequest) -> m.SocialGroupReply:
    """name is required (up to 100 characters), description optional (up to 500)."""
    view = await sg.create(ctx, req.username, req.name, req.description, req.cardTemplateCode)
    return _group_reply(ctx, view)


@endpoint(
    SOCIALGROUP,
    "inviteByExternalAccount",
    request=m.InviteByExternalAccountRequest,
    reply=m.InvitationReply,
    styles=STYLES,
    summary="Invite a friend by external account",
    errors=INVITE,
    scope=WRITE,
)
async def invite_by_external_account(
    ctx: CallContext, req: m.InviteByExternalAccountRequest
) -> m.InvitationReply:
    """Any member may invite. The friend need not be enrolled: the invitation shows in
    their myPendingInvitations once an account of theirs carries the external account."""
    found = await sg.invite_by_external_account(
        ctx, req.username, req.groupCode, req.externalIdentifier, req.accountCode
    )
    return m.InvitationReply(invitation=invitation(ctx.program, found))


@endpoint(
    SOCIALGROUP,
    "inviteByEmailAddress",
    request=m.InviteByEmailRequest,
    reply=m.InvitationReply,
    styles=STYLES,
    summary="Invite a friend by e-mail address",
    errors=INVITE,
    scope=WRITE,
)
async def invite_by_email(ctx: CallContext, req: m.InviteByEmailRequest) -> m.InvitationReply:
    """Any member may invite. An e-mail with the invitation code is sent to the address
    whether or not a guest has it; after enrolling with it, the friend sees the invitation
    in myPendingInvitations and accepts it with the code."""
    found = await sg.invite_by_email(ctx, req.username, req.groupCode, req.email)
    return m.InvitationReply(invitation=invitation(ctx.program, found))


@endpoint(
    SOCIALGROUP,
    "myPendingInvitations",
    method="GET",
    request=m.UserRequest,
    reply=m.InvitationListReply,
    styles=STYLES,
    summary="Invitations addressed to a guest",
    errors=USER,
    scope=READ,
)
async def my_pending_invitations(ctx: CallContext, req: m.UserRequest) -> m.InvitationListReply:
    """Matched by the guest's e-mail address and the external accounts of their
    accounts."""
    found = await sg.my_invitations(ctx, req.username)
    return m.InvitationListReply(invitations=[invitation(ctx.program, i) for i in found])


@endpoint(
    SOCIALGROUP,
    "pendingInvitationDetails",
    method="GET",
    request=m.InvitationCodeRequest,
    reply=m.InvitationReply,
    styles=STYLES,
    summary="The group and inviter behind an invitation code",
    errors=CODE,
)
async def pending_invitation_details(
    ctx: CallContext, req: m.InvitationCodeRequest
) -> m.InvitationReply:
    """For showing an invitation from a shared link before accepting it."""
    found = await sg.invitation_details(ctx, req.invitationCode)
    return m.InvitationReply(invitation=invitation(ctx.program, found))


@endpoint(
    SOCIALGROUP,
    "pendingInvitationsForGroup",
    method="GET",
    request=m.GroupRequest,
    reply=m.InvitationListReply,
    styles=STYLES,
    summary="A group's outstanding invitations",
    errors=(*USER, R.GROUP_NOT_FOUND, R.NOT_GROUP_MEMBER),
    scope=READ,
)
async def pending_invitations_for_group(
    ctx: CallContext, req: m.GroupRequest
) -> m.InvitationListReply:
    """Any member may look; invitation messages are listed without an addressee."""
    found = await sg.group_invitations(ctx, req.username, req.groupCode)
    return m.InvitationListReply(invitations=[invitation(ctx.program, i) for i in found])


@endpoint(
    SOCIALGROUP,
    "acceptInvitation",
    request=m.UserInvitationRequest,
    reply=m.SocialGroupReply,
    styles=STYLES,
    summary="Join a group with an invitation code",
    errors=(
        *USER,
        *CODE,
        R.ALREADY_IN_GROUP,
        R.MAX_MEMBERS,
        R.MAX_GROUPS,
        R.GROUP_NOT_FOUND,
        R.GROUP_CONFIG_NOT_FOUND,
    ),
    scope=WRITE,
)
async def accept_invitation(ctx: CallContext, req: m.UserInvitationRequest) -> m.SocialGroupReply:
    """The guest becomes a MEMBER. An addressed invitation is used up; an invitation
    message stays for whoever else it was shared with."""
    return _group_reply(ctx, await sg.accept_invitation(ctx, req.username, req.invitationCode))


@endpoint(
    SOCIALGROUP,
    "rejectInvitation",
    request=m.UserInvitationRequest,
    reply=m.SocialGroupReply,
    styles=STYLES,
    summary="Decline an invitation",
    errors=(*USER, *CODE, R.GROUP_NOT_FOUND),
    scope=WRITE,
)
async def reject_invitation(ctx: CallContext, req: m.UserInvitationRequest) -> m.SocialGroupReply:
    """An addressed invitation is deleted; declining an invitation message changes
    nothing for others."""
    return _group_reply(ctx, await sg.reject_invitation(ctx, req.username, req.invitationCode))


@endpoint(
    SOCIALGROUP,
    "cancelInvitation",
    request=m.GroupInvitationRequest,
    reply=m.SocialGroupReply,
    styles=STYLES,
    summary="Withdraw an invitation",
    errors=(
        *USER,
        R.GROUP_NOT_FOUND,
        R.INVITATION_NOT_FOUND,
        R.NOT_AUTHORIZED,
        R.TOO_MANY_ATTEMPTS,
    ),
    scope=WRITE,
)
async def cancel_invitation(ctx: CallContext, req: m.GroupInvitationRequest) -> m.SocialGroupReply:
    """By the member who sent it, or the group's owner or an admin."""
    view = await sg.cancel_invitation(ctx, req.username, req.groupCode, req.invitationCode)
    return _group_reply(ctx, view)


@endpoint(
    SOCIALGROUP,
    "removeMember",
    request=m.MemberRequest,
    reply=m.SocialGroupReply,
    styles=STYLES,
    summary="Owner or admin: remove a member",
    errors=(*USER, R.GROUP_NOT_FOUND, R.NOT_GROUP_MEMBER, R.NOT_AUTHORIZED),
    scope=WRITE,
)
async def remove_member(ctx: CallContext, req: m.MemberRequest) -> m.SocialGroupReply:
    """The owner removes anyone else; an admin removes members but not the owner or
    another admin. Leaving oneself is leaveGroup."""
    view = await sg.remove_member(ctx, req.username, req.groupCode, req.memberUsername)
    return _group_reply(ctx, view)


@endpoint(
    SOCIALGROUP,
    "modifyMemberRole",
    request=m.RoleRequest,
    reply=m.SocialGroupReply,
    styles=STYLES,
    summary="Owner: change a member's role",
    errors=(*USER, R.GROUP_NOT_FOUND, R.NOT_GROUP_MEMBER, R.NOT_AUTHORIZED, R.INVALID_ROLE),
    scope=WRITE,
)
async def modify_member_role(ctx: CallContext, req: m.RoleRequest) -> m.SocialGroupReply:
    """role is OWNER, ADMIN or MEMBER. Making another member OWNER hands ownership over:
    the caller becomes an ADMIN, so the group always has exactly one owner."""
    view = await sg.change_role(ctx, req.username, req.groupCode, req.memberUsername, req.role)
    return _group_reply(ctx, view)


@endpoint(
    SOCIALGROUP,
    "modifyGroupDetails",
    request=m.ModifyGroupRequest,
    reply=m.SocialGroupReply,
    styles=STYLES,
    summary="Owner or admin: rename or describe the group",
    errors=(*USER, R.GROUP_NOT_FOUND, R.NOT_AUTHORIZED),
    scope=WRITE,
)
async def modify_group_details(ctx: CallContext, req: m.ModifyGroupRequest) -> m.SocialGroupReply:
    """Omitted members keep their values; an empty description clears it."""
    view = await sg.modify(ctx, req.username, req.groupCode, req.name, req.description)
    return _group_reply(ctx, view)


@endpoint(
    SOCIALGROUP,
    "createInvitationMessage",
    request=m.GroupRequest,
    reply=m.InvitationMessageReply,
    styles=STYLES,
    summary="A shareable invitation code and message",
    errors=(
        *USER,
        R.GROUP_NOT_FOUND,
        R.NOT_GROUP_MEMBER,
        R.MAX_INVITATIONS,
        R.GROUP_CONFIG_NOT_FOUND,
    ),
    scope=WRITE,
)
async def create_invitation_message(
    ctx: CallContext, req: m.GroupRequest
) -> m.InvitationMessageReply:
    """Any member may make one. Whoever gets the code may join with acceptInvitation
    until a manager or the member cancels it; it counts against the group's maximum
    of pending invitations."""
    code, message = await sg.invitation_message(ctx, req.username, req.groupCode)
    return m.InvitationMessageReply(invitationCode=code, message=message)
