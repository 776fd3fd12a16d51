"""Rules of the push and SMS channels that need no server: payload shapes, number keys,
E.164 numbers and the provider token's form."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from openpxs.domain.sms import number_key, opt_in_of_reply
from openpxs.integrations.push.jwt import es256
from openpxs.integrations.sms import TwilioSms, twilio_request_valid, twilio_signature
from openpxs.messaging.push import apns_payload
from openpxs.settings import RETIRED, Settings


def test_numbers_compare_on_their_last_ten_digits() -> None:
    assert number_key("+1 (617) 555-0123") == number_key("617-555-0123") == "6175550123"
    assert number_key("+44 20 7946 0958") != number_key("+44 20 7946 0959")


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("617-555-0123", "+16175550123"),
        ("+44 20 7946 0958", "+442079460958"),
        ("16175550123", "+16175550123"),
    ],
)
def test_twilio_gets_e164_numbers(written: str, sent: str) -> None:
    twilio = TwilioSms(account_sid="AC1", auth_token="t", from_number="+16175550100")
    assert twilio.e164(written) == sent


def test_an_apns_payload_is_an_alert_or_the_empty_wallet_update() -> None:
    content = {"title": "Hi", "body": "10 points", "data": {"campaign": "X", "aps": "no"}}
    assert apns_payload(content) == {
        "aps": {"alert": {"title": "Hi", "body": "10 points"}},
        "campaign": "X",
    }
    assert apns_payload({"title": None, "body": None, "data": {}}) == {}


def test_an_es256_token_is_a_jws_with_a_raw_signature() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    token = es256({"iss": "TEAM", "iat": 1}, key, kid="KEY")
    head, claims, signature = token.split(".")

    def decode(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    assert json.loads(decode(head)) == {"alg": "ES256", "kid": "KEY", "typ": "JWT"}
    assert json.loads(decode(claims)) == {"iat": 1, "iss": "TEAM"}
    raw = decode(signature)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.public_key().verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))


def test_a_retired_pass_certificate_setting_is_named_when_still_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().retired() == []
    monkeypatch.setenv("OPENPXS_APNS_PASS_CERT_FILE", "/etc/openpxs/pass.pem")
    settings = Settings()
    # Not read any more: pass-update pushes use each merchant's certificate.
    assert not hasattr(settings, "apns_pass_cert_file")
    assert settings.retired() == ["OPENPXS_APNS_PASS_CERT_FILE"]
    assert "wallet_passes.apple" in RETIRED["OPENPXS_APNS_PASS_CERT_FILE"]


def test_the_twilio_signature_is_the_one_of_twilios_documented_example() -> None:
    # Twilio's security documentation: auth token 12345, this URL and these parameters.
    params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    # The order the form came in does not matter; any change of a value does.
    assert twilio_request_valid("12345", url, params[::-1], "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    changed = [*params[:-1], ("To", "+18005551213")]
    assert not twilio_request_valid("12345", url, changed, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not twilio_request_valid("", url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")


@pytest.mark.parametrize(
    ("text", "opt_in"),
    [
        ("STOP", False),
        ("stopall\n", False),
        (" Unsubscribe ", False),
        ("CANCEL", False),
        ("end", False),
        ("Quit", False),
        ("START", True),
        ("yes", True),
        ("UnStop", True),
        ("HELP", None),
        ("stop it", None),
        ("", None),
    ],
)
def test_reply_keywords(text: str, opt_in: bool | None) -> None:
    assert opt_in_of_reply(text) is opt_in
