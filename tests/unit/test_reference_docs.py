"""The references generated from the code: the program file's JSON Schema and Markdown
reference (from the config model) and the command line reference (from the CLI). The
committed pages must be what the code generates: `make reference` writes them anew."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from typer.testing import CliRunner

from openpxs.cli import app as cli
from openpxs.cli_reference import cli_markdown
from openpxs.config import DEMO_CONFIG_FILES
from openpxs.config.reference import json_schema, json_schema_text, markdown_reference

ROOT = Path(__file__).resolve().parents[2]


def schema_from_the_command() -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["config", "schema"])
    assert result.exit_code == 0, result.output
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


def test_schema_accepts_the_demo_files() -> None:
    schema = schema_from_the_command()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    validator = jsonschema_rs.validator_for(schema)
    for path in DEMO_CONFIG_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert [error.message for error in validator.iter_errors(data)] == [], path


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d["wallets"][0].update(colour="red"), "an unknown key"),
        (lambda d: d["wallets"][0].update(kind="gold"), "an unknown wallet kind"),
        (lambda d: d["merchant"].pop("timezone"), "a missing required field"),
        (lambda d: d["programs"][0].update(code="sv"), "a program code in lower case"),
    ],
)
def test_schema_refuses_what_validate_refuses(change: Any, why: str) -> None:
    data = yaml.safe_load(DEMO_CONFIG_FILES[0].read_text(encoding="utf-8"))
    change(data)
    assert not jsonschema_rs.validator_for(json_schema()).is_valid(data), why


def test_a_wallet_without_scale_is_valid_in_the_schema_as_in_the_model() -> None:
    data = yaml.safe_load(DEMO_CONFIG_FILES[1].read_text(encoding="utf-8"))
    del data["wallets"][0]["scale"]
    assert jsonschema_rs.validator_for(json_schema()).is_valid(data)


def properties(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for name, prop in node.get("properties", {}).items():
        found.append((f"{path}.{name}", prop))
    return found


def test_every_field_and_section_is_described() -> None:
    schema = json_schema()
    sections = {"(file)": schema, **schema["$defs"]}
    undescribed = [
        f"{section}{field}"
        for section, node in sections.items()
        for field, prop in properties(node)
        if not prop.get("description")
    ]
    assert undescribed == []
    assert [name for name, node in sections.items() if not node.get("description")] == []


def test_the_config_reference_is_current() -> None:
    committed = (ROOT / "docs" / "reference" / "config.md").read_text(encoding="utf-8")
    assert committed == markdown_reference(), "stale: run `make reference`"


def test_the_published_schema_is_current() -> None:
    committed = (ROOT / "docs" / "reference" / "program.schema.json").read_text(encoding="utf-8")
    assert committed == json_schema_text(), "stale: run `make reference`"


def test_the_config_reference_command_writes_the_page(tmp_path: Path) -> None:
    out = tmp_path / "config.md"
    result = CliRunner().invoke(cli, ["config", "reference", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text == markdown_reference()
    for section in ("## WalletConfig", "## IntegrationConfig", "## EarningRule"):
        assert section in text
    assert "| `registration_code` | text | none | Registration code printed" in text


def test_the_cli_reference_is_current() -> None:
    committed = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    assert committed == cli_markdown(), "stale: run `make reference`"


def test_the_cli_reference_covers_every_command() -> None:
    text = cli_markdown()
    for command in ("serve", "demo", "audit", "db upgrade", "config schema", "cards generate"):
        assert f"## openpxs {command}\n" in text
    assert "| 4 | the database does not exist" in text
