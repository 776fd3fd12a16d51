"""Enrollment Service replies built from use-case outcomes."""

from __future__ import annotations

from openpxs.api.enrollment import models as m
from openpxs.domain.program import CardTemplateDef
from openpxs.services.enrollment import Enrolled

CARD_CREATED = "cardCreatedSuccess"


def enrolled_reply(enrolled: Enrolled, result: str = "success") -> m.EnrollmentReply:
    """The account and card of an enrollment, with the new guest's OAuth tokens when
    they were signed in."""
    issued = enrolled.tokens
    tokens = None
    if issued is not None:
        tokens = m.OAuthTokens(
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_in=issued.expires_in,
            printedCardNumber=enrolled.card_number,
            scope=issued.scope,
            username=issued.username,
        )
    return m.EnrollmentReply(
        result=result,
        accountId=enrolled.account_id,
        printedCardNumber=enrolled.card_number,
        oauthTokens=tokens,
    )


def form_reply(template: CardTemplateDef, *, login_required: bool) -> m.EnrollmentConfigReply:
    """Each field of the template's form with its type, whether it is required, its
    length limits and label."""
    entries = []
    for setting in template.form.values():
        login = setting.name in ("username", "password")
        entries.append(
            m.ConfigEntry(
                field=setting.name,
                type=setting.type,
                required=(setting.required or login) and (login_required or not login),
                label=setting.label,
                minLength=setting.min_length,
                # No maxLength for the password (changelog 19.18): clients must not cap it.
                maxLength=None if setting.type == "password" else setting.max_length,
                unique=setting.unique or None,
                scope=setting.scope,
            )
        )
    return m.EnrollmentConfigReply(config=m.EnrollmentConfig(fields=entries))
