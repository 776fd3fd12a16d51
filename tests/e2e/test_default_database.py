"""A newcomer's first minutes: `openpxs demo`, then `openpxs audit`, both with no
--database, look at the same database (./openpxs.db), and the banner names every demo
login and the API reference."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.e2e.server import free_port, openpxs_command, start


def test_demo_then_audit_share_the_default_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENPXS_DATABASE_URL", raising=False)
    port = free_port()
    log = tmp_path / "demo.log"
    server = start(["demo"], log, port, cwd=tmp_path)
    server.send_signal(signal.SIGTERM)
    # uvicorn stops gracefully, then ends by the signal it caught (as systemd expects).
    assert server.wait(timeout=60) in (0, -signal.SIGTERM)
    assert (tmp_path / "openpxs.db").is_file()

    banner = " ".join(log.read_text().split())
    for login in (
        f"http://127.0.0.1:{port}/docs",
        "demo-pos / demo-pos-secret",
        "demo2-pos / demo2-pos-secret",
        "demo-app / demo-app-secret",
        "demo / DemoPass123!",
        "2100 new cards",
    ):
        assert login in banner, banner

    audit = subprocess.run(
        [*openpxs_command(), "audit"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    clean = re.search(r"audit clean: (\d+) balances? match", audit.stdout)
    assert clean is not None and int(clean.group(1)) > 0, audit.stdout  # the demo guest's
