"""Push Messaging Services (pushmessaging.yaml): the app registers the phone that
receives the guest's pushes, or forgets it."""

from __future__ import annotations

from openpxs.api.pushmessaging import models as m
from openpxs.api.pushmessaging.errors import PUSHMESSAGING
from openpxs.domain.errors import Reason as R
from openpxs.services import push_devices
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

_REGISTER_ERRORS = (
    R.CARD_NOT_FOUND,
    R.INVALID_EXTERNAL_IDENTIFIER,
    R.EXTERNAL_ACCOUNT_IN_USE,
)


@endpoint(
    PUSHMESSAGING,
    "registerIosDevice",
    request=m.DeviceRequest,
    reply=m.ResultReply,
    styles=("b2b", "oauth"),
    summary="Register an iPhone's APNs device token for the guest's pushes",
    errors=_REGISTER_ERRORS,
    scope="account_write",
)
async def register_ios_device(ctx: CallContext, req: m.DeviceRequest) -> m.ResultReply:
    """externalAccount.externalIdentifier is the app's bundle id (the APNs topic),
    accountCode the device token in hex. Registering the same token again is a success
    that changes nothing; a token held by another account moves to this one. An account
    keeps up to ten phones; the eleventh replaces the one registered longest ago."""
    await push_devices.register(
        ctx,
        req.printedCardNumber,
        "ios",
        req.externalAccount.externalIdentifier,
        req.externalAccount.accountCode,
    )
    return m.ResultReply()


@endpoint(
    PUSHMESSAGING,
    "registerAndroidDevice",
    request=m.DeviceRequest,
    reply=m.ResultReply,
    styles=("b2b", "oauth", "anonymous"),
    summary="Register an Android phone's FCM registration token for the guest's pushes",
    errors=_REGISTER_ERRORS,
    scope="account_write",
)
async def register_android_device(ctx: CallContext, req: m.DeviceRequest) -> m.ResultReply:
    """externalAccount.externalIdentifier is the app's package name, accountCode the FCM
    registration token. As registerIosDevice, except that an anonymous caller cannot move
    a token another account holds (external_account_in_use)."""
    await push_devices.register(
        ctx,
        req.printedCardNumber,
        "android",
        req.externalAccount.externalIdentifier,
        req.externalAccount.accountCode,
    )
    return m.ResultReply()


@endpoint(
    PUSHMESSAGING,
    "unregisterDevice",
    request=m.DeviceRequest,
    reply=m.ResultReply,
    styles=("b2b", "oauth"),
    summary="Stop pushes to a phone",
    errors=(R.CARD_NOT_FOUND, R.EXTERNAL_ACCOUNT_NOT_FOUND),
    scope="account_write",
)
async def unregister_device(ctx: CallContext, req: m.DeviceRequest) -> m.ResultReply:
    """Forgets the token (either platform) on the card's account; a token the account
    does not hold under that externalIdentifier is external_account_not_found."""
    await push_devices.unregister(
        ctx,
        req.printedCardNumber,
        req.externalAccount.externalIdentifier,
        req.externalAccount.accountCode,
    )
    return m.ResultReply()
