"""The server under test, as a child process: ``openpxs serve``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

import httpx

from bench.database import openpxs_command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_options() -> str:
    """The text of ``openpxs serve --help``, to adapt to the options it has today."""
    done = subprocess.run(
        [*openpxs_command(), "serve", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    return done.stdout


class Server:
    """``openpxs serve`` on a free port; ``start`` waits for GET /health."""

    def __init__(self, database_url: str, log_path: Path, workers: int | None = None):
        self.database_url = database_url
        self.log_path = log_path
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.command = [
            *openpxs_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--database",
            database_url,
        ]
        self.workers_used: int | None = None
        if workers is not None and "--workers" in serve_options():
            self.command += ["--workers", str(workers)]
            self.workers_used = workers
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}: see {self.log_path}"
                )
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer /health within {timeout} s")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def openapi_paths(self) -> list[str]:
        reply = httpx.get(f"{self.base_url}/openapi.json", timeout=30)
        reply.raise_for_status()
        return list(reply.json().get("paths", {}))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # Its own session: the signal reaches worker processes too, and nothing else.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
