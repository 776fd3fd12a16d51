"""Mobile app content sets (externalconfiguration.yaml): the images an app shows, by
version, from the program file's outreach.mobile_apps. Read only."""

from __future__ import annotations

from openpxs.config.outreach import MobileAppConfig
from openpxs.domain.app_content import ContentUpdate, update_from
from openpxs.domain.errors import Reason, Refused
from openpxs.services.context import Call


def content_set(call: Call, integration_id: str | None, app_id: str | None) -> MobileAppConfig:
    """The app's content set for the calling integration. integrationId must name the
    integration making the call (its HTTP Basic user name)."""
    if not integration_id or integration_id.strip() != call.integration.identifier:
        raise Refused(Reason.INVALID_INTEGRATION)
    for app in call.program.outreach.mobile_apps:
        if app.app_id == (app_id or "").strip() and (
            not app.integrations or call.integration.identifier in app.integrations
        ):
            return app
    raise Refused(Reason.APP_NOT_FOUND)


def mobile_app_update(
    call: Call, integration_id: str | None, app_id: str | None, version: str | None
) -> tuple[str, ContentUpdate | None]:
    """The current version, and what changed since ``version`` (None: nothing)."""
    app = content_set(call, integration_id, app_id)
    states = [(v.version, v.images) for v in app.versions]
    return states[-1][0], update_from((version or "").strip(), states)
