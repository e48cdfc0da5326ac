"""Note types kept from Anki: checked like card text, since their templates run in Anki."""

from __future__ import annotations

import pytest

from deck2anki.foreign import safe_css, safe_template, template_loses


@pytest.mark.parametrize("template", [
    '<div title="{{Front}}">x</div>',  # a '"' in the field would end the attribute
    "<a href='{{Back}}'>link</a>",
    "{{Front}}<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>{{Front}}",
    '<div onclick="alert(1)">{{Front}}</div>',
    "<svg onload=alert(1)>",
    '<?x <img src=x onerror=alert(1)> ?>ok',
])
def test_a_template_that_could_run_anything_is_refused_and_disarmed(template: str) -> None:
    assert template_loses(template)
    cleaned = safe_template(template)
    assert not template_loses(cleaned)  # what import stores passes validate
    for bad in ("onerror", "onclick", "onload", "<script", "{{Front}}\"", "title=\"{{"):
        assert bad not in cleaned


def test_field_references_in_text_stay() -> None:
    template = ('{{FrontSide}}<hr id="answer"><div class="x">{{Back}}</div>'
                "{{#Extra}}{{Extra}}{{/Extra}}")
    assert safe_template(template) == template


@pytest.mark.parametrize("css", [
    ".card{background:url(https://evil.example/a.png)}",
    ".card{background:\\75 rl(https://evil.example/a.png)}",
    '@\\69mport "https://evil/x.css";',
    '@import "https://evil/x.css";',
    '.a{background-image:image-set("https://evil/a.png" 1x)}',
    "@font-face{font-family:x;src:local(x)}",
    ".a{width:expression(alert(1))}",
])
def test_css_that_could_fetch_or_run_is_cut(css: str) -> None:
    cleaned = safe_css(css)
    assert cleaned != css
    for bad in ("url(", "import", "image-set(", "expression(", "\\", "@font-face"):
        assert bad not in cleaned.lower()


def test_plain_css_and_media_queries_stay() -> None:
    css = ".card { color: black; }\n@media (max-width: 480px) { .card { font-size: 18px; } }"
    assert safe_css(css) == css


@pytest.mark.parametrize("css", [
    ".a{background:u/**/rl(https://evil.example/a.png)}",
    ".a{src:src(//evil.example/7)}",
    "</style><script>alert(1)</script>",
])
def test_css_tricks_that_survive_a_naive_filter_are_cut(css: str) -> None:
    cleaned = safe_css(css)
    assert "rl(" not in cleaned and "src(" not in cleaned and "<" not in cleaned


def test_media_tags_are_cut_from_templates() -> None:
    assert "[sound:" not in safe_template("{{Front}}[sound:x.mp3]")
    assert template_loses("{{Front}}[sound:x.mp3]")
