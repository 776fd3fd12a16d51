"""Helpers for driving the guest website's forms over HTTP."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from tests.api.guests import PASSWORD

SITE = "/m/1000/guest"
REDIRECT = "http://127.0.0.1:9999/callback"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(page: Response) -> str:
    found = _CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def submit(
    client: TestClient, path: str, fields: dict[str, Any], page: str | None = None
) -> Response:
    """Post a form of the site the way a browser would after loading ``page`` (the
    form's own page by default), with the CSRF token that page carried."""
    token = csrf_of(client.get(f"{SITE}/{page or path}"))
    return client.post(
        f"{SITE}/{path}", data={"csrf_token": token, **fields}, follow_redirects=False
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def sign_in(client: TestClient, username: str = "ada", password: str = PASSWORD) -> None:
    reply = submit(client, "signin", {"username": username, "password": password})
    assert reply.status_code == 303, reply.text
    assert reply.headers["location"] == f"{SITE}/account"
