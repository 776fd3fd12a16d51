"""The guest website's Content-Security-Policy on the one page that pays in a processor's
element, and on every other page."""

from __future__ import annotations

from openpxs.web.protection import ProcessorScript, content_security_policy


def directive(policy: str, name: str) -> list[str]:
    for part in policy.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    return []


def test_pages_without_a_processor_run_no_script_and_frame_nothing() -> None:
    policy = content_security_policy()
    assert directive(policy, "default-src") == ["'none'"]
    assert directive(policy, "script-src") == []
    assert directive(policy, "frame-src") == []


def test_stripe_may_frame_its_three_d_secure_challenge_but_not_run_scripts_from_it() -> None:
    stripe = ProcessorScript("https://js.stripe.com", "https://api.stripe.com")
    policy = content_security_policy(processor=stripe)
    assert directive(policy, "script-src") == ["'self'", "https://js.stripe.com"]
    assert directive(policy, "frame-src") == [
        "https://js.stripe.com",
        "https://api.stripe.com",
        "https://hooks.stripe.com",
    ]
    assert directive(policy, "connect-src") == ["https://js.stripe.com", "https://api.stripe.com"]


def test_a_script_served_elsewhere_gets_no_challenge_origin_of_stripes() -> None:
    local = ProcessorScript("http://127.0.0.1:8421", "http://127.0.0.1:8420")
    policy = content_security_policy(processor=local)
    assert "hooks.stripe.com" not in policy
    assert directive(policy, "frame-src") == ["http://127.0.0.1:8421", "http://127.0.0.1:8420"]
