"""The console search benchmark runs end to end at a tiny scale on SQLite: every search
finds its guest and the report has its figures. No timing is asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.console_search import KINDS, main


def test_console_search_bench_runs_on_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    argv = ["--database", f"sqlite:///{tmp_path / 'bench.db'}", "--scale", "40"]
    argv += ["--searches", "5", "--quiet", "--output", str(out)]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert report["meta"]["accounts"] == 40 and report["meta"]["database"] == "sqlite"
    assert len(report["meta"]["load_before"]) == 3
    assert set(report["searches"]) == set(KINDS)
    for figures in report["searches"].values():
        assert figures["searches"] == 5 and figures["wrong"] == 0
        assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    printed = capsys.readouterr().out
    assert "40 accounts with guests on sqlite" in printed and "p99 ms" in printed
