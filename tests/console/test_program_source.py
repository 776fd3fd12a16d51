"""The program file kept with each apply: `openpxs config apply`, the console and the
demo installer keep the file's text (integration secrets replaced by their hashes,
never in clear in the table or the page), and the console's editor starts from it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from openpxs.cli import app as cli
from openpxs.config import DEMO_CONFIG_FILES
from openpxs.store.tables import operators, program_sources
from tests.console.console import CONSOLE, add_operator, post, sign_in
from tests.program_config import restore

DEMO_1000 = Path(DEMO_CONFIG_FILES[0]).read_text(encoding="utf-8")
SECRETS = ("demo-pos-secret", "demo-app-secret", "demo-web-secret")
MANAGER = ("source-manager@demo.example", "Operator1234!")


@pytest.fixture
def manager(browser: TestClient, database_url: str) -> Iterator[TestClient]:
    add_operator(database_url, MANAGER[0], "manager")
    sign_in(browser, MANAGER)
    yield browser
    restore(browser)


def kept(client: TestClient) -> list[dict[str, Any]]:
    """Merchant 1000's kept program files, oldest first."""
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def go() -> list[dict[str, Any]]:
        async with engine.connect() as conn:
            query = (
                select(program_sources)
                .where(program_sources.c.merchant_id == 1000)
                .order_by(program_sources.c.id)
            )
            return [dict(row._mapping) for row in await conn.execute(query)]

    assert client.portal is not None
    return client.portal.call(go)


def operator_id(client: TestClient, email: str) -> int:
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def go() -> int:
        async with engine.connect() as conn:
            query = select(operators.c.id).where(operators.c.email == email)
            return int((await conn.execute(query)).scalar_one())

    assert client.portal is not None
    return client.portal.call(go)


def editor_text(client: TestClient) -> tuple[str, str]:
    page = client.get(f"{CONSOLE}/program")
    assert page.status_code == 200
    found = re.search(r'<textarea id="draft"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert found
    return html.unescape(found.group(1)), page.text


def live_version(page: str) -> int:
    found = re.search(r'id="live-version">(\d+)<', page)
    assert found
    return int(found.group(1))


def test_the_demo_install_keeps_its_file_without_secrets(browser: TestClient) -> None:
    demo = [row for row in kept(browser) if row["applied_by"] == "demo"]
    assert demo, "the demo installer kept no program file"
    first = demo[0]["source"]
    assert "name: OpenPXS Demo Grill" in first
    assert first.count("secret_hash: '$argon2") == len(SECRETS)
    assert not any(secret in row["source"] for row in demo for secret in SECRETS)


def test_the_editor_starts_with_the_file_config_apply_applied(
    manager: TestClient, database_url: str, tmp_path: Path
) -> None:
    edited = DEMO_1000.replace(
        "name: OpenPXS Demo Grill", "name: Grill From The CLI  # renamed for the season", 1
    )
    assert edited != DEMO_1000
    path = tmp_path / "merchant-1000.yaml"
    path.write_text(edited, encoding="utf-8")
    done = CliRunner().invoke(cli, ["config", "apply", str(path), "--database", database_url])
    assert done.exit_code == 0, done.output

    row = kept(manager)[-1]
    assert row["applied_by"] == "cli"
    assert "# renamed for the season" in row["source"]
    text, page = editor_text(manager)
    assert text == row["source"]
    assert row["config_version"] == live_version(page)
    assert "name: Grill From The CLI  # renamed for the season" in text
    assert text.count("secret_hash: '$argon2") == len(SECRETS)
    assert 'id="source-note"' in page and "changed elsewhere" not in page
    for secret in SECRETS:
        assert secret not in page and secret not in row["source"]
    # The kept text is a program: checked as it is, it has no problems and no changes.
    diff = post(manager, "program/diff", {"draft": text}, "program")
    assert diff.status_code == 200 and "nothing to apply" in diff.text


def test_an_apply_from_the_console_keeps_the_file_with_its_operator(
    manager: TestClient,
) -> None:
    _, page = editor_text(manager)
    version = live_version(page)
    draft = DEMO_1000.replace("name: OpenPXS Demo Grill", "name: Console Grill", 1)
    applied = post(
        manager, "program/apply", {"draft": draft, "version": version, "comment": ""}, "program"
    )
    assert applied.status_code == 303, applied.text
    row = kept(manager)[-1]
    assert row["applied_by"] == f"console:{operator_id(manager, MANAGER[0])}"
    assert row["config_version"] == version + 1
    assert "name: Console Grill" in row["source"]
    assert not any(secret in row["source"] for secret in SECRETS)
    text, page = editor_text(manager)
    assert text == row["source"] and "changed elsewhere" not in page

    # Applied elsewhere without keeping its file (as before files were kept): the editor
    # shows the last kept one, with a warning.
    restore(manager)
    text, page = editor_text(manager)
    assert text == row["source"]
    assert "The live program was changed elsewhere" in page
