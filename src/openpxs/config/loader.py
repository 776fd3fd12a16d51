"""Read a merchant's YAML file and report every problem with its field path and line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from openpxs.config.model import CrossCheckError, Loc, MerchantConfig, format_loc


@dataclass(frozen=True)
class ConfigIssue:
    file: str
    field: str
    line: int | None
    reason: str
    # 1-based, where the field's key (or the YAML error) starts; None when unknown.
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        if self.line is not None:
            where += f" (line {self.line})"
        return f"{where}: {self.reason}"


class ConfigError(Exception):
    """A configuration file that cannot be used; ``issues`` lists every problem found."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(issue) for issue in issues))
        self.issues = issues


def load_config(path: str | Path) -> MerchantConfig:
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigIssue(name, "", None, f"cannot read the file: {exc}")]) from None
    return parse_config(text, name)


def parse_config(text: str, name: str = "<program>") -> MerchantConfig:
    """The program in ``text`` (a file's content, or a draft being edited), checked as
    ``load_config`` checks a file; ``name`` stands for the file in the issues."""
    root, data = _parse(name, text)
    try:
        return MerchantConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_issues(name, root, exc)) from None


def line_of(path: str | Path, loc: Loc) -> int | None:
    """The line of the field at ``loc`` in the file, or None if it cannot be found."""
    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return None if root is None else _position(root, loc)[0]


# libyaml's parser when PyYAML was built with it: the same documents and marks, twenty
# times faster, which is what lets an editor check a draft at every pause in typing.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(name: str, text: str) -> tuple[yaml.Node, Any]:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise ConfigError([ConfigIssue(name, "", None, "the file is empty")])
        duplicates = list(_duplicate_keys(root, (), set()))
        if duplicates:
            raise ConfigError(
                [
                    ConfigIssue(name, format_loc(loc), line, "this key appears twice", column)
                    for loc, (line, column) in duplicates
                ]
            )
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        issue = ConfigIssue(name, "", line, f"YAML syntax: {reason}", column)
        raise ConfigError([issue]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue(name, "", None, f"YAML syntax: {exc}")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        line, column = _mark(root)
        reason = "the file must be a mapping of sections"
        raise ConfigError([ConfigIssue(name, "", line, reason, column)])
    return root, data


def _duplicate_keys(node: yaml.Node, loc: Loc, seen: set[int]) -> Any:
    # PyYAML quietly keeps the last of two equal keys; a repeated key is almost always a
    # paste error that would otherwise drop half a wallet's settings.
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in keys:
                    yield (*loc, key.value), _mark(key)
                keys.add(key.value)
                yield from _duplicate_keys(value, (*loc, key.value), seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*loc, i), seen)


def _issues(name: str, root: yaml.Node, exc: ValidationError) -> list[ConfigIssue]:
    found: list[tuple[Loc, str]] = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, CrossCheckError):
            found += [((*loc, *sub), msg) for sub, msg in cause.problems]
        else:
            found.append((loc, _reason(error["type"], error["msg"])))
    issues = []
    for loc, msg in found:
        line, column = _position(root, loc)
        issues.append(ConfigIssue(name, format_loc(loc), line, msg, column))
    return issues


def _reason(kind: str, message: str) -> str:
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field"
    return message.removeprefix("Value error, ")


def _mark(node: yaml.Node) -> tuple[int, int]:
    """Where ``node`` starts: 1-based line and column."""
    return node.start_mark.line + 1, node.start_mark.column + 1


def _position(root: yaml.Node, loc: Loc) -> tuple[int, int]:
    """Line and column of the deepest node on ``loc`` present in the file (1-based)."""
    node = root
    found = _mark(root)
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    found, node = _mark(key), value
                    break
            # Not in the file: a missing field, or the tag of a tagged union (geocoder
            # kind) that pydantic puts in the path; the members after it are still here.
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return found
            node = node.value[part]
            found = _mark(node)
        else:
            return found
    return found
