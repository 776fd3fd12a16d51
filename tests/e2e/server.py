"""Running the installed `openpxs` command as a real server process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def openpxs_command() -> list[str]:
    found = shutil.which("openpxs", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "openpxs.cli"]


def start(
    args: list[str], log_path: Path, port: int, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start `openpxs <args>` (in ``cwd``) and wait (up to a minute) until /health answers."""
    log = log_path.open("w")
    env = {**os.environ, "OPENPXS_LOG_LEVEL": "WARNING"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [*openpxs_command(), *args, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
    )
    for _ in range(300):
        if server.poll() is not None:
            pytest.fail(log_path.read_text())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    pytest.fail("the server did not come up")
