"""A note field's HTML back to card text: our own output comes back unchanged, a
learner's edits come back as our Markdown, and nothing hostile comes back at all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from deck2anki import markup
from deck2anki.importing.html import Converted, Image, cloze_to_markdown, to_markdown

DECKS = Path(__file__).resolve().parent.parent / "decks"
TEXT_FIELDS = ("front", "back", "context", "name", "assesses", "length", "interviewers",
               "quote", "bad", "good")


def _deck_texts() -> tuple[list[str], list[str]]:
    texts: list[str] = []
    clozes: list[str] = []
    for path in sorted(DECKS.glob("*.yaml")):
        for card in yaml.safe_load(path.read_text(encoding="utf-8"))["cards"]:
            for key, value in card.items():
                if key == "cloze" and isinstance(value, str):
                    clozes.append(value)
                elif key == "steps" and isinstance(value, list):
                    texts += [step for step in value if isinstance(step, str)]
                elif key in TEXT_FIELDS and isinstance(value, str):
                    texts.append(value)
    return texts, clozes


TEXTS, CLOZES = _deck_texts()


def _rich_round_trip(text: str) -> tuple[str, Converted]:
    html = markup.rich(text)
    return html, to_markdown(html)


def _cloze_round_trip(text: str) -> tuple[str, Converted]:
    html = markup.cloze(text)
    return html, cloze_to_markdown(html)


# ------------------------------------------------------------------ our own output

def test_every_deck_text_comes_back_unchanged() -> None:
    assert len(TEXTS) > 300  # the decks' texts were found
    changed = []
    for text in TEXTS:
        html, result = _rich_round_trip(text)
        if markup.rich(result.text) != html or result.dropped:
            changed.append((text, result))
    assert changed == []


def test_every_deck_cloze_comes_back_unchanged() -> None:
    assert len(CLOZES) > 40
    changed = []
    for text in CLOZES:
        html, result = _cloze_round_trip(text)
        if markup.cloze(result.text) != html or result.dropped:
            changed.append((text, result))
    assert changed == []


LETTERS = "abcxyzXYZ019é"
PUNCTUATION = "{}[]<>&\\.,:;!?()-#+'\""
_word = st.text(st.sampled_from(LETTERS + PUNCTUATION), min_size=1, max_size=8)
_plain = st.text(st.sampled_from(LETTERS), min_size=1, max_size=6)
_link = st.tuples(_word, st.sampled_from(
    ["https://x.y", "https://x.y/a_b?c=1&d=2", "mailto:a@b.c", "http://x.y/(a)"]))
_token = st.one_of(
    _word, _plain, _plain.map("**{}**".format), _word.map("**{}**".format),
    _word.map("*{}*".format), _word.map("`{}`".format),
    _link.map(lambda link: f"[{link[0]}]({link[1]})"),
    st.sampled_from(["*", "_", "`", "a_b", "2*3", "&amp;", "&#123;", "&copy;", "\\*",
                     "\\\\", "\\[", "\\(", "- ", "1. ", "{{c1::x}}", "[sound:a.mp3]"]))
_line = st.tuples(st.sampled_from(["", "", "- ", "1. ", "  - "]),
                  st.lists(_token, min_size=1, max_size=5).map(" ".join)).map("".join)
_text = st.lists(_line, min_size=1, max_size=4).map("\n".join)


def _unsupported(html: str) -> bool:
    """Shapes markdown-it can produce that our Markdown does not write back exactly:
    emphasis inside emphasis of its kind, two side by side (they are merged), spaces
    before a line break, a line break first in the text or a list item (they are
    stripped), and emphasis that opens or closes together with another flush against a
    word ("*\\* **0***0*": the writer drops the outer one and says so)."""
    soup = BeautifulSoup(html, "html.parser")
    nested = any(tag.find_parent(tag.name) for tag in soup.find_all(["em", "strong"]))
    return nested or re.search(r"</(em|strong)><\1>| <br>|(^|<li>|<p>)<br>"
                               r"|</(?:em|strong)></(?:em|strong)>\w"
                               r"|\w<(?:em|strong)><(?:em|strong)>", html) is not None


# Derandomized, as the other property tests of the suite: CI must not fail on what a
# new seed draws. Two shapes earlier seeds drew are tests of their own below or in
# _unsupported; new ones belong there too, found by running with --hypothesis-seed.
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(_text)
def test_generated_text_comes_back_unchanged(text: str) -> None:
    html, result = _rich_round_trip(text)
    assume(not _unsupported(html))
    assert markup.rich(result.text) == html
    assert result.dropped == ()


_hint = st.text(st.sampled_from("abc xyz<&'\""), min_size=1, max_size=6).filter(str.strip)
_hidden = st.lists(st.one_of(_plain, _plain.map("**{}**".format), _word.map("*{}*".format)),
                   min_size=1, max_size=3).map(" ".join)
_marker = st.tuples(st.integers(1, 3), _hidden, st.none() | _hint).map(
    lambda m: f"{{{{c{m[0]}::{m[1]}" + (f"::{m[2]}" if m[2] else "") + "}}")
_cloze = st.lists(st.one_of(st.lists(_token, min_size=1, max_size=4).map(" ".join),
                            _marker, _marker), min_size=1, max_size=5).map(
    lambda parts: "".join(parts).strip())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(_cloze)
def test_generated_cloze_comes_back_unchanged(text: str) -> None:
    html, result = _cloze_round_trip(text)
    assume(not _unsupported(html))
    assert markup.cloze(result.text) == html
    assert result.dropped == ()


def test_emphasis_the_writer_cannot_place_is_dropped_and_said() -> None:
    """The shape _unsupported leaves out (found by the fuzzer): the outer italics close
    together with the bold, flush against a word. The writer loses them, and says so."""
    html, result = _cloze_round_trip("*\\* **0***0*")
    assert html == "<em>* <strong>0</strong></em>0*" and _unsupported(html)
    assert result.dropped == ("italics next to punctuation",)
    assert markup.cloze(result.text) == "* <strong>0</strong>0*"


def test_a_deletion_of_only_colons_comes_back_unchanged() -> None:
    """Found by the fuzzer: a deletion whose text is '::' (in italics). Its HTML spells
    the colons as references, or Anki (and the writer) would read a hint separator."""
    html, result = _cloze_round_trip("{{c1::*:\\:*}}")
    assert html == "{{c1::<em>&#58;&#58;</em>}}"
    assert (result.text, result.dropped) == ("{{c1::*:\\:*}}", ())


# ------------------------------------------------------------------ learner edits

@pytest.mark.parametrize(("html", "text"), [
    ("End-to-end <b>AI</b> delivery", "End-to-end **AI** delivery"),
    ('<div class="d2a-answer">End-to-end <b>AI</b> delivery</div>',
     "End-to-end **AI** delivery"),
    ("<div>End-to-end <strong>AI</strong> delivery</div><div></div>",
     "End-to-end **AI** delivery"),
    ("a<div>b</div>", "a\nb"),
    ("<div>a</div><div>b</div>", "a\nb"),
    ("<div>a</div><div><br></div><div>b</div>", "a\n\nb"),
    ("a<br>b<br>", "a\nb"),
    ("a<br><br>b", "a\n\nb"),
    ("<p>a</p><p>b</p>", "a\n\nb"),
    ("x&nbsp;y", "x y"),
    ("x&nbsp;&nbsp;", "x"),
    ("<i>so</i> <em>very</em>", "*so* *very*"),
    ("<b><i>both</i></b>", "**_both_**"),
    ("<b>a</b><b>b</b>", "**ab**"),
    ("<b>Done.</b>Next", "**Done**.Next"),  # '**Done.**Next' would not close
    ("<b> spaced </b>out", "**spaced** out"),
    ("<code>x = 1</code>", "`x = 1`"),
    ("<span style=\"font-weight: bold;\">heavy</span>", "**heavy**"),
    ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
    ("<ol><li>one</li><li>two</li></ol>", "1. one\n2. two"),
    ("<ol start=\"3\"><li>three</li></ol>", "3. three"),
    ('<a href="https://x.y/a b">link</a>', "[link](https://x.y/a%20b)"),
    ("2 * 3 = 6, snake_case", "2 \\* 3 = 6, snake\\_case"),
    ("[sic] &amp;copy; `tick`", "\\[sic\\] \\&copy; \\`tick\\`"),
    ("&#123;&#123;Front&#125;&#125;", "{{Front}}"),
    ("a<br>- not a list<br>1. nor this", "a\n\\- not a list\n1\\. nor this"),
    ("C:\\path \\(x\\)", "C:\\path \\\\(x\\\\)"),
    ("line one\nline two", "line one line two"),
    ("   ", ""),
    ("", ""),
])
def test_learner_edits(html: str, text: str) -> None:
    assert to_markdown(html).text == text


@pytest.mark.parametrize(("html", "text", "dropped"), [
    ("<u>under</u>lined", "underlined", "underline (<u>)"),
    ("H<sub>2</sub>O", "H2O", "subscript (<sub>)"),
    ('<span style="color: rgb(255, 0, 0);">red</span>', "red", "colour and other styles"),
    ('<font color="red">red</font>', "red", "colour and other styles"),
    ("<h1>Title</h1>body", "Title\nbody", "headings (<h1>...<h6>)"),
    ("<table><tr><td>a</td><td>b</td></tr></table>", "a b", "tables (<table>)"),
    ("<pre>a\nb</pre>", "a b", "preformatted text (<pre>)"),
    ("hi [sound:a.mp3]", "hi", "sound [sound:a.mp3]"),
    ("\\(x^2\\)", "\\\\(x^2\\\\)",
     "MathJax/LaTeX rendering (\\(...\\), [latex]; the text is kept)"),
    ('<a href="page.html">x</a>', "x", "a relative link"),
])
def test_what_our_subset_lacks_keeps_its_text_and_is_reported(
        html: str, text: str, dropped: str) -> None:
    result = to_markdown(html)
    assert result.text == text
    assert dropped in result.dropped


def test_each_kind_of_loss_is_reported_once() -> None:
    result = to_markdown("<u>a</u> <u>b</u> <sup>1</sup> <sup>2</sup>")
    assert result.dropped == ("underline (<u>)", "superscript (<sup>)")


def test_cloze_keeps_its_markers_and_the_formatting_inside() -> None:
    html = "Pinterest hiring manager: the real ownership is {{c1::<b>Home</b> Feed}}!"
    result = cloze_to_markdown(html)
    assert result.text == "Pinterest hiring manager: the real ownership is {{c1::**Home** Feed}}!"
    assert result.dropped == ()


@pytest.mark.parametrize(("html", "text"), [
    ("<b>{{c1::Home}} Feed</b>", "{{c1::**Home**}} **Feed**"),  # bold around a marker
    ("{{c1::a::<i>hint</i>}} b", "{{c1::a::hint}} b"),  # a hint is plain text
    ("{{c1::x}}&nbsp;y {{c2::z::h}}", "{{c1::x}} y {{c2::z::h}}"),
    ("&#123;&#123;c1::not a marker&#125;&#125; {{c2::is}}",
     "\\{\\{c1::not a marker\\}\\} {{c2::is}}"),
    ("{{c1::a::b}} [sound:x.mp3]", "{{c1::a::b}}"),
])
def test_cloze_edits(html: str, text: str) -> None:
    assert cloze_to_markdown(html).text == text


def test_text_that_looks_like_a_marker_stays_text() -> None:
    result = cloze_to_markdown("&#123;&#123;c1::x&#125;&#125; and {{c2::y}}")
    assert [m.group(1) for m in markup.CLOZE_RE.finditer(result.text)] == ["2"]


def test_a_cloze_emptied_of_its_content_is_reported() -> None:
    result = cloze_to_markdown('a {{c1::<img src="x.png">}} b')
    assert "{{c1::" not in result.text
    assert "an empty cloze deletion (c1)" in result.dropped
    assert result.images == (Image("x.png", ""),)


# ------------------------------------------------------------------ hostile input

# Markup that could run or load anything: as text (escaped) it is harmless.
_ACTIVE = re.compile(r"<(script|iframe|svg|img|object|style)|<[^>]*(javascript:|on\w+=)")
HOSTILE = [
    ("<script>alert(1)</script>hi", "hi", "<script> and its content"),
    ("<img src=x onerror=alert(1)>", "", "event handler attributes (onerror=...)"),
    ('<a href="javascript:alert(1)">x</a>', "x", "a javascript: link"),
    ('<a href="  JaVa&#x09;Script:alert(1)">x</a>', "x", "a javascript: link"),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "x", "a data: link"),
    ('<iframe src="https://evil.example"></iframe>ok', "ok", "<iframe> and its content"),
    ("<style>body{display:none}</style>ok", "ok", "<style> and its content"),
    ("<svg onload=alert(1)><script>alert(2)</script></svg>ok", "ok",
     "<svg> and its content"),
    ('<object data="x.swf"></object>ok', "ok", "<object> and its content"),
    ('<div onclick="alert(1)">ok</div>', "ok", "event handler attributes (onclick=...)"),
    ('<img src="data:image/png;base64,AAAA">', "", "an embedded data: image"),
    ("<!-- <script>alert(1)</script> -->ok", "ok", None),
    ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>", None),
    ("<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>ok", "ok",
     "<math> and its content"),
]


@pytest.mark.parametrize(("html", "text", "dropped"), HOSTILE)
def test_nothing_hostile_survives(html: str, text: str, dropped: str | None) -> None:
    for result in (to_markdown(html), cloze_to_markdown(html)):
        assert result.text == text
        if dropped:
            assert dropped in result.dropped
        shown = (markup.rich(result.text) + markup.cloze(result.text)).lower()
        assert _ACTIVE.search(shown) is None


_HOSTILE_PARTS = st.sampled_from([
    "<b>", "</b>", "<i>", "</i>", "<div>", "</div>", "<br>", "<ul>", "<li>", "</ul>", "<p>",
    "<ol start=3>", "<a href='javascript:alert(1)'>", '<a href="https://x.y">', "</a>",
    "<script>", "</script>", "alert(1)", "<img src=x onerror=alert(1)>", "{{c1::", "}}", "::",
    "&nbsp;", "&#123;", "&lt;script&gt;", "<span style='color:red'>", "</span>", "<code>",
    "</code>", "<!--", "-->", "<![CDATA[x]]>", "<?php x ?>", "[sound:a.mp3]", "\\(", "\\)",
    " ", "\n", "a", "*", "_", "`", "-", "1.", "<u>", "<table><tr><td>", "<svg onload=alert(1)>",
    "<", ">", '"', "=", "<h1>", "<pre>", "\x00"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_HOSTILE_PARTS, max_size=30).map("".join))
def test_any_mix_of_tags_converts_safely_and_comes_back(html: str) -> None:
    for convert, render in ((to_markdown, markup.rich), (cloze_to_markdown, markup.cloze)):
        result = convert(html)
        assert _ACTIVE.search(render(result.text).lower()) is None
        assert result.text == result.text.strip() and "\x00" not in result.text
    # What it gives comes back unchanged. (Not asserted for cloze: markup.cloze writes a
    # '::' of a deletion's text as is, and Anki, like a second import, reads a hint there.)
    shown = markup.rich(to_markdown(html).text)
    assert markup.rich(to_markdown(shown).text) == shown


def test_escaped_html_in_text_stays_text() -> None:
    result = to_markdown("&lt;b&gt;not bold&lt;/b&gt;")
    assert markup.rich(result.text) == "&lt;b&gt;not bold&lt;/b&gt;"


def test_a_huge_field_converts() -> None:
    html = "<div><b>word</b> <i>x</i>&nbsp;[y] <u>z</u></div>" * 2500  # ~120k characters
    result = to_markdown(html)
    assert result.text.count("**word**") == 2500
    assert result.dropped == ("underline (<u>)",)
    assert cloze_to_markdown(html + "{{c1::end}}").text.endswith("{{c1::end}}")


def test_deep_nesting_is_flattened_not_a_crash() -> None:
    result = to_markdown("<b>" * 5000 + "deep" + "</b>" * 5000)
    assert "deep" in result.text
    assert "formatting nested too deeply" in result.dropped
    assert to_markdown("<div>" * 5000 + "deep").text == "deep"


def test_unclosed_and_stray_tags() -> None:
    assert to_markdown("<b>open").text == "**open**"
    assert to_markdown("close</b> me").text == "close me"
    assert cloze_to_markdown("<b>{{c1::x</b>}} y").text == "{{c1::**x**}} y"


# ------------------------------------------------------------------ images

def test_an_image_is_taken_out_of_the_text() -> None:
    result = to_markdown('See <img src="pic.png" alt="A chart"> here')
    assert result.images == (Image("pic.png", "A chart"),)
    assert result.text == "See  here"
    assert result.dropped == ()


def test_a_second_image_is_listed_and_reported() -> None:
    result = to_markdown('<img src="a.png"><div><img src="b.png" alt="B"></div>')
    assert result.images == (Image("a.png", ""), Image("b.png", "B"))
    assert result.dropped == ("a second image (b.png)",)
    assert result.text == ""


def test_an_image_that_is_not_a_media_file_is_not_listed() -> None:
    result = to_markdown('<img src="https://x.y/p.png">')
    assert result.images == ()
    assert result.dropped == ("an image that is not a media file (https://x.y/p.png)",)
