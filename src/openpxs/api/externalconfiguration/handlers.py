"""External Configuration Service (externalconfiguration.yaml): a mobile app's content
set. The rules are in services.app_content and domain.app_content."""

from __future__ import annotations

from openpxs.api.externalconfiguration import models as m
from openpxs.api.externalconfiguration.errors import EXTERNAL_CONFIGURATION
from openpxs.domain.errors import Reason as R
from openpxs.services import app_content
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint


@endpoint(
    EXTERNAL_CONFIGURATION,
    "getMobileAppConfig",
    request=m.MobileAppConfigRequest,
    reply=m.MobileAppConfigReply,
    styles=("anonymous",),
    summary="What a mobile app must delete and download to reach the current content",
    errors=(R.INVALID_INTEGRATION, R.APP_NOT_FOUND),
)
async def get_mobile_app_config(
    ctx: CallContext, req: m.MobileAppConfigRequest
) -> m.MobileAppConfigReply:
    """noUpdates, echoing the version, when the app holds the current version;
    otherwise withUpdates: the image names to delete, the images added or changed since
    the version held (name to download URL; every image when the version is unknown or
    empty) and the version to store. integrationId must be the calling integration's
    identifier; the content set is the program file's outreach.mobile_apps entry for
    appId. Nothing is written."""
    current, update = app_content.mobile_app_update(ctx, req.integrationId, req.appId, req.version)
    if update is None:
        return m.MobileAppConfigReply(result="noUpdates", version=current)
    return m.MobileAppConfigReply(
        version=update.version, deleteImages=update.delete, downloadImages=update.download
    )
