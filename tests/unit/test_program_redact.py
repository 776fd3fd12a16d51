"""Redacting a program file's integration secrets: each ``secret`` becomes the
``secret_hash`` given, the rest of the text stays, and a text that cannot be redacted
safely gives None."""

from __future__ import annotations

from pathlib import Path

from openpxs.config import DEMO_CONFIG_FILES
from openpxs.config.loader import parse_config
from openpxs.config.redact import redact_secrets

DEMO_1000 = Path(DEMO_CONFIG_FILES[0]).read_text(encoding="utf-8")
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"


def hashes() -> dict[str, str]:
    return {i.identifier: HASH for i in parse_config(DEMO_1000).integrations}


def test_each_secret_becomes_its_hash_and_the_rest_stays() -> None:
    text = redact_secrets(DEMO_1000, hashes())
    assert text is not None
    assert "secret: " not in text and text.count(f"secret_hash: '{HASH}'") == 3
    config = parse_config(text)
    assert [i.secret_hash for i in config.integrations] == [HASH] * 3
    assert text.splitlines()[:20] == DEMO_1000.splitlines()[:20]


def test_flow_style_and_quoted_secrets_are_redacted() -> None:
    flow = DEMO_1000.replace("secret: demo-pos-secret", 'secret: "demo-pos-secret"', 1)
    text = redact_secrets(flow, hashes())
    assert text is not None and "demo-pos-secret" not in text


def test_a_secret_without_a_hash_or_an_invalid_file_is_not_kept() -> None:
    missing = {k: v for k, v in list(hashes().items())[1:]}
    assert redact_secrets(DEMO_1000, missing) is None
    assert redact_secrets("merchant: [", hashes()) is None
