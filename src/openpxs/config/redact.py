"""A program file's text with its integration secrets replaced by their hashes.

The text is kept in the database so that the console can show the file as it was
written; a secret in clear must not be. ``secret: X`` becomes ``secret_hash: '<hash>'``
with the hash the integration already has, which is still a valid program: applying it
again keeps the secret as it is. Everything else (comments, order, layout) stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from openpxs.config.loader import ConfigError, parse_config

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def redact_secrets(text: str, hashes: Mapping[str, str]) -> str | None:
    """``text`` with each integration's ``secret`` replaced by ``secret_hash`` from
    ``hashes`` (by identifier); None when that cannot be done safely (the result would
    not be a valid program, or a secret would still be in it)."""
    try:
        config = parse_config(text)
        root = yaml.compose(text, Loader=_Loader)
    except (ConfigError, yaml.YAMLError):
        return None
    secrets = [i.secret for i in config.integrations if i.secret is not None]
    if not secrets:
        return text
    spans: list[tuple[int, int, str]] = []
    for node in _integration_nodes(root):
        identifier = _value(node, "identifier")
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "secret":
                digest = hashes.get(identifier or "")
                if digest is None or "'" in digest:
                    return None
                spans.append(
                    (key.start_mark.index, value.end_mark.index, f"secret_hash: '{digest}'")
                )
    for start, end, replacement in sorted(spans, reverse=True):
        text = text[:start] + replacement + text[end:]
    try:
        redacted = parse_config(text)
    except ConfigError:
        return None
    if any(i.secret is not None for i in redacted.integrations) or any(
        secret in text for secret in secrets
    ):
        return None
    return text


def _integration_nodes(root: yaml.Node | None) -> list[yaml.MappingNode]:
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if (
            isinstance(key, yaml.ScalarNode)
            and key.value == "integrations"
            and isinstance(value, yaml.SequenceNode)
        ):
            return [n for n in value.value if isinstance(n, yaml.MappingNode)]
    return []


def _value(node: yaml.MappingNode, name: str) -> str | None:
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return str(value.value) if isinstance(value, yaml.ScalarNode) else None
    return None
