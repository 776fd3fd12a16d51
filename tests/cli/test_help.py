"""The command line explains itself: every option has help and says its default,
counts read as English, and the demo banner lists every demo login."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from openpxs.cli import app as cli
from openpxs.cli import demo_banner
from openpxs.cli_support import plural
from openpxs.config import DEMO_CONFIG_FILES
from openpxs.settings import Settings


def commands(
    group: Any = None, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    group = group or get_command(cli)
    for name, command in group.commands.items():
        yield (*path, name), command
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))


ALL = list(commands())


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_every_option_has_help_and_a_default(path: tuple[str, ...], command: Any) -> None:
    for param in command.params:
        if param.param_type_name != "option":
            continue
        assert param.help, (path, param.name)
        assert param.required or param.is_flag or param.show_default, (path, param.name)
    page = CliRunner().invoke(cli, [*path, "--help"], env={"COLUMNS": "120"})
    assert page.exit_code == 0, page.output
    for label in ("<bool>", "<str>", "<int>", "<int range>", "<float>"):
        assert label not in page.output, page.output


def test_the_root_help_documents_the_exit_codes() -> None:
    page = " ".join(CliRunner().invoke(cli, ["--help"]).output.split())
    for code in ("3 invalid configuration", "4 database missing", "5 the address"):
        assert code in page


def test_plural() -> None:
    assert [plural(n, "program") for n in (0, 1, 2)] == ["0 programs", "1 program", "2 programs"]
    assert plural(1, "discrepancy", "discrepancies") == "1 discrepancy"
    assert plural(3, "discrepancy", "discrepancies") == "3 discrepancies"


def test_validate_counts_in_english() -> None:
    result = CliRunner().invoke(cli, ["config", "validate", str(DEMO_CONFIG_FILES[1])])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert (
        "1 program, 1 card template, 1 wallet, 1 store, 1 integration, 100 cards in 1 range"
    ) in text


def test_the_demo_banner_names_every_login_and_the_reference() -> None:
    settings = Settings(host="127.0.0.1", port=8123, database_url="sqlite:///./openpxs.db")
    banner = demo_banner(settings, 1)
    assert "1 new card;" in banner
    for needed in (
        "http://127.0.0.1:8123/docs",
        "http://127.0.0.1:8123/rest/24.11",
        "demo-pos / demo-pos-secret",
        "demo2-pos / demo2-pos-secret",
        "demo-app / demo-app-secret",
        "demo / DemoPass123!",
        "7000000000000001",
        "delete openpxs.db to start afresh",
        "http://127.0.0.1:8123/console/",
        "owner@demo.example / DemoOwner123!",
        "csr@demo.example / DemoCsr123!",
    ):
        assert needed in banner
