"""Changing the demo merchant's program the way an operator does: edit its YAML and
apply it (``openpxs config apply``), then apply the shipped file again to restore it.

Tests that need another program (more coupons, an eClub template, a campaign key) use
this instead of patching how the server loads programs, so what they exercise is the
configuration path a real deployment takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import yaml
from fastapi.testclient import TestClient
from pydantic import BaseModel

from openpxs.config import DEMO_CONFIG_FILES, load_config
from openpxs.config.model import MerchantConfig
from openpxs.store.config_apply import apply_config

DEMO_1000 = DEMO_CONFIG_FILES[0]
Edit = Callable[[dict[str, Any]], None]


def as_yaml(item: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """A configuration model as it would be written in the YAML file."""
    if isinstance(item, BaseModel):
        dumped: dict[str, Any] = item.model_dump(mode="json", exclude_defaults=True)
        return dumped
    return item


def edited_config(edit: Edit, source: Path = DEMO_1000) -> MerchantConfig:
    """The demo file with ``edit`` applied to its parsed YAML, read back through the real
    loader (so a bad edit fails the way a bad file would)."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    edit(data)
    with TemporaryDirectory() as folder:
        path = Path(folder) / source.name
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return load_config(path)


def apply(client: TestClient, config: MerchantConfig) -> None:
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]

    async def go() -> None:
        async with engine.begin() as conn:
            await apply_config(conn, config, datetime.now(UTC))

    assert client.portal is not None
    client.portal.call(go)


def restore(client: TestClient) -> None:
    apply(client, load_config(DEMO_1000))


@contextmanager
def demo_program(client: TestClient, edit: Edit) -> Iterator[None]:
    """Merchant 1000's program with ``edit`` applied, for the duration of the block."""
    apply(client, edited_config(edit))
    try:
        yield
    finally:
        restore(client)


@contextmanager
def program_editor(client: TestClient) -> Iterator[Callable[[Edit], None]]:
    """A function that applies an edit of merchant 1000's program; the shipped program is
    applied again when the block ends (a fixture's teardown)."""
    edited = False

    def change(edit: Edit) -> None:
        nonlocal edited
        edited = True
        apply(client, edited_config(edit))

    try:
        yield change
    finally:
        if edited:
            restore(client)
