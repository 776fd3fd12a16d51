"""The integration guides are the recorded examples, word for word: written by
tools/guides.py from src/openpxs/api/examples/, which tests/api/test_examples.py
replays against the demo."""

from __future__ import annotations

import re

from tools import guides

from openpxs.wire.examples import sequences


def test_the_committed_guides_are_current() -> None:
    for guide in guides.GUIDES:
        committed = (guides.FOLDER / guide.file).read_text(encoding="utf-8")
        assert committed == guides.render(guide), (
            f"docs/guides/{guide.file} is stale: run `python -m tools.guides`"
        )


def test_each_guide_tells_whole_sequences_with_every_call_linked() -> None:
    known = {sequence.name: sequence for sequence in sequences()}
    for guide in guides.GUIDES:
        text = guides.render(guide)
        for name in guide.sequences:
            for step in known[name].steps:
                if step.take_code:
                    continue
                operation = step.path.removesuffix(".json").replace("/", ".")
                assert f"/redoc#operation/{operation})" in text, (guide.file, step.id)
        assert not re.search(r"\n {4}\S", text.split("```")[0]), "no indented code blocks"


def test_the_three_kinds_of_integration_have_a_guide() -> None:
    assert {guide.file for guide in guides.GUIDES} == {
        "pos.md",
        "mobile-app.md",
        "guest-website.md",
    }
