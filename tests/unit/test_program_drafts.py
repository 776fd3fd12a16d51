"""A draft program's problems and its differences from another, without a database."""

from __future__ import annotations

from pathlib import Path

from openpxs.config import DEMO_CONFIG_FILES
from openpxs.config.diff import Change, diff_documents, unified_diff
from openpxs.services.program_drafts import MAX_DRAFT_CHARS, Problem, check_draft

DEMO = Path(DEMO_CONFIG_FILES[1]).read_text(encoding="utf-8")


def test_a_valid_draft_has_no_problems() -> None:
    assert check_draft(DEMO) == []


def test_problems_carry_the_validators_field_line_and_column() -> None:
    draft = DEMO.replace("    scale: 2\n", "    scale: 12\n", 1)
    line = DEMO.splitlines().index("    scale: 2") + 1
    (problem,) = check_draft(draft)
    assert (problem.path, problem.line, problem.column) == ("wallets[0].scale", line, 5)
    assert "less than or equal to 4" in problem.message
    assert str(problem).startswith(f"wallets[0].scale (line {line}): ")


def test_a_syntax_error_and_a_repeated_key_are_placed() -> None:
    lines = DEMO.splitlines()
    at = next(i for i, text in enumerate(lines) if text.startswith("  name:"))
    repeated = "\n".join([*lines[: at + 1], lines[at], *lines[at + 1 :]])
    (twice,) = check_draft(repeated)
    assert (twice.line, twice.column, twice.message) == (at + 2, 3, "this key appears twice")
    (syntax,) = check_draft("merchant: [1, 2\nwallets: []\n")
    assert syntax.message.startswith("YAML syntax: ") and syntax.line is not None
    assert syntax.column is not None and syntax.path == ""


def test_an_oversized_draft_is_one_problem_not_a_parse() -> None:
    assert check_draft("#" * (MAX_DRAFT_CHARS + 1)) == [
        Problem(None, None, "", "the program is longer than 1,000,000 characters")
    ]


def test_lists_that_name_their_items_are_compared_by_name() -> None:
    before = {
        "wallets": [{"code": 1, "scale": 2}, {"code": 2, "scale": 0}],
        "loyalty": {"earning": [{"name": "Per dollar", "per_currency": "1"}]},
    }
    after = {
        "wallets": [{"code": 1, "scale": 2}, {"code": 5, "scale": 0}, {"code": 2, "scale": 1}],
        "loyalty": {"earning": [{"name": "Per dollar", "per_currency": "2"}]},
        "stores": [],
    }
    assert diff_documents(before, after) == [
        Change("wallets[2].scale", "changed", 0, 1),
        Change("wallets[5]", "added", after={"code": 5, "scale": 0}),
        Change("loyalty.earning[Per dollar].per_currency", "changed", "1", "2"),
        Change("stores", "added", after=[]),
    ]
    assert [c.section for c in diff_documents(before, after)] == [
        "wallets",
        "wallets",
        "loyalty",
        "stores",
    ]


def test_unnamed_lists_are_compared_by_position_and_equal_documents_have_no_diff() -> None:
    assert diff_documents({"a": [1, 2]}, {"a": [1]}) == [Change("a[1]", "removed", before=2)]
    assert diff_documents({"a": 1}, {"a": True}) == [Change("a", "changed", 1, True)]
    assert unified_diff({"a": 1}, {"a": 1}, "live", "draft") == ""
    text = unified_diff({"a": 1}, {"a": 2}, "live", "draft")
    assert text.splitlines()[:2] == ["--- live", "+++ draft"] and "-a: 1" in text
