"""What differs between two programs laid out as documents (mappings and lists of
plain values), by path: ``wallets[2].scale``, ``loyalty.earning[Points per dollar]``.

Lists of mappings that all name themselves (by ``code``, ``id``, ``identifier``,
``name`` or ``wallet``, unique on both sides) are matched by that name, so inserting a
rule reports one added rule instead of every later rule changed; other lists are
compared position by position.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml

ChangeKind = Literal["added", "removed", "changed"]
# The fields a list item may be known by, in order of preference.
_NAMING_FIELDS = ("code", "id", "identifier", "name", "wallet")


@dataclass(frozen=True)
class Change:
    """One difference: ``before`` is None for an addition, ``after`` for a removal."""

    path: str
    kind: ChangeKind
    before: Any = None
    after: Any = None

    @property
    def section(self) -> str:
        """The program file section the change is in (``wallets``, ``loyalty``...)."""
        end = len(self.path)
        for mark in ".[":
            found = self.path.find(mark)
            if found != -1:
                end = min(end, found)
        return self.path[:end]


def diff_documents(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """Every difference from ``before`` to ``after``, in document order."""
    return list(_diff(before, after, ""))


def normalized_yaml(document: Mapping[str, Any]) -> str:
    """The document as YAML, fields in their document order: the text the unified diff
    compares, so the same program always reads the same."""
    return yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=100)


def unified_diff(
    before: Mapping[str, Any], after: Mapping[str, Any], before_name: str, after_name: str
) -> str:
    """A unified diff of the two documents' normalized YAML ("" when they are equal)."""
    lines = difflib.unified_diff(
        normalized_yaml(before).splitlines(keepends=True),
        normalized_yaml(after).splitlines(keepends=True),
        fromfile=before_name,
        tofile=after_name,
    )
    return "".join(lines)


def _diff(before: Any, after: Any, path: str) -> Iterator[Change]:
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in [*before, *(k for k in after if k not in before)]:
            child = f"{path}.{key}" if path else str(key)
            if key not in after:
                yield Change(child, "removed", before=before[key])
            elif key not in before:
                yield Change(child, "added", after=after[key])
            else:
                yield from _diff(before[key], after[key], child)
        return
    if _is_list(before) and _is_list(after):
        naming = _naming_field(before, after)
        if naming is not None:
            yield from _diff_named(before, after, path, naming)
            return
        for i in range(max(len(before), len(after))):
            child = f"{path}[{i}]"
            if i >= len(after):
                yield Change(child, "removed", before=before[i])
            elif i >= len(before):
                yield Change(child, "added", after=after[i])
            else:
                yield from _diff(before[i], after[i], child)
        return
    if before != after or type(before) is not type(after):
        yield Change(path, "changed", before=before, after=after)


def _diff_named(
    before: Sequence[Mapping[str, Any]],
    after: Sequence[Mapping[str, Any]],
    path: str,
    naming: str,
) -> Iterator[Change]:
    old = {item[naming]: item for item in before}
    new = {item[naming]: item for item in after}
    for name in [*old, *(n for n in new if n not in old)]:
        child = f"{path}[{name}]"
        if name not in new:
            yield Change(child, "removed", before=old[name])
        elif name not in old:
            yield Change(child, "added", after=new[name])
        else:
            yield from _diff(old[name], new[name], child)


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _naming_field(*lists: Sequence[Any]) -> str | None:
    items = [item for items in lists for item in items]
    if not items or not all(isinstance(item, Mapping) for item in items):
        return None
    for field in _NAMING_FIELDS:
        if all(
            field in item and isinstance(item[field], str | int) and item[field] is not None
            for item in items
        ) and all(len({item[field] for item in items}) == len(items) for items in lists):
            return field
    return None
