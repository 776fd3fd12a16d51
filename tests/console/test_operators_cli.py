"""``openpxs operators add|list|disable``: the staff of a merchant's console."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openpxs.cli import app as cli
from openpxs.demo import install_demo


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("operators") / "cli.db"
    found = f"sqlite:///{path}"
    asyncio.run(install_demo(found))
    return found


def invoke(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, ["operators", *args])
    return done.exit_code, done.output


def test_the_demo_has_an_owner_and_a_csr(url: str) -> None:
    code, out = invoke("list", "--merchant", "1000", "--database", url)
    assert code == 0, out
    rows = [line.split("\t") for line in out.strip().splitlines()]
    assert [r[:4] for r in rows] == [
        ["owner@demo.example", "owner", "-", "enabled"],
        ["csr@demo.example", "csr", "-", "enabled"],
    ]


def test_add_list_and_disable(url: str) -> None:
    code, out = invoke(
        "add", "--email", "Ann@Example.com", "--merchant", "1000", "--role", "analyst",
        "--password", "Analyst1234!", "--totp", "--database", url,
    )  # fmt: skip
    assert code == 0, out
    assert "added ann@example.com (analyst)" in out
    assert "otpauth://totp/OpenPXS:ann%40example.com?secret=" in out
    again = invoke(
        "add", "--email", "ann@example.com", "--merchant", "1000", "--role", "csr",
        "--password", "Analyst1234!", "--database", url,
    )  # fmt: skip
    assert again[0] == 3 and "already an operator" in again[1]
    assert (
        invoke("disable", "--email", "ann@example.com", "--merchant", "1000", "--database", url)[0]
        == 0
    )
    code, out = invoke("list", "--merchant", "1000", "--database", url)
    assert "ann@example.com\tanalyst\ttotp\tdisabled" in out


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--role", "boss", "--password", "LongEnough123"), "role must be one of"),
        (("--role", "csr", "--password", "short"), "at least 10 characters"),
        (("--role", "csr", "--password", "LongEnough123", "--merchant", "4242"), "4242"),
    ],
)
def test_add_refuses_what_is_wrong(url: str, args: tuple[str, ...], problem: str) -> None:
    merchant = () if "--merchant" in args else ("--merchant", "1000")
    code, out = invoke("add", "--email", "x@example.com", *merchant, *args, "--database", url)
    assert code == 3 and problem in out, out


def test_disable_an_unknown_operator(url: str) -> None:
    code, out = invoke(
        "disable", "--email", "nobody@example.com", "--merchant", "1000", "--database", url
    )
    assert code == 3 and "no operator nobody@example.com" in out
