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
    groupCode: FlexLong | None = None


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
    message: FlexStr | None = Field(default=None, max_length=500)


class JoinByEmailRequest(GroupRequest):
    email: FlexStr | None = Field(
        default=None, max_length=254, description="A friend's e-mail address, in the group."
    )
    message: FlexStr | None = Field(default=None, max_length=500)


class RequestCodeRequest(GroupRequest):
    requestCode: FlexLong | None = None


class CreateGroupRequest(TemplateRequest):
    name: FlexStr | None = Field(default=None, max_length=1000)
    description: FlexStr | None = Field(default=None, max_length=2000)


class ModifyGroupRequest(GroupRequest):
    name: FlexStr | None = Field(default=None, max_length=1000)
    description: FlexStr | None = Field(default=None, max_length=2000)


class InviteByExternalAccountRequest(GroupRequest):
    externalIdentifier: FlexStr | None = Code
    accountCode: FlexStr | None = Code


class InviteByEmailRequest(GroupRequest):
    email: FlexStr | None = Field(default=None, max_length=1000)


class InvitationCodeRequest(_Request):
    invitationCode: FlexStr | None = Code


class UserInvitationRequest(UserRequest):
    invitationCode: FlexStr | None = Code


class GroupInvitationRequest(GroupRequest):
    invitationCode: FlexStr | None = Code


class MemberRequest(GroupRequest):
    memberUsername: FlexStr | None = User


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
    message: str | None = None
    createdDate: str | None = None


class SocialGroup(ReplyModel):
    """A group with its members; pending requests only for its owner and admins."""

    groupCode: int
    name: str
    description: str | None = None
    members: list[SocialGroupMember] | None = None
    pendingRequests: list[JoinRequest] | None = None


class SocialGroupSummary(ReplyModel):
    groupCode: int
    name: str
    description: str | None = None
    memberCount: int | None = None


class ExternalAccountSocialGroupSummary(ReplyModel):
    accountCode: str = Field(description="The friend's external account code, as asked.")
    groups: list[SocialGroupSummary]


class EmailAddressSocialGroup(ReplyModel):
    email: str = Field(description="The friend's e-mail address, as asked.")
    groups: list[SocialGroup]


class Invitation(ReplyModel):
    """A pending invitation: addressed to an e-mail address or an external account, or
    neither (a shareable invitation message)."""

    invitationCode: str
    groupCode: int
    groupName: str | None = None
    inviterUsername: str | None = None
    email: str | None = None
    externalIdentifier: str | None = None
    accountCode: str | None = None
    createdDate: str | None = None


class ExternalAccountGroupsReply(ReplyModel):
    result: str = "success"
    extAcctGroups: list[ExternalAccountSocialGroupSummary]


class EmailGroupsReply(ReplyModel):
    result: str = "success"
    emailGroups: list[EmailAddressSocialGroup]


class JoinRequestReply(ReplyModel):
    result: str = "success"
    request: JoinRequest | None = None


class SocialGroupReply(ReplyModel):
    result: str = "success"
    group: SocialGroup | None = None


class MyGroupsReply(ReplyModel):
    result: str = "success"
    groups: list[SocialGroup]


class InvitationReply(ReplyModel):
    result: str = "success"
    invitation: Invitation | None = None


class InvitationListReply(ReplyModel):
    result: str = "success"
    invitations: list[Invitation]


class InvitationMessageReply(ReplyModel):
    result: str = "success"
    invitationCode: str
    message: str | None = Field(default=None, description="Text (and link) to share.")
