"""Payment Service (payment.yaml): Apple Pay on the web."""

from __future__ import annotations

from openpxs.api.payment import models as m
from openpxs.api.payment.errors import PAYMENT
from openpxs.domain.errors import Reason as R
from openpxs.services import apple_pay
from openpxs.wire.context import CallContext
from openpxs.wire.registry import endpoint

# What an operation that asks Apple to register or forget a domain may answer.
_REACHING_APPLE = (R.APPLE_PAY_NOT_CONFIGURED, R.INVALID_DOMAIN, R.PROCESSOR_ERROR)


def _details(found: apple_pay.ApplePayDetails) -> m.ApplePayMerchantDetailsReply:
    settings = found.settings
    return m.ApplePayMerchantDetailsReply(
        merchantIdentifier=settings.merchant_identifier,
        displayName=settings.display_name,
        countryCode=settings.country_code,
        currencyCode=found.currency,
        supportedNetworks=list(settings.supported_networks),
        merchantCapabilities=list(settings.merchant_capabilities),
        domains=found.domains,
    )


@endpoint(
    PAYMENT,
    "applePayMerchantDetails",
    method="GET",
    request=m.MerchantRequest,
    reply=m.ApplePayMerchantDetailsReply,
    styles=("b2b", "oauth", "anonymous"),
    summary="What an Apple Pay payment request needs, and the registered domains",
    errors=(R.APPLE_PAY_NOT_CONFIGURED,),
)
async def apple_pay_merchant_details(
    ctx: CallContext, req: m.MerchantRequest
) -> m.ApplePayMerchantDetailsReply:
    """Merchant identifier, display name, country, currency, networks and capabilities
    from the program, and the domains registered so far."""
    return _details(await apple_pay.details(ctx))


@endpoint(
    PAYMENT,
    "registerApplePayMerchantDomain",
    request=m.ApplePayDomainRequest,
    reply=m.ApplePayMerchantDetailsReply,
    styles=("b2b",),
    summary="Register a web domain with Apple Pay for the merchant",
    errors=_REACHING_APPLE,
)
async def register_apple_pay_merchant_domain(
    ctx: CallContext, req: m.ApplePayDomainRequest
) -> m.ApplePayMerchantDetailsReply:
    """Apple registers the domain (it checks the domain's association file), then it is
    recorded; registering a registered domain changes nothing. A refusal by Apple is
    payment.invalid_domain; Apple out of reach is payment.processor_error."""
    return _details(await apple_pay.register(ctx, req.domainName))


@endpoint(
    PAYMENT,
    "unregisterApplePayMerchantDomain",
    request=m.ApplePayDomainRequest,
    reply=m.ApplePayMerchantDetailsReply,
    styles=("b2b",),
    summary="Remove a web domain from the merchant's Apple Pay registration",
    errors=_REACHING_APPLE,
)
async def unregister_apple_pay_merchant_domain(
    ctx: CallContext, req: m.ApplePayDomainRequest
) -> m.ApplePayMerchantDetailsReply:
    """Apple forgets the domain, then it is removed here; merchant validation for it is
    refused afterwards. A domain not registered is payment.invalid_domain."""
    return _details(await apple_pay.unregister(ctx, req.domainName))


@endpoint(
    PAYMENT,
    "validateApplePayMerchant",
    request=m.ValidateApplePayMerchantRequest,
    reply=m.ApplePayMerchantSessionReply,
    styles=("b2b", "oauth", "anonymous"),
    summary="Ask Apple for a merchant session for the Apple Pay payment sheet",
    errors=(
        R.APPLE_PAY_NOT_CONFIGURED,
        R.INVALID_DOMAIN,
        R.APPLE_PAY_VALIDATION_FAILED,
        R.PROCESSOR_ERROR,
    ),
)
async def validate_apple_pay_merchant(
    ctx: CallContext, req: m.ValidateApplePayMerchantRequest
) -> m.ApplePayMerchantSessionReply:
    """The domain must be registered and validationUrl one of Apple's gateways; Apple's
    merchant session comes back unchanged for completeMerchantValidation. Nothing is
    charged."""
    session = await apple_pay.merchant_session(
        ctx, req.validationUrl, req.domainName, req.displayName
    )
    return m.ApplePayMerchantSessionReply(merchantSession=session)
