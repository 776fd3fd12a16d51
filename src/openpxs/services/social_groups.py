"""Social Group Service use cases: forming groups, inviting friends and asking to join,
answering requests and invitations, roles, leaving, and finding friends' groups.

The rules of roles live in ``domain.social_groups``. Every change to a group first locks
the group's row (PostgreSQL), so two owners or admins acting at once take turns; the
primary key of a membership and the one-owner index settle anything that slips past.

A guest-facing (oauth) caller acts only as itself (``guest_access.user_for``). Friends'
lookups answer one entry per identifier asked about, an empty one for an identifier no
guest has or whose guest is in no group, so the reply tells no more than which groups
have such a member.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpxs.config.social_groups import SocialGroupConfig
from openpxs.domain.errors import Reason, Refused
from openpxs.domain.social_groups import (
    MAX_LOOKUP,
    Role,
    check_leave,
    check_role_change,
    may_remove,
    new_invitation_code,
    normal_email,
    normal_invitation_code,
    parse_role,
    require_manager,
    successor,
)
from openpxs.messaging.outbox import enqueue
from openpxs.services import guessing
from openpxs.services.context import Call
from openpxs.services.guest_access import user_for
from openpxs.services.sending import may_send
from openpxs.store.repositories.social_groups import Group, Invitation, JoinRequest, Member
from openpxs.store.repositories.users import User
from openpxs.store.uow import UnitOfWork

__all__ = ["GroupView", "Invitation", "JoinRequest", "Member"]

NAME_LIMIT = 100
DESCRIPTION_LIMIT = 500
MESSAGE_LIMIT = 500


@dataclass(frozen=True)
class GroupView:
    """A group as one caller sees it: members, and pending requests for its managers
    (None for anyone else)."""

    group: Group
    # None where the caller is not a member (a cancelled request, a declined invitation).
    members: list[Member] | None
    requests: list[JoinRequest] | None = None


def _config(call: Call) -> SocialGroupConfig:
    config = call.program.social_groups
    if config is None:
        raise Refused(Reason.GROUP_CONFIG_NOT_FOUND)
    return config


def _template(call: Call, template_code: int | None) -> None:
    if template_code is not None and template_code not in call.program.templates:
        raise Refused(Reason.INVALID_CARD_TEMPLATE)


async def _group(call: Call, group_code: int | None, *, lock: bool = False) -> Group:
    found = (
        await call.uow.social_groups.group(call.merchant_id, group_code, lock=lock)
        if group_code is not None
        else None
    )
    if found is None:
        raise Refused(Reason.GROUP_NOT_FOUND)
    return found


async def _role(call: Call, group: Group, user: User) -> Role | None:
    role = await call.uow.social_groups.role(call.merchant_id, group.id, user.id)
    return Role(role) if role is not None else None


async def _member_role(call: Call, group: Group, user: User) -> Role:
    role = await _role(call, group, user)
    if role is None:
        raise Refused(Reason.NOT_GROUP_MEMBER)
    return role


async def _view(call: Call, group: Group, viewer_role: Role | None) -> GroupView:
    repo = call.uow.social_groups
    members = (await repo.members(call.merchant_id, [group.id]))[group.id]
    requests = (
        await repo.requests_for(call.merchant_id, [group.id])
        if viewer_role in (Role.OWNER, Role.ADMIN)
        else None
    )
    return GroupView(group, members, requests)


def _text(value: str | None, limit: int, what: str, *, required: bool = False) -> str | None:
    text = (value or "").strip()
    if what == "name":  # one line: it is an e-mail subject too
        text = " ".join(text.split())
    if not text:
        if required:
            raise Refused(Reason.INVALID_REQUEST, f"{what} is required")
        return None
    if len(text) > limit:
        raise Refused(Reason.INVALID_REQUEST, f"{what} is longer than {limit} characters")
    return text


async def _has_room(call: Call, config: SocialGroupConfig, group: Group) -> None:
    if await call.uow.social_groups.member_count(call.merchant_id, group.id) >= config.max_members:
        raise Refused(Reason.MAX_MEMBERS)


async def _may_join_another(call: Call, config: SocialGroupConfig, user_id: int) -> None:
    mine = (await call.uow.social_groups.groups_of(call.merchant_id, [user_id]))[user_id]
    if len(mine) >= config.max_groups:
        raise Refused(Reason.MAX_GROUPS)


# --- create, modify, my groups -------------------------------------------------------------


async def create(
    call: Call,
    username: str | None,
    name: str | None,
    description: str | None,
    template_code: int | None,
) -> GroupView:
    """A new group with the caller as its owner and first member."""
    user = await user_for(call, username)
    _template(call, template_code)
    config = _config(call)
    clean_name = _text(name, NAME_LIMIT, "name", required=True)
    assert clean_name is not None
    clean_description = _text(description, DESCRIPTION_LIMIT, "description")
    repo, merchant = call.uow.social_groups, call.merchant_id
    await call.uow.users.lock(merchant, user.id)  # two creates at once count each other
    if await repo.created_count(merchant, user.id) >= config.max_create:
        raise Refused(Reason.MAX_CREATE)
    await _may_join_another(call, config, user.id)
    group_id = await repo.create(merchant, clean_name, clean_description, user.id, call.now)
    return await _view(call, await _group(call, group_id), Role.OWNER)


async def modify(
    call: Call,
    username: str | None,
    group_code: int | None,
    name: str | None,
    description: str | None,
) -> GroupView:
    """Owner or admin: a new name and/or description; what is omitted stays."""
    user = await user_for(call, username)
    group = await _group(call, group_code, lock=True)
    role = await _role(call, group, user)
    require_manager(role)
    new_name = _text(name, NAME_LIMIT, "name") if name is not None else None
    if name is not None and new_name is None:
        raise Refused(Reason.INVALID_REQUEST, "name cannot be blank")
    new_description = _text(description, DESCRIPTION_LIMIT, "description")
    await call.uow.social_groups.modify(
        call.merchant_id, group.id, new_name, new_description, description is not None
    )
    return await _view(call, await _group(call, group.id), role)


async def my_groups(call: Call, username: str | None, template_code: int | None) -> list[GroupView]:
    """Every group the user belongs to, oldest membership first."""
    user = await user_for(call, username)
    _template(call, template_code)
    repo, merchant = call.uow.social_groups, call.merchant_id
    ids = (await repo.groups_of(merchant, [user.id]))[user.id]
    if not ids:
        return []
    groups = {g.id: g for g in await repo.groups(merchant, ids)}
    members = await repo.members(merchant, ids)
    roles = {g: next((m.role for m in members[g] if m.user_id == user.id), None) for g in ids}
    managed = [g for g in ids if roles[g] in (Role.OWNER, Role.ADMIN)]
    requests = await repo.requests_for(merchant, managed)
    views = []
    for group_id in ids:
        if group_id not in groups:
            continue
        mine = [r for r in requests if r.group_id == group_id] if group_id in managed else None
        views.append(GroupView(groups[group_id], members[group_id], mine))
    return views


# --- finding friends' groups ---------------------------------------------------------------


def _identifiers(values: list[str] | None, what: str) -> list[str]:
    cleaned: list[str] = []
    for value in values or []:
        text = (value or "").strip()
        if text and text not in cleaned:
            cleaned.append(text)
    if not cleaned:
        raise Refused(Reason.INVALID_REQUEST, f"{what} is required")
    if len(cleaned) > MAX_LOOKUP:
        raise Refused(Reason.INVALID_REQUEST, f"at most {MAX_LOOKUP} {what} per call")
    return cleaned


async def _groups_of_friends(
    call: Call, users_by_key: dict[str, list[int]], keys: list[str]
) -> dict[str, list[GroupView]]:
    repo, merchant = call.uow.social_groups, call.merchant_id
    all_users = sorted({u for ids in users_by_key.values() for u in ids})
    memberships = await repo.groups_of(merchant, all_users) if all_users else {}
    group_ids = sorted({g for ids in memberships.values() for g in ids})
    groups = {g.id: g for g in await repo.groups(merchant, group_ids)}
    members = await repo.members(merchant, group_ids) if group_ids else {}
    found: dict[str, list[GroupView]] = {}
    for key in keys:
        ids: list[int] = []
        for user_id in users_by_key.get(key, []):
            ids += [g for g in memberships.get(user_id, []) if g not in ids]
        found[key] = [GroupView(groups[g], members.get(g, [])) for g in sorted(ids) if g in groups]
    return found


async def groups_by_external_accounts(
    call: Call,
    username: str | None,
    identifier: str | None,
    codes: list[str] | None,
    template_code: int | None,
) -> dict[str, list[GroupView]]:
    """The groups each friend (by external account code) belongs to."""
    await user_for(call, username)
    _template(call, template_code)
    ident = (identifier or "").strip()
    config = call.program.social_groups
    if config is None or ident not in config.external_identifiers:
        raise Refused(Reason.EXTERNAL_IDENTIFIER_NOT_ALLOWED)
    keys = _identifiers(codes, "accountCodes")
    users = await call.uow.social_groups.users_by_external(call.merchant_id, ident, keys)
    return await _groups_of_friends(call, users, keys)


async def groups_by_emails(
    call: Call, username: str | None, emails: list[str] | None, template_code: int | None
) -> dict[str, list[GroupView]]:
    """The groups each friend (by e-mail address) belongs to; keyed by the address as
    given."""
    await user_for(call, username)
    _template(call, template_code)
    keys = _identifiers(emails, "emails")
    normal = {key: normal_email(key) for key in keys}
    wanted = sorted({e for e in normal.values() if e is not None})
    by_email = await call.uow.social_groups.users_by_email(call.merchant_id, wanted)
    users = {key: by_email.get(email, []) for key, email in normal.items() if email}
    return await _groups_of_friends(call, users, keys)


# --- requests to join ----------------------------------------------------------------------


async def _invited(call: Call, group: Group, user: User) -> bool:
    repo, merchant = call.uow.social_groups, call.merchant_id
    external = await repo.external_accounts_of(merchant, user.id)
    invitations = await repo.invitations_to(merchant, normal_email(user.email), external)
    return any(i.group_id == group.id for i in invitations)


async def request_to_join(
    call: Call,
    username: str | None,
    group_code: int | None,
    message: str | None,
    *,
    email: str | None = None,
    external: tuple[str | None, str | None] | None = None,
) -> JoinRequest:
    """A pending request from the user, who found the group through a friend in it."""
    user = await user_for(call, username)
    group = await _group(call, group_code, lock=True)
    config = _config(call)
    note = _text(message, MESSAGE_LIMIT, "message")
    repo, merchant = call.uow.social_groups, call.merchant_id
    members = (await repo.members(merchant, [group.id]))[group.id]
    member_ids = {m.user_id for m in members}
    if external is not None:
        ident, code = ((external[0] or "").strip(), (external[1] or "").strip())
        friends = (await repo.users_by_external(merchant, ident, [code])).get(code, [])
        if not member_ids.intersection(friends):
            raise Refused(Reason.EXT_ACCT_NOT_IN_GROUP)
    else:
        address = normal_email(email)
        friends = (
            (await repo.users_by_email(merchant, [address])).get(address, []) if address else []
        )
        if not member_ids.intersection(friends):
            raise Refused(Reason.EMAIL_NOT_IN_GROUP)
    if user.id in member_ids:
        raise Refused(Reason.ALREADY_IN_GROUP)
    if await repo.request(merchant, group.id, user_id=user.id) is not None:
        raise Refused(Reason.ALREADY_HAVE_REQUEST)
    if await _invited(call, group, user):
        raise Refused(Reason.ALREADY_HAVE_INVITE, "accept the invitation instead")
    if len(members) >= config.max_members:
        raise Refused(Reason.MAX_MEMBERS)
    await _may_join_another(call, config, user.id)
    if await repo.request_count(merchant, user.id) >= config.max_requests:
        raise Refused(Reason.MAX_REQUESTS)
    made = await repo.add_request(merchant, group.id, user.id, note, call.now)
    if made is None:
        raise Refused(Reason.ALREADY_HAVE_REQUEST)
    return made


async def _join_request(call: Call, group: Group, request_code: int | None) -> JoinRequest:
    found = (
        await call.uow.social_groups.request(call.merchant_id, group.id, request_id=request_code)
        if request_code is not None
        else None
    )
    if found is None:
        raise Refused(Reason.JOIN_REQUEST_NOT_FOUND)
    return found


async def answer_request(
    call: Call,
    username: str | None,
    group_code: int | None,
    request_code: int | None,
    *,
    accept: bool,
) -> GroupView:
    """Owner or admin: accept (the requester becomes a MEMBER) or reject a request."""
    user = await user_for(call, username)
    group = await _group(call, group_code, lock=True)
    role = await _role(call, group, user)
    require_manager(role)
    request = await _join_request(call, group, request_code)
    repo, merchant = call.uow.social_groups, call.merchant_id
    if accept:
        config = _config(call)
        await _has_room(call, config, group)
        await _may_join_another(call, config, request.user_id)
    await repo.delete_request(merchant, request.id)
    if accept:
        await repo.add_member(merchant, group.id, request.user_id, Role.MEMBER, call.now)
    return await _view(call, group, role)


async def cancel_request(call: Call, username: str | None, group_code: int | None) -> GroupView:
    """The requester withdraws their pending request."""
    user = await user_for(call, username)
    group = await _group(call, group_code, lock=True)
    request = await call.uow.social_groups.request(call.merchant_id, group.id, user_id=user.id)
    if request is None:
        raise Refused(Reason.JOIN_REQUEST_NOT_FOUND)
    await call.uow.social_groups.delete_request(call.merchant_id, request.id)
    return GroupView(group, None)


# --- invitations ---------------------------------------------------------------------------


def _link(config: SocialGroupConfig, code: str) -> str | None:
    return config.invitation_url.replace("{code}", code) if config.invitation_url else None


async def _invitable(
    call: Call, username: str | None, group_code: int | None
) -> tuple[User, Group, SocialGroupConfig]:
    user = await user_for(call, username)
    group = await _group(call, group_code, lock=True)
    await _member_role(call, group, user)
    config = _config(call)
    repo, merchant = call.uow.social_groups, call.merchant_id
    if await repo.invitation_count(merchant, group.id) >= config.max_invitations:
        raise Refused(Reason.MAX_INVITATIONS)
    return user, group, config


async def _check_invitee(call: Call, group: Group, invitees: list[int]) -> None:
    repo, merchant = call.uow.social_groups, call.merchant_id
    members = {m.user_id for m in (await repo.members(merchant, [group.id]))[group.id]}
    if members.intersection(invitees):
        raise Refused(Reason.ALREADY_IN_GROUP)
    for user_id in invitees:
        if await repo.request(merchant, group.id, user_id=user_id) is not None:
            raise Refused(Reason.ALREADY_HAVE_REQUEST, "accept the friend's request instead")
    if len(members) >= _config(call).max_members:
        raise Refused(Reason.MAX_MEMBERS)


async def _invite(
    call: Call,
    user: User,
    group: Group,
    *,
    email: str | None = None,
    external: tuple[str, str] | None = None,
) -> Invitation:
    repo, merchant = call.uow.social_groups, call.merchant_id
    code = new_invitation_code()
    if not await repo.add_invitation(
        merchant, group.id, code, user.id, call.now, email=email, external=external
    ):
        raise Refused(Reason.ALREADY_HAVE_INVITE)
    found = await repo.invitation(merchant, code)
    if found is None:  # written just above in this transaction
        raise Refused(Reason.SYSTEM_ERROR)
    return found


async def invite_by_email(
    call: Call, username: str | None, group_code: int | None, email: str | None
) -> Invitation:
    """Invite an address, whether or not a guest has it: an e-mail with the invitation
    code goes out through the outbox, and the invitee accepts once enrolled."""
    user, group, config = await _invitable(call, username, group_code)
    address = normal_email(email)
    if address is None:
        raise Refused(Reason.INVALID_REQUEST, "email is not an e-mail address")
    invitees = (await call.uow.social_groups.users_by_email(call.merchant_id, [address])).get(
        address, []
    )
    await _check_invitee(call, group, invitees)
    invitation = await _invite(call, user, group, email=address)
    if await may_send(call.uow, call.program, f"email:{address}", call.now):
        await _send_invitation(call, config, user, group, invitation.code, address)
    return invitation


async def invite_by_external_account(
    call: Call,
    username: str | None,
    group_code: int | None,
    identifier: str | None,
    account_code: str | None,
) -> Invitation:
    """Invite an external account (e.g. a social network friend); the invitee sees it in
    myPendingInvitations once an account of theirs carries that external account."""
    user, group, _ = await _invitable(call, username, group_code)
    ident, code = (identifier or "").strip(), (account_code or "").strip()
    if not ident or not code:
        raise Refused(Reason.INVALID_REQUEST, "externalIdentifier and accountCode are required")
    invitees = (
        await call.uow.social_groups.users_by_external(call.merchant_id, ident, [code])
    ).get(code, [])
    await _check_invitee(call, group, invitees)
    return await _invite(call, user, group, external=(ident, code))


async def invitation_message(
    call: Call, username: str | None, group_code: int | None
) -> tuple[str, str]:
    """A shareable invitation: anyone with the code may join, until it is cancelled."""
    user, group, config = await _invitable(call, username, group_code)
    invitation = await _invite(call, user, group)
    return invitation.code, _message(call, config, user, group, invitation.code)


def _message(call: Call, config: SocialGroupConfig, user: User, group: Group, code: str) -> str:
    who = user.fields.get("firstName") or user.username or "A friend"
    text = (
        f"{who} invites you to join the group {group.name} at {call.program.name}. "
        f"Your invitation code is {code}."
    )
    link = _link(config, code)
    return f"{text} {link}" if link else text


async def _send_invitation(
    call: Call, config: SocialGroupConfig, user: User, group: Group, code: str, address: str
) -> None:
    body = "\n".join(
        [
            "Hello,",
            "",
            _message(call, config, user, group, code),
            "",
            f"Join {call.program.name} (or sign in) with this e-mail address and enter the "
            "code in the app to accept.",
        ]
    )
    await enqueue(
        call.uow,
        merchant_id=call.merchant_id,
        channel="email",
        recipient=address,
        subject=" ".join(f"An invitation to {group.name}".split())[:150],
        body=body,
        now=call.now,
    )


def _code_guess(user_id: int | None) -> guessing.Guess:
    """Invitation codes are guessed at like sent codes: against the guest trying them
    (over every address and from each) and the address; without a guest (a back end
    asking for a code's details), against a budget for every address."""
    if user_id is not None:
        return guessing.code_guess(f"invitation:{user_id}", shared=True)
    return guessing.code_guess("invitation", shared=False, budget="invitation")


async def _by_code(call: Call, code: str | None, user_id: int | None) -> Invitation:
    """The pending invitation with this code. A code that is not one counts as a wrong
    guess once the call has rolled back; while the guesser backs off, every code is
    refused (too_many_attempts), the right one too."""
    normal = normal_invitation_code(code)
    uow, program = call.uow, call.program
    guess = _code_guess(user_id)
    await guessing.refuse_while_backing_off(uow, program, guess, call.guesser, call.now)
    found = await uow.social_groups.invitation(call.merchant_id, normal)
    if found is None:
        missed = guessing.missed(program, guess, call.guesser, call.now, slow=False)
        raise Refused(Reason.INVITATION_NOT_FOUND, intents=(missed,))
    await guessing.succeeded(uow, program, guess, call.guesser)
    return found


async def invitation_details(call: Call, code: str | None) -> Invitation:
    principal = call.principal
    return await _by_code(call, code, principal.user_id if principal.is_guest else None)


async def my_invitations(call: Call, username: str | None) -> list[Invitation]:
    """Invitations addressed to the user's e-mail address or external accounts."""
    user = await user_for(call, username)
    repo, merchant = call.uow.social_groups, call.merchant_id
    external = await repo.external_accounts_of(merchant, user.id)
    return await repo.invitations_to(merchant, normal_email(user.email), external)


async def group_invitations(
    call: Call, username: str | None, group_code: int | None
) -> list[Invitation]:
    user = await user_for(call, username)
    group = await _group(call, group_code)
    await _member_role(call, group, user)
    return await call.uow.social_groups.invitations_for_group(call.merchant_id, group.id)


async def accept_invitation(call: Call, username: str | None, code: str | None) -> GroupView:
    """The user joins as a MEMBER; an addressed invitation is used up, an invitation
    message stays for others."""
    user = await user_for(call, username)
    invitation = await _by_code(call, code, user.id)
    group = await _group(call, invitation.group_id, lock=True)
    repo, merchant = call.uow.social_groups, call.merchant_id
    config = _config(call)
    if await _role(call, group, user) is not None:
        raise Refused(Reason.ALREADY_IN_GROUP)
    await _has_room(call, config, group)
    await _may_join_another(call, config, user.id)
    if not invitation.open:
        await repo.delete_invitation(merchant, invitation.id)
    if not await repo.add_member(merchant, group.id, user.id, Role.MEMBER, call.now):
        raise Refused(Reason.ALREADY_IN_GROUP)
    pending = await repo.request(merchant, group.id, user_id=user.id)
    if pending is not None:
        await repo.delete_request(merchant, pending.id)
    return await _view(call, group, Role.MEMBER)


async def reject_invitation(call: Call, username: str | None, code: str | None) -> GroupView:
    """The invitee declines: an addressed invitation is deleted; declining an invitation
    message changes nothing for the others it was shared with."""
    user = await user_for(call, username)
    invitation = await _by_code(call, code, user.id)
    group = await _group(call, invitation.group_id, lock=True)
    if not invitation.open:
        await call.uow.social_groups.delete_invitation(call.merchant_id, invitation.id)
    return GroupView(group, None)


async def cancel_invitation(
    call: Call, username: str | None, group_code: int | None, code: str | None
) -> GroupView:
    """The inviter, or the group's owner or an admin, withdraws an invitation."""
    user = await user_for(call, username)
    group = await _group(call, group_code, lock=True)
    role = await _role(call, group, user)
    try:
        invitation = await _by_code(call, code, user.id)
    except Refused as refusal:
        if refusal.reason == Reason.TOO_MANY_ATTEMPTS:
            raise
        raise Refused(Reason.INVITATION_NOT_FOUND, intents=refusal.intents) from None
    if invitation.group_id != group.id:
        raise Refused(Reason.INVITATION_NOT_FOUND)
    if role is None or (invitation.inviter_user_id != user.id and role == Role.MEMBER):
        raise Refused(Reason.NOT_AUTHORIZED, "only the inviter, the owner or an admin")
    await call.uow.social_groups.delete_invitation(call.merchant_id, invitation.id)
    return await _view(call, group, role)


# --- membership ----------------------------------------------------------------------------


async def leave(call: Call, username: str | None, group_code: int | None) -> GroupView:
    """The user leaves; the last member leaving dissolves the group."""
    user = await user_for(call, username)
    group = await _group(call, group_code, lock=True)
    role = await _member_role(call, group, user)
    repo, merchant = call.uow.social_groups, call.merchant_id
    if check_leave(role, await repo.member_count(merchant, group.id)):
        await repo.dissolve(merchant, group.id)
        return GroupView(group, None)
    await repo.remove_member(merchant, group.id, user.id)
    return await _view(call, group, None)


async def _target(call: Call, group: Group, username: str | None) -> tuple[int, Role]:
    name = (username or "").strip()
    found = await call.uow.users.by_unique(call.merchant_id, "username", name) if name else None
    role = await _role(call, group, found) if found is not None else None
    if found is None or role is None:
        raise Refused(Reason.NOT_GROUP_MEMBER, "memberUsername is not a member of the group")
    return found.id, role


async def remove_member(
    call: Call, username: str | None, group_code: int | None, member: str | None
) -> GroupView:
    user = await user_for(call, username)
    group = await _group(call, group_code, lock=True)
    role = await _role(call, group, user)
    require_manager(role)
    target_id, target_role = await _target(call, group, member)
    if target_id == user.id or not may_remove(role, target_role):
        raise Refused(Reason.NOT_AUTHORIZED, "the owner removes anyone else, an admin members")
    await call.uow.social_groups.remove_member(call.merchant_id, group.id, target_id)
    return await _view(call, group, role)


async def change_role(
    call: Call,
    username: str | None,
    group_code: int | None,
    member: str | None,
    role_name: str | None,
) -> GroupView:
    """The owner sets a member's role; making another member OWNER hands ownership over
    (the old owner becomes an ADMIN), so the group keeps exactly one owner."""
    user = await user_for(call, username)
    group = await _group(call, group_code, lock=True)
    actor = await _role(call, group, user)
    new_role = parse_role(role_name)
    if actor != Role.OWNER:
        check_role_change(actor, self_change=False, new_role=new_role)
    target_id, target_role = await _target(call, group, member)
    check_role_change(actor, self_change=target_id == user.id, new_role=new_role)
    repo, merchant = call.uow.social_groups, call.merchant_id
    if new_role != target_role:
        if new_role == Role.OWNER:
            await repo.set_role(merchant, group.id, user.id, Role.ADMIN)
        await repo.set_role(merchant, group.id, target_id, new_role)
    return await _view(call, group, Role.OWNER if new_role != Role.OWNER else Role.ADMIN)


async def forget_member(uow: UnitOfWork, merchant_id: int, user_id: int) -> None:
    """A deleted guest leaves every group: pending requests go, invitations they sent stay
    the group's, and a group they owned passes to the longest-standing admin (else
    member), or is dissolved when they were its last member. Each group is locked first,
    in id order, as every other change to a group is."""
    repo = uow.social_groups
    await repo.delete_requests_of(merchant_id, user_id)
    await repo.forget_inviter(merchant_id, user_id)
    groups = (await repo.groups_of(merchant_id, [user_id]))[user_id]
    for group_id in sorted(groups):
        if await repo.group(merchant_id, group_id, lock=True) is None:
            continue
        members = (await repo.members(merchant_id, [group_id]))[group_id]
        mine = next((m for m in members if m.user_id == user_id), None)
        if mine is None:
            continue
        others = [(Role(m.role), m.user_id) for m in members if m.user_id != user_id]
        heir = successor(others)
        if heir is None:
            await repo.dissolve(merchant_id, group_id)
            continue
        await repo.remove_member(merchant_id, group_id, user_id)
        if mine.role == Role.OWNER:
            await repo.set_role(merchant_id, group_id, heir, Role.OWNER)
