"""Social Group Service reply objects from the use cases' views."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from openpxs.api.socialgroup import models as m
from openpxs.domain.program import Program
from openpxs.services.social_groups import GroupView, Invitation, JoinRequest, Member


def _local(moment: datetime, program: Program) -> str:
    return moment.astimezone(ZoneInfo(program.timezone)).isoformat(timespec="seconds")


def member(found: Member, *, with_username: bool = True) -> m.SocialGroupMember:
    return m.SocialGroupMember(
        username=found.username if with_username else None,
        firstName=found.first_name,
        lastName=found.last_name,
        role=found.role,
    )


def request(program: Program, found: JoinRequest) -> m.JoinRequest:
    return m.JoinRequest(
        requestCode=found.id,
        username=found.username or "",
        message=found.message,
        createdDate=_local(found.created_at, program),
    )


def group(program: Program, view: GroupView, *, with_usernames: bool = True) -> m.SocialGroup:
    return m.SocialGroup(
        groupCode=view.group.id,
        name=view.group.name,
        description=view.group.description,
        members=(
            [member(x, with_username=with_usernames) for x in view.members]
            if view.members is not None
            else None
        ),
        pendingRequests=(
            [request(program, r) for r in view.requests] if view.requests is not None else None
        ),
    )


def summary(view: GroupView) -> m.SocialGroupSummary:
    return m.SocialGroupSummary(
        groupCode=view.group.id,
        name=view.group.name,
        description=view.group.description,
        memberCount=len(view.members or []),
    )


def invitation(program: Program, found: Invitation) -> m.Invitation:
    return m.Invitation(
        invitationCode=found.code,
        groupCode=found.group_id,
        groupName=found.group_name,
        inviterUsername=found.inviter_username,
        email=found.email,
        externalIdentifier=found.external_identifier,
        accountCode=found.account_code,
        createdDate=_local(found.created_at, program),
    )
