"""Request and reply objects of the Social Group Service (socialgroup.yaml).

Members with a refusal of their own (username, groupCode, an invitation code) are
optional here, so that a missing one answers that refusal rather than a generic
invalid request.
"""

from __future__ import annotations

from pydantic import Field

from openpxs.wire.types import FlexInt, FlexLong, FlexStr, ReplyModel, WireModel

User = Field(default=None, max_length=254)
Code = Field(default=None, max_length=100)
InvitationCode = Field(
    default=None,
    max_length=100,
    description="The code of the invitation (from its e-mail or link).",
)
Message = Field(default=None, max_length=500, description="A note to the group's managers.")


class _Request(WireModel):
    authentication: str | None = None
    merchantId: FlexInt

    def claimed_merchant_id(self) -> int:
        return self.merchantId


class UserRequest(_Request):
    username: FlexStr | None = User


class TemplateRequest(UserRequest):
    cardTemplateCode: FlexInt | None = None


class GroupRequest(UserRequest):
    groupCode: FlexLong | None = Field(default=None, description="The group's code.")


class ByExternalAccountsRequest(TemplateRequest):
    externalIdentifier: FlexStr | None = Code
    accountCodes: list[FlexStr] | None = Field(
        default=None, max_length=1000, description="At most 100, repeated as a query parameter."
    )


class ByEmailsRequest(TemplateRequest):
    emails: list[FlexStr] | None = Field(
        default=None, max_length=1000, description="At most 100, repeated as a query parameter."
    )


class JoinByExternalAccountRequest(GroupRequest):
    externalIdentifier: FlexStr | None = Code
    accountCode: FlexStr | None = Field(
        default=None, max_length=100, description="A friend's external account, in the group."
    )
    message: FlexStr | None = Message


class JoinByEmailRequest(GroupRequest):
    email: FlexStr | None = Field(
        default=None, max_length=254, description="A friend's e-mail address, in the group."
    )
    message: FlexStr | None = Message


class RequestCodeRequest(GroupRequest):
    requestCode: FlexLong | None = None


class CreateGroupRequest(TemplateRequest):
    name: FlexStr = Field(max_length=1000, description="The group's name (up to 100).")
    description: FlexStr | None = Field(
        default=None, max_length=2000, description="What the group is about (up to 500)."
    )


class ModifyGroupRequest(GroupRequest):
    name: FlexStr | None = Field(
        default=None, max_length=1000, description="A new name; omitted keeps the name."
    )
    description: FlexStr | None = Field(
        default=None,
        max_length=2000,
        description="A new description; omitted keeps it, empty clears it.",
    )


class InviteByExternalAccountRequest(GroupRequest):
    externalIdentifier: FlexStr | None = Code
    accountCode: FlexStr | None = Code


class InviteByEmailRequest(GroupRequest):
    email: FlexStr | None = Field(default=None, max_length=1000)


class InvitationCodeRequest(_Request):
    invitationCode: FlexStr | None = InvitationCode


class UserInvitationRequest(UserRequest):
    invitationCode: FlexStr | None = InvitationCode


class GroupInvitationRequest(GroupRequest):
    invitationCode: FlexStr | None = InvitationCode


class MemberRequest(GroupRequest):
    memberUsername: FlexStr | None = Field(
        default=None, max_length=254, description="The username of the member acted on."
    )


class RoleRequest(MemberRequest):
    role: FlexStr | None = Field(default=None, max_length=20)


class SocialGroupMember(ReplyModel):
    """A member and their role; friends' lookups leave the username out."""

    username: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    role: str = Field(description="OWNER, ADMIN or MEMBER.")


class JoinRequest(ReplyModel):
    """A pending request to join a group."""

    requestCode: int = Field(description="What acceptRequest and rejectRequest take.")
    username: str
    message: str | None = Field(default=None, description="The requester's note.")
    createdDate: str | None = Field(default=None, description="When the request was made.")


class SocialGroup(ReplyModel):
    """A group with its members; pending requests only for its owner and admins."""

    groupCode: int = Field(description="The group's code.")
    name: str = Field(description="The group's name.")
    description: str | None = Field(default=None, description="What the group is about.")
    members: list[SocialGroupMember] | None = Field(
        default=None,
        description="Owner first, then admins, then members; absent where the caller is not "
        "a member.",
    )
    pendingRequests: list[JoinRequest] | None = Field(
        default=None, description="Requests to join, for the group's owner and admins only."
    )


class SocialGroupSummary(ReplyModel):
    """A group in short: its name and how many members it has."""

    groupCode: int = Field(description="The group's code.")
    name: str = Field(description="The group's name.")
    description: str | None = Field(default=None, description="What the group is about.")
    memberCount: int | None = Field(default=None, description="How many members it has.")


class ExternalAccountSocialGroupSummary(ReplyModel):
    """The groups of the guests with one external account code."""

    accountCode: str = Field(description="The friend's external account code, as asked.")
    groups: list[SocialGroupSummary] = Field(
        description="Empty when no guest with the code is in a group (or none has it)."
    )


class EmailAddressSocialGroup(ReplyModel):
    """The groups of the guests with one e-mail address, members without usernames."""

    email: str = Field(description="The friend's e-mail address, as asked.")
    groups: list[SocialGroup] = Field(
        description="Empty when no guest with the address is in a group (or none has it)."
    )


class Invitation(ReplyModel):
    """A pending invitation: addressed to an e-mail address or an external account, or
    neither (a shareable invitation message)."""

    invitationCode: str = Field(description="What acceptInvitation takes.")
    groupCode: int = Field(description="The group invited to.")
    groupName: str | None = Field(default=None, description="The group's name.")
    inviterUsername: str | None = Field(default=None, description="Who sent the invitation.")
    email: str | None = Field(default=None, description="The address invited, lower case.")
    externalIdentifier: str | None = Field(
        default=None, description="The external system of the account invited."
    )
    accountCode: str | None = Field(default=None, description="The external account invited.")
    createdDate: str | None = Field(default=None, description="When the invitation was made.")


class ExternalAccountGroupsReply(ReplyModel):
    result: str = "success"
    extAcctGroups: list[ExternalAccountSocialGroupSummary]


class EmailGroupsReply(ReplyModel):
    result: str = "success"
    emailGroups: list[EmailAddressSocialGroup]


class JoinRequestReply(ReplyModel):
    result: str = "success"
    request: JoinRequest | None = Field(default=None, description="The pending request.")


class SocialGroupReply(ReplyModel):
    result: str = "success"
    group: SocialGroup | None = Field(default=None, description="The group as it now stands.")


class MyGroupsReply(ReplyModel):
    result: str = "success"
    groups: list[SocialGroup] = Field(description="The guest's groups, oldest membership first.")


class InvitationReply(ReplyModel):
    result: str = "success"
    invitation: Invitation | None = Field(default=None, description="The invitation.")


class InvitationListReply(ReplyModel):
    result: str = "success"
    invitations: list[Invitation] = Field(description="Pending invitations, oldest first.")


class InvitationMessageReply(ReplyModel):
    result: str = "success"
    invitationCode: str = Field(description="What acceptInvitation takes.")
    message: str | None = Field(default=None, description="Text (and link) to share.")
