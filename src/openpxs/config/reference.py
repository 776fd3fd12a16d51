"""The program file's JSON Schema and its Markdown reference, both from the model.

``openpxs config schema`` prints the schema editors use for completion and checking;
``openpxs config reference`` writes docs/reference/config.md. A test compares the
committed page with this output, so the reference cannot drift from the model.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from openpxs.config.model import MerchantConfig

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
Schema = dict[str, Any]


def json_schema() -> Schema:
    """The JSON Schema of a merchant program file (YAML is read as its JSON data)."""
    schema = _tidy(MerchantConfig.model_json_schema())
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "OpenPXS merchant program",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def _tidy(node: Any) -> Any:
    """Descriptions come from docstrings: one line each, whatever their wrapping."""
    if isinstance(node, dict):
        return {
            key: " ".join(value.split())
            if key == "description" and isinstance(value, str)
            else _tidy(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    return node


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


INTRODUCTION = """\
# Program file reference

A merchant's program (its programs, card templates, wallets, stores, integrations,
card ranges, guest settings and loyalty rules) is one YAML file.
`openpxs config validate FILE` checks it and lists every problem with its field and
line; `openpxs config apply FILE` creates or updates the merchant (and issues its card
ranges). The demo merchants' files (`src/openpxs/config/demo/merchant-1000.yaml`,
`merchant-2000.yaml`) are complete examples.

This page is generated from the configuration model (`openpxs config reference`); so
is the JSON Schema that editors use for completion and checking as you type:

```sh
openpxs config schema > openpxs-program.schema.json
```

(the same schema is published next to this page as
[program.schema.json](program.schema.json)). With the YAML language server (VS Code's
YAML extension, and most editors through it), point the file at the schema with a first
line of `# yaml-language-server: $schema=./openpxs-program.schema.json`.

Codes that look like numbers but are text (store codes, card numbers, registration
codes, postal codes) must be written in quotes, and so must amounts (`"5.00"`): YAML
would otherwise read them as numbers and drop leading zeros or decimals.
"""


def markdown_reference() -> str:
    """docs/reference/config.md: every section of the file, its fields, their types,
    defaults and descriptions."""
    schema = json_schema()
    definitions: dict[str, Schema] = schema.get("$defs", {})
    models = _models(MerchantConfig)
    order, places = _walk(schema, definitions)
    lines = [INTRODUCTION]
    lines += _section("The file", "", schema, MerchantConfig)
    for name in order:
        found_at = ", ".join(f"`{place}`" for place in places[name])
        lines += _section(name, found_at, definitions[name], models[name])
    return "\n".join(lines).rstrip() + "\n"


def _models(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model the file is made of, by name (the schema's definitions)."""
    found: dict[str, type[BaseModel]] = {}

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.__name__ not in found:
                found[annotation.__name__] = annotation
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for arg in get_args(annotation):
            visit(arg)

    visit(root)
    return found


def _walk(root: Schema, definitions: dict[str, Schema]) -> tuple[list[str], dict[str, list[str]]]:
    """The definitions in the order a reader meets them, and where each is used."""
    order: list[str] = []
    places: dict[str, list[str]] = {}

    def visit(node: Schema, path: str) -> None:
        for field, prop in node.get("properties", {}).items():
            for ref, suffix in _refs(prop):
                here = f"{path}.{field}{suffix}" if path else f"{field}{suffix}"
                places.setdefault(ref, []).append(here)
                if ref not in order:
                    order.append(ref)
                    visit(definitions[ref], here)

    visit(root, "")
    return order, places


def _refs(prop: Schema) -> list[tuple[str, str]]:
    """(definition, path suffix) of the models a property holds: ``[]`` for a list."""
    if "$ref" in prop:
        return [(prop["$ref"].rsplit("/", 1)[-1], "")]
    if prop.get("type") == "array":
        return [(ref, "[]") for ref, _ in _refs(prop.get("items", {}))]
    found: list[tuple[str, str]] = []
    for option in prop.get("anyOf", []):
        found += _refs(option)
    return found


def _section(name: str, found_at: str, node: Schema, model: type[BaseModel]) -> list[str]:
    lines = [f"## {name}", ""]
    if found_at:
        lines += [f"Used at {found_at}.", ""]
    if node.get("description"):
        lines += [node["description"], ""]
    required = set(node.get("required", []))
    lines += ["| field | type | default | description |", "|---|---|---|---|"]
    for field, prop in node.get("properties", {}).items():
        default = "**required**" if field in required else _default(model, field)
        cells = [f"`{field}`", _type(prop), default, _describe(prop)]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return [*lines, ""]


def _default(model: type[BaseModel], field: str) -> str:
    value = model.model_fields[field].get_default(call_default_factory=True)
    if value is PydanticUndefined:
        return "see description"  # filled in by a validator (WalletConfig.scale)
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "its defaults"
    if isinstance(value, Decimal):
        return f"`{value}`"
    return f"`{json.dumps(value)}`"


def _type(prop: Schema) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in prop:
        options = [o for o in prop["anyOf"] if o.get("type") != "null"]
        if _is_decimal(options):
            return "decimal"
        return " or ".join(_type(o) for o in options)
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if kind == "string" and prop.get("format") in ("date", "time", "date-time"):
        return str(prop["format"])
    return {
        "integer": "integer",
        "string": "text",
        "boolean": "true/false",
        "number": "number",
    }.get(str(kind), str(kind))


def _is_decimal(options: list[Schema]) -> bool:
    # pydantic's Decimal: a number, or a string of digits (the exact written form).
    return {o.get("type") for o in options} == {"number", "string"}


def _describe(prop: Schema) -> str:
    text = str(prop.get("description", ""))
    limits = _limits(prop)
    for option in prop.get("anyOf", []):
        limits += _limits(option)
    if prop.get("type") == "array":
        limits += _limits(prop.get("items", {}))
    return f"{text} ({'; '.join(limits)})" if limits else text


def _limits(prop: Schema) -> list[str]:
    out: list[str] = []
    words = {
        "minimum": "at least {}",
        "exclusiveMinimum": "more than {}",
        "maximum": "at most {}",
        "exclusiveMaximum": "less than {}",
        "minLength": "at least {} characters",
        "maxLength": "at most {} characters",
        "minItems": "at least {} entries",
        "pattern": "matching `{}`",
    }
    for key, text in words.items():
        if key not in prop:
            continue
        if key == "minLength" and prop[key] == 1:
            out.append("not empty")
        elif key == "minItems" and prop[key] == 1:
            out.append("at least one")
        else:
            out.append(text.format(_number(prop[key])))
    return out


def _number(value: object) -> object:
    # Decimal bounds come out of the schema as floats: 0 reads better than 0.0.
    return int(value) if isinstance(value, float) and value.is_integer() else value
