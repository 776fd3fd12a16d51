"""Apple Pay on the web through the HTTP API, against a local stand-in for Apple's
merchant services: details, domain registration and merchant validation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.guests import POS, as_guest, b2b, body_of, gget, gpost
from tests.api.test_payment import guest
from tests.fakes.apple_pay import MERCHANT_IDENTIFIER, FakeApplePay
from tests.program_config import program_editor


@pytest.fixture
def apple_pay_merchant(client: TestClient, apple: FakeApplePay) -> Iterator[None]:
    def with_apple_pay(data: dict[str, Any]) -> None:
        data["payments"]["apple_pay"] = {
            "merchant_identifier": MERCHANT_IDENTIFIER,
            "display_name": "Demo Coffee",
            "validation_origins": [apple.url],
            "registration_url": f"{apple.url}/paymentservices",
        }

    with program_editor(client) as change:
        change(with_apple_pay)
        yield


def register(client: TestClient, domain: str, op: str = "register") -> dict[str, Any]:
    return body_of(
        gpost(client, "payment", f"{op}ApplePayMerchantDomain", b2b(domainName=domain), auth=POS)
    )


def validate(client: TestClient, url: str, domain: str, **auth: Any) -> dict[str, Any]:
    body = {"validationUrl": url, "domainName": domain, **auth}
    return body_of(gpost(client, "payment", "validateApplePayMerchant", body))


def details(client: TestClient) -> dict[str, Any]:
    return body_of(gget(client, "payment", "applePayMerchantDetails", {}))


@pytest.mark.usefixtures("apple_pay_merchant")
def test_a_registered_domain_gets_a_merchant_session_from_apple(
    client: TestClient, apple: FakeApplePay
) -> None:
    registered = register(client, "Shop.Example.com")
    assert registered["result"] == "success", registered
    assert registered["domains"] == ["shop.example.com"]
    assert apple.domains == {"shop.example.com"}
    assert register(client, "shop.example.com")["domains"] == ["shop.example.com"]
    assert len([p for p, _ in apple.requests if p.endswith("registerMerchant")]) == 1

    shown = details(client)
    assert shown == {
        "result": "success",
        "merchantIdentifier": MERCHANT_IDENTIFIER,
        "displayName": "Demo Coffee",
        "countryCode": "US",
        "currencyCode": "USD",
        "supportedNetworks": ["visa", "masterCard", "amex", "discover"],
        "merchantCapabilities": ["supports3DS"],
        "domains": ["shop.example.com"],
    }

    session = validate(client, f"{apple.url}/paymentSession", "shop.example.com")
    assert session["result"] == "success", session
    assert session["merchantSession"]["domainName"] == "shop.example.com"
    assert session["merchantSession"]["merchantSessionIdentifier"].startswith("SSH")
    asked = apple.requests[-1][1]
    assert asked == {
        "merchantIdentifier": MERCHANT_IDENTIFIER,
        "displayName": "Demo Coffee",
        "initiative": "web",
        "initiativeContext": "shop.example.com",
    }
    _, token = guest(client)
    as_app = validate(client, f"{apple.url}/paymentSession", "shop.example.com", **as_guest(token))
    assert as_app["result"] == "success"


@pytest.mark.usefixtures("apple_pay_merchant")
def test_validation_refuses_unregistered_domains_and_strange_addresses(
    client: TestClient, apple: FakeApplePay
) -> None:
    register(client, "shop.example.com")
    before = len(apple.requests)
    not_registered = validate(client, f"{apple.url}/paymentSession", "other.example.com")
    assert (not_registered["result"], not_registered["errorCode"]) == (
        "failure",
        "payment.invalid_domain",
    )
    for url in (
        "http://169.254.169.254/latest/meta-data",
        f"{apple.url}.evil.example/paymentSession",
        "https://apple-pay-gateway.apple.com.evil.example/paymentSession",
        "not a url",
        "",
    ):
        refused = validate(client, url, "shop.example.com")
        assert refused["errorCode"] == "payment.apple_pay_validation_failed", url
    assert len(apple.requests) == before  # none of those reached any server

    apple.domains.clear()  # Apple no longer knows the domain: its refusal is passed on
    forgotten = validate(client, f"{apple.url}/paymentSession", "shop.example.com")
    assert forgotten["errorCode"] == "payment.apple_pay_validation_failed"


@pytest.mark.usefixtures("apple_pay_merchant")
def test_domain_refusals_and_unregistering(client: TestClient, apple: FakeApplePay) -> None:
    for bad in ("", "localhost", "https://shop.example.com", "shop.example.com/path", "1.2.3.4"):
        assert register(client, bad)["errorCode"] == "payment.invalid_domain", bad
    unverified = register(client, "unverified.example.com")
    assert unverified["errorCode"] == "payment.invalid_domain"
    assert "Domain verification failed" in unverified["errorMessage"]
    assert details(client)["domains"] == []

    register(client, "shop.example.com")
    apple.down = True
    unreachable = register(client, "two.example.com")
    assert unreachable["errorCode"] == "payment.processor_error"
    apple.down = False
    assert details(client)["domains"] == ["shop.example.com"]

    gone = register(client, "shop.example.com", op="unregister")
    assert (gone["result"], gone["domains"]) == ("success", [])
    assert apple.domains == set()
    again = register(client, "shop.example.com", op="unregister")
    assert again["errorCode"] == "payment.invalid_domain"
    refused = validate(client, f"{apple.url}/paymentSession", "shop.example.com")
    assert refused["errorCode"] == "payment.invalid_domain"


def test_without_apple_pay_settings_every_operation_is_not_configured(client: TestClient) -> None:
    with program_editor(client) as change:
        change(lambda data: data["payments"].pop("apple_pay"))
        not_configured(client)


def not_configured(client: TestClient) -> None:
    assert details(client)["errorCode"] == "payment.apple_pay_not_configured"
    assert register(client, "shop.example.com")["errorCode"] == "payment.apple_pay_not_configured"
    url = "https://apple-pay-gateway.apple.com/paymentservices/paymentSession"
    assert validate(client, url, "shop.example.com")["errorCode"] == (
        "payment.apple_pay_not_configured"
    )


def test_domain_registration_is_for_back_ends_only(client: TestClient) -> None:
    _, token = guest(client)
    reply = gpost(
        client, "payment", "registerApplePayMerchantDomain", as_guest(token, domainName="a.com")
    )
    assert reply.json()["result"] != "success"
