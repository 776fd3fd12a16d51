"""`openpxs serve` in production shape: several workers, shared metrics, clean SIGTERM."""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

import httpx

from openpxs.demo import install_demo
from tests.e2e.server import free_port, start


def test_workers_serve_and_share_metrics_then_stop_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    asyncio.run(install_demo(url))
    port = free_port()
    server = start(["serve", "--workers", "2", "--database", url], tmp_path / "log", port)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, auth=("demo-pos", "demo-pos-secret")) as http:
            for _ in range(20):  # new connections spread over both workers
                reply = httpx.post(
                    f"{base}/rest/24.11/transaction/status.json",
                    json={},
                    auth=("demo-pos", "demo-pos-secret"),
                )
                assert reply.json() == {"result": "authorizedSuccess"}
            page = http.get("/metrics").text
        served = re.search(
            r'openpxs_requests_total\{endpoint="transaction/status.json",'
            r'result="authorizedSuccess",status="200"\} (\d+)',
            page,
        )
        assert served is not None, page
        assert float(served.group(1)) == 20  # the sum over every worker's samples
        assert "openpxs_request_seconds_bucket" in page
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
