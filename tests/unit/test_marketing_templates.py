"""Marketing templates: autoescaped HTML, plain text, one-line subjects, a sandbox."""

import pytest
from jinja2.exceptions import SecurityError
from pydantic import ValidationError

from openpxs.config.outreach import MarketingTemplateConfig
from openpxs.domain.marketing import render


def test_html_is_escaped_text_is_not_and_the_subject_is_one_line() -> None:
    out = render("Hi {{ name }}\r\nBcc: x", "<p>{{ name }}</p>", "{{ name }}", {"name": "<i>"})
    assert out.html == "<p>&lt;i&gt;</p>"
    assert out.text == "<i>"
    assert out.subject == "Hi <i> Bcc: x"


def test_a_missing_value_renders_as_nothing() -> None:
    assert render("s", "<p>{{ gone }}</p>", "[{{ gone }}]", {}).text == "[]"


def test_a_template_cannot_reach_python_internals() -> None:
    with pytest.raises(SecurityError):
        render("s", "x", "{{ name.__class__.__mro__[1].__subclasses__() }}", {"name": "a"})


def test_the_program_file_refuses_bad_syntax_and_undeclared_fields() -> None:
    base = {"code": 1, "name": "n", "subject": "s", "html": "h", "text": "t"}
    with pytest.raises(ValidationError, match="line 1"):
        MarketingTemplateConfig.model_validate({**base, "text": "{{ oops"})
    with pytest.raises(ValidationError, match="list it in external_fields"):
        MarketingTemplateConfig.model_validate({**base, "html": "{{ day }}"})
    ok = MarketingTemplateConfig.model_validate(
        {**base, "html": "{{ day }} {{ guest.firstName }}", "external_fields": ["day"]}
    )
    assert ok.external_fields == ["day"]
