"""Marketing message templates: Jinja2 text, rendered per guest in a sandbox.

A template has a subject, an HTML part and a text part. The HTML part is rendered with
autoescaping, so a value a partner sends (``replacementParams``) or a guest typed (a
first name) shows as text, never as markup; the subject and text parts are plain text.
The sandbox keeps a template from reaching Python attributes of what it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Template, TemplateSyntaxError, Undefined, meta
from jinja2.nodes import Template as TemplateNode
from jinja2.sandbox import SandboxedEnvironment

_TEXT = SandboxedEnvironment(autoescape=False, undefined=Undefined, keep_trailing_newline=True)
_HTML = SandboxedEnvironment(autoescape=True, undefined=Undefined, keep_trailing_newline=True)

__all__ = [
    "Rendered",
    "TemplateSyntaxError",
    "check_syntax",
    "render",
    "render_text",
    "variables_of",
]


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def check_syntax(source: str) -> None:
    """Raise TemplateSyntaxError when ``source`` is no Jinja2 template."""
    _TEXT.parse(source)


def variables_of(source: str) -> set[str]:
    """The top-level names a template reads."""
    tree: TemplateNode = _TEXT.parse(source)
    return set(meta.find_undeclared_variables(tree))


@lru_cache(maxsize=256)
def _compiled(source: str, html: bool) -> Template:
    return (_HTML if html else _TEXT).from_string(source)


def render(subject: str, html: str, text: str, values: Mapping[str, object]) -> Rendered:
    """The three parts for one guest. A name the values lack renders as nothing; the
    subject is one line (line breaks become spaces, so no header can be injected)."""
    context = dict(values)
    rendered_subject = _compiled(subject, False).render(context)
    return Rendered(
        subject=" ".join(rendered_subject.split()),
        html=_compiled(html, True).render(context),
        text=_compiled(text, False).render(context),
    )


def render_text(source: str, values: Mapping[str, object]) -> str:
    """One plain-text template for one guest."""
    return _compiled(source, False).render(dict(values))
