"""The guest's surveys on the hosted site, over the Survey Service's use cases
(``services.guest_engagement``): the surveys open to the guest, one survey's form (its
answers checked by the domain, each problem shown at its question), the thanks page."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from openpxs.config.surveys import SurveyConfig, SurveyQuestion
from openpxs.domain.errors import DomainError, Reason
from openpxs.domain.surveys import Answer, rating_choices
from openpxs.services import guest_engagement
from openpxs.services.context import Call
from openpxs.web.engagement import SignedOut, as_guest
from openpxs.web.forms import see_other
from openpxs.web.render import page
from openpxs.web.site import Site

# A survey's answer problems name their question: "question MEAL: no choice 'X'".
_QUESTION = re.compile(r"^question ([A-Za-z0-9_.-]+)(?::\s*(.*))?")
SURVEY_CLOSED = (Reason.INVALID_SURVEY, Reason.NOT_ELIGIBLE_FOR_SURVEY, Reason.ACCOUNT_NOT_FOUND)


async def surveys(request: Request, site: Site) -> Response:
    try:
        found = await as_guest(request, site, guest_engagement.guest_surveys)
    except SignedOut:
        return see_other(f"{site.base}/signin")
    except DomainError as error:
        if error.reason != Reason.ACCOUNT_NOT_FOUND:
            raise
        found = []
    return page(request, site, "surveys.html", signed_in=True, surveys=found)


def _closed(request: Request, site: Site, message: str = "surveys.closed") -> Response:
    return page(request, site, "error.html", status=404, signed_in=True, message=message)


def _survey_page(
    request: Request,
    site: Site,
    taking: guest_engagement.SurveyToTake,
    *,
    status: int = 200,
    sent: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return page(
        request,
        site,
        "survey.html",
        status=status,
        signed_in=True,
        taking=taking,
        sent=sent or {},
        errors=errors or {},
        ratings=rating_choices,
    )


async def _survey_or_refusal(
    request: Request, site: Site, code: str
) -> guest_engagement.SurveyToTake | Response:
    async def fetch(call: Call) -> guest_engagement.SurveyToTake:
        return await guest_engagement.survey_to_take(call, code)

    try:
        return await as_guest(request, site, fetch)
    except SignedOut:
        return see_other(f"{site.base}/signin")
    except DomainError as error:
        if error.reason in SURVEY_CLOSED:
            return _closed(request, site)
        raise


async def survey(request: Request, site: Site) -> Response:
    found = await _survey_or_refusal(request, site, request.query_params.get("code", "")[:64])
    if isinstance(found, Response):
        return found
    return _survey_page(request, site, found)


def answers_of(survey_config: SurveyConfig, form: dict[str, str]) -> list[Answer]:
    """The answers a survey's form carries: one field per question (``q.CODE``), or
    one checkbox per choice of a multiple-choice question (``q.CODE.CHOICE``)."""
    found = []
    for question in survey_config.questions:
        field = f"q.{question.code}"
        if question.type == "multiple_choice":
            picked = tuple(c.code for c in question.choices if form.get(f"{field}.{c.code}"))
            found.append(Answer(question.code, picked))
        elif question.type == "text":
            found.append(Answer(question.code, (), form.get(field, "")))
        else:
            chosen = form.get(field, "").strip()
            found.append(Answer(question.code, (chosen,) if chosen else ()))
    return found


def problem_at_question(error: DomainError, questions: list[SurveyQuestion]) -> dict[str, str]:
    """The refused answer's problem, keyed by the question it is about."""
    matched = _QUESTION.match(error.detail or "")
    known = {q.code for q in questions}
    code = matched.group(1) if matched else None
    if code not in known:
        code = questions[0].code if questions else ""
    if error.reason == Reason.MISSING_REQUIRED_ANSWER or matched is None or not matched.group(2):
        return {code: "surveys.answer_required"}
    return {code: matched.group(2)}


async def survey_form(request: Request, site: Site, form: dict[str, str]) -> Response:
    code = form.get("survey", "").strip()[:64]
    found = await _survey_or_refusal(request, site, code)
    if isinstance(found, Response):
        return found
    if not found.opted_in:
        return await _opt_in(request, site, code)
    answers = answers_of(found.survey, form)

    async def submit(call: Call) -> object:
        return await guest_engagement.submit_survey(call, code, answers)

    try:
        await as_guest(request, site, submit)
    except SignedOut:
        return see_other(f"{site.base}/signin")
    except DomainError as error:
        if error.reason == Reason.ALREADY_RESPONDED:
            return _closed(request, site, "surveys.already_answered")
        if error.reason in (Reason.MISSING_REQUIRED_ANSWER, Reason.INVALID_ANSWER):
            problems = problem_at_question(error, found.survey.questions)
            return _survey_page(request, site, found, status=400, sent=form, errors=problems)
        if error.reason in SURVEY_CLOSED:
            return _closed(request, site)
        raise
    return see_other(f"{site.base}/survey/done?code={found.survey.code}")


async def _opt_in(request: Request, site: Site, code: str) -> Response:
    async def agree(call: Call) -> None:
        await guest_engagement.opt_in_survey(call, code)

    try:
        await as_guest(request, site, agree)
    except SignedOut:
        return see_other(f"{site.base}/signin")
    except DomainError as error:
        if error.reason not in (*SURVEY_CLOSED, Reason.ALREADY_OPTED_IN):
            raise
    return see_other(f"{site.base}/survey?code={code}")


async def survey_done(request: Request, site: Site) -> Response:
    """The thanks page of a guest who answered the survey: the reward it paid, as
    submitResponse describes it (read from the program, not from the address)."""
    code = request.query_params.get("code", "")[:64]
    survey_config = site.program.surveys.get(code)
    if survey_config is None:
        return _closed(request, site)

    async def reward(call: Call) -> str | None:
        return await guest_engagement.survey_reward(call, survey_config)

    try:
        described = await as_guest(request, site, reward)
    except SignedOut:
        return see_other(f"{site.base}/signin")
    except DomainError as error:
        if error.reason in SURVEY_CLOSED:
            return _closed(request, site)
        raise
    return page(
        request, site, "survey_done.html", signed_in=True, survey=survey_config, reward=described
    )
