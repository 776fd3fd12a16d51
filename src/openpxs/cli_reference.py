"""docs/reference/cli.md, generated from the command line itself.

``python -m openpxs.cli_reference --output docs/reference/cli.md`` (``make reference``)
writes it; a test compares the committed page with this output, so the reference says
exactly what ``openpxs ... --help`` says.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from typer.main import get_command

from openpxs.cli import app
from openpxs.cli_support import EXIT_CODE_MEANINGS

WIDTH = 88

INTRODUCTION = """\
# Command line reference

Generated from `openpxs --help` and the help of every command
(`python -m openpxs.cli_reference`, run by `make reference`).

Every command that uses a database takes `--database URL`, else
`$OPENPXS_DATABASE_URL`, else `sqlite:///./openpxs.db` in the current directory. Only
`serve`, `demo`, `db upgrade` and `config apply` create a database (a SQLite file) or
its schema; every other command refuses a database that does not exist or has another
schema version. Settings other than the database come from the environment
(`OPENPXS_*`, see the operator guide).

## Exit codes

{exit_codes}

A failure prints one line starting with `error:` on standard error;
`openpxs --debug COMMAND ...` prints the full traceback as well.
"""


def _commands(command: Any, ctx: Any, path: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    yield " ".join(path), command.get_help(ctx)
    for name in getattr(command, "commands", {}):
        sub = command.commands[name]
        if sub.hidden:
            continue
        sub_ctx = sub.context_class(sub, info_name=name, parent=ctx)
        yield from _commands(sub, sub_ctx, (*path, name))


def cli_markdown() -> str:
    root = get_command(app)
    ctx = root.context_class(
        root, info_name="openpxs", terminal_width=WIDTH, max_content_width=WIDTH
    )
    codes = ["| code | meaning |", "|---|---|"]
    codes += [f"| {int(code)} | {meaning} |" for code, meaning in EXIT_CODE_MEANINGS.items()]
    lines = [INTRODUCTION.format(exit_codes="\n".join(codes))]
    for path, text in _commands(root, ctx, ("openpxs",)):
        lines += [f"## {path}", "", "```text", text.rstrip(), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> None:
    text = cli_markdown()
    if len(argv) == 2 and argv[0] == "--output":
        with open(argv[1], "w", encoding="utf-8") as file:
            file.write(text)
        return
    sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
