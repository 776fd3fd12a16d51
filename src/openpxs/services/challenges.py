"""Challenge Service use cases: which challenges a guest is in, may join or has
finished, opting in and out, one occurrence in detail, and a challenge's charities.

Progress itself comes only from posted checks (``services.challenge_progress``); these
use cases read it and record the guest's choices. A guest is named by a printed card
number; a guest-facing (oauth) caller may name only a card of its own account. Group
challenges are taken by social groups, named by a member's username and the group
code; the group's owner or an admin opts it in or out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from openpxs.config.challenges import Challenge, Charity
from openpxs.domain.cards import AccountStatus
from openpxs.domain.challenges import (
    AudienceFacts,
    Occurrence,
    Status,
    current_or_next,
    ended_between,
    may_join,
    occurrence_by_key,
    parse_occurrence_code,
    status_of,
)
from openpxs.domain.errors import CardNotFound, Reason, Refused
from openpxs.domain.program import Program
from openpxs.domain.social_groups import Role, manages
from openpxs.services.challenge_progress import (
    card_numbers_if_needed,
    chose_to_take_part,
    is_eligible,
    progress_in,
    takes_part,
)
from openpxs.services.context import Call
from openpxs.services.guest_access import account_by_card, user_for
from openpxs.store.repositories.challenges import (
    Completion,
    Entry,
    OccurrenceRef,
)

# Ended occurrences listed per challenge in a guest's history, newest first.
HISTORY_DEPTH = 12


@dataclass(frozen=True)
class ChallengeView:
    """One occurrence of a challenge as a guest sees it."""

    challenge: Challenge
    occurrence: Occurrence
    status: Status | None
    progress: Decimal | None
    charity_code: str | None = None
    # Group challenges in occurrenceDetail: each member and what they added.
    participants: list[Participant] | None = None


@dataclass(frozen=True)
class Participant:
    """A group member and what their activity added to the group's progress."""

    username: str | None
    display_name: str | None
    contribution: Decimal


@dataclass(frozen=True)
class Guest:
    """The account a call is about and what the challenges need to know of it."""

    account_id: int
    facts: AudienceFacts
    entries: dict[str, Entry]
    card_numbers: list[str]


async def _guest(call: Call, card_number: str | None) -> Guest:
    if not card_number or not card_number.strip():
        raise CardNotFound("printedCardNumber is required")
    ref = await account_by_card(call, card_number.strip())
    if ref.status != AccountStatus.ACTIVE:
        raise Refused(Reason.ACCOUNT_NOT_FOUND, "the card's account is closed")
    uow, merchant = call.uow, call.merchant_id
    facts = await uow.challenges.audience_facts(merchant, ref.account_id)
    if facts is None:
        raise Refused(Reason.ACCOUNT_NOT_FOUND)
    entries = await uow.challenges.entries(merchant, ref.account_id)
    numbers = await card_numbers_if_needed(uow, merchant, ref.account_id, call.program.challenges)
    return Guest(ref.account_id, facts, entries, numbers)


def _individual(call: Call) -> list[Challenge]:
    return [c for c in call.program.challenges if c.kind == "individual"]


def _takes_part(call: Call, guest: Guest, challenge: Challenge) -> bool:
    if challenge.kind == "group":
        return False
    return takes_part(
        challenge, call.program, guest.facts, guest.entries.get(challenge.code), guest.card_numbers
    )


def _eligible(call: Call, guest: Guest, challenge: Challenge) -> bool:
    if challenge.kind == "group":
        return False
    return is_eligible(challenge, call.program, guest.facts, guest.card_numbers)


async def _views(
    call: Call, guest: Guest, picked: list[tuple[Challenge, Occurrence, bool]]
) -> list[ChallengeView]:
    """Each (challenge, occurrence, taking part) with the guest's progress and status."""
    merchant = call.merchant_id
    refs: list[OccurrenceRef] = [(c.code, o.key) for c, o, _ in picked]
    standing = await call.uow.challenges.standing_progress(merchant, guest.account_id, refs)
    completions = await call.uow.challenges.completions(merchant, guest.account_id)
    views = []
    for challenge, occurrence, taking_part in picked:
        ref = (challenge.code, occurrence.key)
        completion = completions.get(ref)
        entry = guest.entries.get(challenge.code)
        views.append(
            ChallengeView(
                challenge,
                occurrence,
                status_of(
                    occurrence, call.now, taking_part=taking_part, completed=completion is not None
                ),
                progress_in(challenge, standing.get(ref, [])),
                _charity(completion, entry),
            )
        )
    return views


def _charity(completion: Completion | None, entry: Entry | None) -> str | None:
    if completion is not None and completion.charity_code:
        return completion.charity_code
    return entry.charity_code if entry is not None and entry.opted_in else None


async def active(call: Call, card_number: str | None) -> list[ChallengeView]:
    """Occurrences running now that the guest takes part in, and those the guest has
    joined that start later."""
    guest = await _guest(call, card_number)
    picked = []
    for challenge in _individual(call):
        occurrence = current_or_next(challenge, call.program.timezone, call.now)
        if occurrence is None or not _takes_part(call, guest, challenge):
            continue
        joined = guest.entries.get(challenge.code) is not None
        if occurrence.has_started(call.now) or joined:
            picked.append((challenge, occurrence, True))
    return await _views(call, guest, picked)


async def eligible(call: Call, card_number: str | None) -> list[ChallengeView]:
    """Challenges the guest may opt in to now: in the audience, not taking part, with
    the opt-in window of the current or next occurrence open."""
    guest = await _guest(call, card_number)
    picked = []
    for challenge in _individual(call):
        occurrence = current_or_next(challenge, call.program.timezone, call.now)
        if (
            occurrence is None
            or not may_join(occurrence, call.now)
            or _takes_part(call, guest, challenge)
            or not _eligible(call, guest, challenge)
        ):
            continue
        picked.append((challenge, occurrence, False))
    return await _views(call, guest, picked)


async def historical(call: Call, card_number: str | None) -> list[ChallengeView]:
    """Ended occurrences the guest took part in: made progress in, completed, or was
    opted in to for their whole run. Newest first."""
    guest = await _guest(call, card_number)
    uow, program, merchant = call.uow, call.program, call.merchant_id
    refs = await uow.challenges.taken_part(merchant, guest.account_id)
    refs |= set(await uow.challenges.completions(merchant, guest.account_id))
    found: dict[OccurrenceRef, tuple[Challenge, Occurrence]] = {}
    for code, key in refs:
        challenge = program.challenge(code)
        occurrence = occurrence_by_key(challenge, program.timezone, key) if challenge else None
        if (
            challenge
            and challenge.kind == "individual"
            and occurrence
            and occurrence.has_ended(call.now)
        ):
            found[(code, key)] = (challenge, occurrence)
    _add_ended_since_opt_in(found, _individual(call), guest.entries, program, call.now)
    return await _views(call, guest, _newest_first(found))


def _challenge(call: Call, code: str | None) -> Challenge:
    challenge = call.program.challenge((code or "").strip())
    if challenge is None:
        raise Refused(Reason.CHALLENGE_NOT_FOUND)
    return challenge


def _charity_of(challenge: Challenge, code: str | None) -> str | None:
    """The charity a guest picked: required, and one of the challenge's, for a donation
    reward; refused for any other challenge."""
    code = (code or "").strip() or None
    if challenge.reward.donation is None:
        if code is not None:
            raise Refused(Reason.INVALID_CHARITABLE_ORGANIZATION, "this challenge does not donate")
        return None
    if code is None:
        raise Refused(
            Reason.INVALID_CHARITABLE_ORGANIZATION, "pick one of the challenge's charities"
        )
    if code not in {c.code for c in challenge.charities}:
        raise Refused(Reason.INVALID_CHARITABLE_ORGANIZATION)
    return code


async def opt_in(
    call: Call,
    card_number: str | None,
    challenge_code: str | None,
    charity_code: str | None,
    *,
    username: str | None = None,
) -> ChallengeView:
    """Join the challenge: activity from now on counts (its current occurrence, or the
    next when it has not started). A username given without a group must still be a
    user the caller may name."""
    if username:
        await user_for(call, username)
    guest = await _guest(call, card_number)
    challenge = _challenge(call, challenge_code)
    if challenge.kind == "group":
        raise Refused(
            Reason.NOT_ELIGIBLE, "a group challenge: the group's owner or an admin opts it in"
        )
    occurrence = current_or_next(challenge, call.program.timezone, call.now)
    if occurrence is None:
        raise Refused(Reason.CHALLENGE_ENDED)
    if _takes_part(call, guest, challenge):
        raise Refused(Reason.ALREADY_OPTED_IN)
    if not _eligible(call, guest, challenge):
        raise Refused(Reason.NOT_ELIGIBLE)
    if not may_join(occurrence, call.now):
        opens = occurrence.opt_in_opens.isoformat(timespec="seconds")
        raise Refused(Reason.NOT_ELIGIBLE, f"opting in opens at {opens}")
    charity = _charity_of(challenge, charity_code)
    await call.uow.challenges.set_entry(
        call.merchant_id,
        challenge.code,
        guest.account_id,
        opted_in=True,
        charity_code=charity,
        now=call.now,
    )
    guest.entries[challenge.code] = Entry(True, charity, call.now)
    (view,) = await _views(call, guest, [(challenge, occurrence, True)])
    return view


async def opt_out(
    call: Call,
    card_number: str | None,
    challenge_code: str | None,
    *,
    username: str | None = None,
) -> ChallengeView:
    """Leave the challenge: no further progress is counted; what was completed and paid
    stays."""
    if username:
        await user_for(call, username)
    guest = await _guest(call, card_number)
    challenge = _challenge(call, challenge_code)
    if not _takes_part(call, guest, challenge):
        raise Refused(Reason.NOT_OPTED_IN)
    await call.uow.challenges.set_entry(
        call.merchant_id,
        challenge.code,
        guest.account_id,
        opted_in=False,
        charity_code=None,
        now=call.now,
    )
    guest.entries[challenge.code] = Entry(False, None, call.now)
    timezone = call.program.timezone
    occurrence = current_or_next(challenge, timezone, call.now) or next(
        iter(ended_between(challenge, timezone, None, call.now, 1)), None
    )
    if occurrence is None:  # a challenge has started or ended: one of the two exists
        raise Refused(Reason.CHALLENGE_NOT_FOUND)
    (view,) = await _views(call, guest, [(challenge, occurrence, False)])
    return view


async def occurrence_detail(
    call: Call,
    occurrence_code: str | None,
    card_number: str | None,
    *,
    username: str | None = None,
    group_code: int | None = None,
) -> ChallengeView:
    """One occurrence: its rules and dates, and the guest's (or, for a group challenge,
    the group's, with each member's part) progress when a card (or a username and group
    code) is named. Who is named is judged first, so a card or user the caller may not
    reach answers the same whatever occurrence is asked for."""
    team = await _team(call, username, group_code) if group_code is not None else None
    if username:
        await user_for(call, username)
    if not card_number and call.principal.is_guest and team is None:
        raise CardNotFound("printedCardNumber is required")
    guest = await _guest(call, card_number) if card_number else None
    parsed = parse_occurrence_code(occurrence_code or "")
    challenge = call.program.challenge(parsed[0]) if parsed else None
    occurrence = (
        occurrence_by_key(challenge, call.program.timezone, parsed[1])
        if challenge is not None and parsed is not None
        else None
    )
    if challenge is None or occurrence is None:
        raise Refused(Reason.OCCURRENCE_NOT_FOUND)
    if team is not None and challenge.kind == "group":
        taking_part = _team_takes_part(team, challenge)
        (view,) = await _team_views(
            call, team, [(challenge, occurrence, taking_part)], participants=True
        )
        return view
    if guest is None:
        return ChallengeView(challenge, occurrence, None, None)
    taking_part = _takes_part(call, guest, challenge)
    (view,) = await _views(call, guest, [(challenge, occurrence, taking_part)])
    return view


def charities(call: Call, challenge_code: str | None) -> list[Charity]:
    """The charities guests choose from; none for a challenge that does not donate."""
    return list(_challenge(call, challenge_code).charities)


# --- groups ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Team:
    """The social group a call is about, and its choices about group challenges."""

    group_id: int
    user_id: int
    role: Role
    entries: dict[str, Entry]


async def _team(call: Call, username: str | None, group_code: int | None) -> Team:
    """The user must exist (be the signed-in guest) and belong to the group."""
    user = await user_for(call, username)
    repo = call.uow.social_groups
    group = await repo.group(call.merchant_id, group_code) if group_code is not None else None
    if group is None:
        raise Refused(Reason.GROUP_NOT_FOUND, f"no social group has code {group_code}")
    role = await repo.role(call.merchant_id, group.id, user.id)
    if role is None:
        raise Refused(Reason.NOT_GROUP_MEMBER)
    entries = await call.uow.challenges.group_entries(call.merchant_id, group.id)
    return Team(group.id, user.id, Role(role), entries)


def _together(call: Call) -> list[Challenge]:
    return [c for c in call.program.challenges if c.kind == "group"]


def _team_takes_part(team: Team, challenge: Challenge) -> bool:
    return challenge.kind == "group" and chose_to_take_part(
        challenge, team.entries.get(challenge.code)
    )


async def _team_views(
    call: Call,
    team: Team,
    picked: list[tuple[Challenge, Occurrence, bool]],
    *,
    participants: bool = False,
) -> list[ChallengeView]:
    merchant = call.merchant_id
    refs: list[OccurrenceRef] = [(c.code, o.key) for c, o, _ in picked]
    standing = await call.uow.challenges.group_standing(merchant, team.group_id, refs)
    completed = await call.uow.challenges.group_completions(merchant, team.group_id)
    views = []
    for challenge, occurrence, taking_part in picked:
        ref = (challenge.code, occurrence.key)
        rows = standing.get(ref, [])
        status = status_of(
            occurrence, call.now, taking_part=taking_part, completed=ref in completed
        )
        views.append(
            ChallengeView(
                challenge,
                occurrence,
                status,
                progress_in(challenge, [(store, units) for store, units, _ in rows]),
                participants=await _participants(call, team, challenge, rows)
                if participants
                else None,
            )
        )
    return views


async def _participants(
    call: Call, team: Team, challenge: Challenge, rows: list[tuple[str, int, int]]
) -> list[Participant]:
    """Each current member with what their accounts' standing activity added."""
    merchant = call.merchant_id
    members = (await call.uow.social_groups.members(merchant, [team.group_id]))[team.group_id]
    found = []
    for member in members:
        mine = set(await call.uow.users.accounts_of(merchant, member.user_id))
        added = progress_in(challenge, [(s, u) for s, u, account in rows if account in mine])
        name = " ".join(n for n in (member.first_name, member.last_name) if n) or None
        found.append(Participant(member.username, name, added))
    return found


async def group_challenges(
    call: Call, username: str | None, group_code: int | None, which: str
) -> list[ChallengeView]:
    """A group's active, eligible or historical group challenges (``which``), as the
    guest variants but with the group's combined progress."""
    team = await _team(call, username, group_code)
    timezone = call.program.timezone
    picked: list[tuple[Challenge, Occurrence, bool]] = []
    if which == "historical":
        return await _team_history(call, team)
    for challenge in _together(call):
        occurrence = current_or_next(challenge, timezone, call.now)
        if occurrence is None:
            continue
        taking_part = _team_takes_part(team, challenge)
        if which == "active" and taking_part:
            joined = team.entries.get(challenge.code) is not None
            if occurrence.has_started(call.now) or joined:
                picked.append((challenge, occurrence, True))
        elif which == "eligible" and not taking_part and may_join(occurrence, call.now):
            picked.append((challenge, occurrence, False))
    return await _team_views(call, team, picked)


async def _team_history(call: Call, team: Team) -> list[ChallengeView]:
    uow, program, merchant = call.uow, call.program, call.merchant_id
    refs = await uow.challenges.group_taken_part(merchant, team.group_id)
    refs |= await uow.challenges.group_completions(merchant, team.group_id)
    found: dict[OccurrenceRef, tuple[Challenge, Occurrence]] = {}
    for code, key in refs:
        challenge = program.challenge(code)
        occurrence = occurrence_by_key(challenge, program.timezone, key) if challenge else None
        if challenge and occurrence and occurrence.has_ended(call.now):
            found[(code, key)] = (challenge, occurrence)
    _add_ended_since_opt_in(found, _together(call), team.entries, program, call.now)
    return await _team_views(call, team, _newest_first(found))


def _add_ended_since_opt_in(
    found: dict[OccurrenceRef, tuple[Challenge, Occurrence]],
    challenges: Iterable[Challenge],
    entries: Mapping[str, Entry],
    program: Program,
    now: datetime,
) -> None:
    """The occurrences of each challenge that ended since its entry opted in (the newest
    HISTORY_DEPTH), beside those ``found`` already."""
    for challenge in challenges:
        entry = entries.get(challenge.code)
        if entry is None or not entry.opted_in:
            continue
        for occurrence in ended_between(
            challenge, program.timezone, entry.changed_at, now, HISTORY_DEPTH
        ):
            found.setdefault((challenge.code, occurrence.key), (challenge, occurrence))


def _newest_first(
    found: dict[OccurrenceRef, tuple[Challenge, Occurrence]],
) -> list[tuple[Challenge, Occurrence, bool]]:
    ordered = sorted(found.values(), key=lambda co: (co[1].start, co[0].code), reverse=True)
    return [(c, o, True) for c, o in ordered]


async def _manager_of(call: Call, username: str | None, group_code: int | None) -> Team:
    team = await _team(call, username, group_code)
    if not manages(team.role):
        raise Refused(
            Reason.NOT_AUTHORIZED, "only the group's owner or an admin opts the group in or out"
        )
    return team


async def group_opt_in(
    call: Call, username: str | None, group_code: int | None, challenge_code: str | None
) -> ChallengeView:
    """The group's owner or an admin joins the group to a group challenge: its members'
    activity from now on counts."""
    team = await _manager_of(call, username, group_code)
    challenge = _challenge(call, challenge_code)
    if challenge.kind != "group":
        raise Refused(Reason.NOT_ELIGIBLE, "a guest opts in to this challenge, not a group")
    occurrence = current_or_next(challenge, call.program.timezone, call.now)
    if occurrence is None:
        raise Refused(Reason.CHALLENGE_ENDED)
    if _team_takes_part(team, challenge):
        raise Refused(Reason.ALREADY_OPTED_IN)
    if not may_join(occurrence, call.now):
        opens = occurrence.opt_in_opens.isoformat(timespec="seconds")
        raise Refused(Reason.NOT_ELIGIBLE, f"opting in opens at {opens}")
    await call.uow.challenges.set_group_entry(
        call.merchant_id, challenge.code, team.group_id, opted_in=True, now=call.now
    )
    team.entries[challenge.code] = Entry(True, None, call.now)
    (view,) = await _team_views(call, team, [(challenge, occurrence, True)])
    return view


async def group_opt_out(
    call: Call, username: str | None, group_code: int | None, challenge_code: str | None
) -> ChallengeView:
    """The group's owner or an admin takes the group out: no further progress counts;
    completions and rewards already paid stay."""
    team = await _manager_of(call, username, group_code)
    challenge = _challenge(call, challenge_code)
    if not _team_takes_part(team, challenge):
        raise Refused(Reason.NOT_OPTED_IN)
    await call.uow.challenges.set_group_entry(
        call.merchant_id, challenge.code, team.group_id, opted_in=False, now=call.now
    )
    team.entries[challenge.code] = Entry(False, None, call.now)
    timezone = call.program.timezone
    occurrence = current_or_next(challenge, timezone, call.now) or next(
        iter(ended_between(challenge, timezone, None, call.now, 1)), None
    )
    if occurrence is None:
        raise Refused(Reason.CHALLENGE_NOT_FOUND)
    (view,) = await _team_views(call, team, [(challenge, occurrence, False)])
    return view
