"""The Survey Service's reply objects, built from a survey's configuration."""

from __future__ import annotations

from openpxs.api.survey import models as m
from openpxs.config.surveys import SurveyConfig, SurveyQuestion
from openpxs.domain.surveys import rating_choices


def eligible_survey(survey: SurveyConfig) -> m.EligibleSurvey:
    window = survey.window
    return m.EligibleSurvey(
        surveyCode=survey.code,
        name=survey.name,
        startDate=window.start_date.isoformat() if window.start_date else None,
        endDate=window.end_date.isoformat() if window.end_date else None,
        startTime=window.start_time.strftime("%H:%M") if window.start_time else None,
        endTime=window.end_time.strftime("%H:%M") if window.end_time else None,
        optInRequired=survey.opt_in_required,
    )


def _question(question: SurveyQuestion) -> m.SurveyQuestion:
    if question.type == "rating":
        choices = [m.SurveyChoice(choiceCode=r, text=r) for r in rating_choices(question)]
    else:
        choices = [m.SurveyChoice(choiceCode=c.code, text=c.text) for c in question.choices]
    return m.SurveyQuestion(
        questionCode=question.code,
        text=question.text,
        type=question.type.upper(),
        required=question.required,
        choices=choices,
        maxChoices=question.max_choices,
        maxLength=question.max_length if question.type == "text" else None,
    )


def survey_detail(survey: SurveyConfig, reward: str | None) -> m.SurveyDetail:
    return m.SurveyDetail(
        surveyCode=survey.code,
        name=survey.name,
        introduction=survey.introduction,
        questions=[_question(q) for q in survey.questions],
        rewardDescription=reward,
    )
