"""The shell examples of the README and of docs/getting-started.md run as they stand:
their ```sh blocks, top to bottom in one bash shell with `set -euo pipefail`, against a
freshly served demo. Only the address changes (the test serves on a free port instead
of 8080). Blocks that install or serve (`make ...`, `openpxs serve`) are left out: the
test serves the demo itself."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

from tests.e2e.server import free_port, start

ROOT = Path(__file__).resolve().parents[2]
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def example_blocks(page: Path) -> list[str]:
    """The page's shell blocks, less those that install or serve."""

    def commands(block: str) -> list[str]:
        return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]

    return [
        block
        for block in SHELL_BLOCK.findall(page.read_text(encoding="utf-8"))
        if not all(c.startswith("make ") for c in commands(block))
        and not any("openpxs serve" in c for c in commands(block))
    ]


def replies(output: str) -> list[dict[str, Any]]:
    """The JSON replies curl printed one after another."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    at = 0
    while at < len(output):
        if output[at].isspace():
            at += 1
            continue
        reply, at = decoder.raw_decode(output, at)
        found.append(reply)
    return found


def run_against_a_demo(blocks: list[str], tmp_path: Path) -> list[dict[str, Any]]:
    port = free_port()
    url = f"sqlite:///{tmp_path / 'examples.db'}"
    # In tmp_path, where the demo makes its wallet certificates and the README's pass
    # is downloaded.
    server = start(["demo", "--database", url], tmp_path / "server.log", port, cwd=tmp_path)
    try:
        script = "set -euo pipefail\n" + "\n".join(blocks)
        script = script.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        run = subprocess.run(
            ["bash", "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    found = replies(run.stdout)
    for reply in found:
        assert "errorCode" not in reply, reply
    return found


def test_the_readme_examples_run_top_to_bottom_in_one_shell(tmp_path: Path) -> None:
    blocks = example_blocks(ROOT / "README.md")
    # POS session, demo guest, loyalty check, eGift, Reward Yourself, a challenge, wallet
    # passes, SSO
    assert len(blocks) == 8
    found = run_against_a_demo(blocks, tmp_path)
    sold, redeemed, account, check, egift, points, joined, *visits, challenges, jwt, sso = found
    # The redirect flow: the code the site sent back, exchanged with the PKCE verifier.
    assert (sso["result"], sso["username"]) == ("success", "demo"), sso
    assert sso["scope"] == "user_read account_read"
    # The demo pass verified with openssl (set -e), and the Google token was signed.
    assert (tmp_path / "demo-pass" / "pass.json").exists()
    assert jwt["result"] == "success" and jwt["jwt"].count(".") == 2, jwt
    assert sold["svCurrentBalance"] == "25.00"
    assert redeemed["svCurrentBalance"] == "15.00"
    assert (account["result"], account["username"]) == ("success", "demo"), account
    assert check["result"] == "success", check
    # 30 points for the burger, none for the beer; 150 points make a $5 Reward.
    assert {"walletCode": 2, "quantity": "30"} in check["addWalletContents"]
    assert {"walletCode": 3, "quantity": "1"} in check["addWalletContents"]
    assert (egift["result"], egift["saleSummary"]["total"]) == ("success", "25.00"), egift
    assert egift["chargeResponse"]["transactionState"] == "Succeeded"
    # 120 + 30 points, 100 of them turned into the $5 Reward: 50 left, 100 needed.
    assert points == {
        "result": "success",
        "pointsRequired": "100",
        "pointsBalance": "50",
        "walletCode": 2,
    }
    # The guest joins VISIT3 and three checks complete the week: a second $5 Reward.
    assert joined["challenge"]["status"] == "IN_PROGRESS", joined
    assert len(visits) == 3
    rewards = [{w["walletCode"]: w["balance"] for w in v["walletBalances"]}[3] for v in visits]
    assert rewards == ["1", "1", "2"]
    active = {c["challengeCode"]: c for c in challenges["challenges"]}
    assert (active["VISIT3"]["status"], active["VISIT3"]["progress"]) == ("COMPLETED", "3")


def test_the_getting_started_calls_run_as_written(tmp_path: Path) -> None:
    blocks = example_blocks(ROOT / "docs" / "getting-started.md")
    assert len(blocks) == 2  # the POS sale, the demo guest
    sold, account = run_against_a_demo(blocks, tmp_path)
    assert (sold["result"], sold["svCurrentBalance"]) == ("authorizedSuccess", "25.00")
    assert (account["result"], account["username"]) == ("success", "demo"), account
