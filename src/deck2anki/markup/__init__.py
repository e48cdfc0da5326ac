r"""Card text to safe HTML: a small Markdown subset, an allowlist sanitizer, and no
Anki syntax smuggled in.

Card text arrives by pull request and Anki renders card HTML in a web view that runs
JavaScript, so text goes through three gates:

1. **markdown-it-py** renders a subset (emphasis, inline code, lists, links, line
   breaks) with raw HTML *disabled*: a ``<script>`` typed in a card shows as text.
2. **nh3** (the Ammonia sanitizer) keeps only the tags and attributes that subset
   produces and only http, https and mailto links: defence in depth should a
   Markdown rule ever emit more than we expect.
3. Anki's own syntax is neutralised: ``{`` ``}`` ``[`` ``]`` become character
   references, so ``{{Field}}``, ``[sound:...]`` or ``[latex]`` in card text reach
   the learner as text, and MathJax delimiters (``\(`` ``\[``) are split by an empty
   element so MathJax, which reads the page's decoded text, never sees them.

A cloze sentence is split on its ``{{cN::hidden::hint}}`` markers *before* any of
this, and every piece (text between markers, hidden part, hint) goes through the
gates on its own: a marker can never open inside a tag or attribute, and the markers
Anki finds are exactly the ones in the source.

:func:`problems` reports, for ``validate``, anything these gates would change, so a
contributor sees it at its line instead of finding it silently altered.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import nh3

from .cloze import CLOZE_LIKE, CLOZE_OUT, has_invisible, marker_problems
from .cloze import CLOZE_RE as CLOZE_RE  # where the deletions are: asked across the package
from .cloze import blank as blank  # what shows nothing: asked by the lints

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

ALLOWED_TAGS = frozenset({"p", "br", "em", "strong", "code", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})

_RAW_HTML = re.compile(r"</?[A-Za-z][^>]*>|<!--")
_AUTOLINK = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*:[^>\s]*>")
_CODE_SPAN = re.compile(r"`[^`]*`")
_MATHJAX = re.compile(r"\\([()\[\]])")
_ANKI_TAGS = re.compile(r"\[(?:sound:|latex\]|\$\$?\]|anki:|/?mathjax)", re.IGNORECASE)
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")
_NEUTRAL = str.maketrans({"{": "&#123;", "}": "&#125;", "[": "&#91;", "]": "&#93;"})

# Text that no gate would change: no character Markdown, HTML or Anki gives a meaning,
# no line break, and no start that opens a list. Most card text is like this, and it is
# its own safe HTML, so it skips the parser (tests check both paths agree).
_PLAIN = re.compile(r"(?![-+]( |$)|\d+[.)]( |$))[^*_`\[\]\\&<>{}\n\r\t\xa0\ufeff!]*")
# Plain text with **strong**, *em*, `code`, [words](https://host/path) spans whose delimiters
# sit outside words (read no other way): HTML by replacing the spans; nothing to report.
_TEXT = r"[^*_`\[\]\\&<>{}\n\r\t\xa0\ufeff!]*"  # what _PLAIN allows
_EMPHASIS = r"(?<![^ ])(\*\*?)([A-Za-z0-9](?:[A-Za-z0-9 ,.'-]*[A-Za-z0-9])?)\1(?![^ .,;:?!])"
_CODE = r"(?<!`)`([A-Za-z0-9_.-](?:[A-Za-z0-9_. -]*[A-Za-z0-9_.-])?)`(?!`)"
_HOST = r"(?![^/)]*xn--)(?:[a-z0-9-]{1,63}\.){0,9}[a-z]{1,63}"  # what every URL parser takes
_LINK = (r"\[(?!(?i:mathjax|latex\]))([A-Za-z0-9](?:[A-Za-z0-9 ]*[A-Za-z0-9])?)\]"
         rf"\((https?://{_HOST}(?:/[A-Za-z0-9._~-]*)*)\)")
_SPAN = re.compile(f"{_EMPHASIS}|{_CODE}|{_LINK}")
_SPANNED = re.compile(rf"(?![-+](?: |$)|\d+[.)](?: |$))(?:{_TEXT}(?:{_SPAN.pattern}))+{_TEXT}")
# A Markdown list item's marker: only at the start of a line does it open a list.
_LIST_OPENER = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?=\s|$)")
_HTML_SPECIAL = re.compile(r"[&<>\"'{}\[\]\\]")
# Markdown can only produce a link from '[', and a brace or backslash from an escape or
# a character reference: without these, parsing cannot reveal anything new.
_PARSE_TRIGGERS = re.compile(r"[\[&\\]")
# Every problem below needs one of these: a link or Anki tag '[', an entity '&', an
# escape or MathJax '\', HTML '<', an image '!', template braces (a cloze needs none).
PROBLEM_TRIGGERS = re.compile(r"[\[&\\<!{}]")
# A cloze of plain pieces (no list opener first, nothing that could cross a marker, no hint,
# no colon in a deletion, c1 to c500) is its own HTML, with nothing to report (tests hold both).
_PIECE = r"\s*(?!\s)(?![-+](?:\s|[{}]|$)|\d+[.)](?:\s|[{}]|$))[^*_`\[\]\\&<>{}()\n\r\t\xa0\ufeff!]*"
_HIDDEN, _N = _PIECE.replace("!]*", "!:]+"), r"(?:[1-9]\d?|[1-4]\d\d|500)"
_PLAIN_CLOZE = re.compile(rf"(?:{_PIECE}\{{\{{c{_N}::(?=[^}}]){_HIDDEN}\}}\}})+{_PIECE}")


@functools.cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt  # imported on first use: plain text never needs it

    md = MarkdownIt("zero", {"html": False, "breaks": True, "typographer": False})
    md.enable(["emphasis", "list", "backticks", "link", "newline", "escape", "entity"])
    # Let every link through to the sanitizer: one allowlist decides, and problems()
    # can report what it removes instead of markdown-it silently printing it as text.
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # markdown-it's hook
    return md


def warm_up() -> None:
    """Import and configure markdown-it now (before worker processes are forked)."""
    _markdown()


def _sanitize(fragment: str) -> str:
    # url_relative="deny": '//host', '/path', '%6aavascript:' have no scheme to check.
    return str(nh3.clean(fragment, tags=set(ALLOWED_TAGS), attributes=ALLOWED_ATTRIBUTES,
                         url_schemes=set(LINK_SCHEMES), url_relative="deny", link_rel=None,
                         strip_comments=True))


# The checks, lints and renderer ask about the same texts: one parse and render serves all.
_MEMO = 16384


@functools.lru_cache(maxsize=_MEMO // 2)
def _tokens(text: str) -> list[Token]:
    return _markdown().parse(text.strip())


@functools.lru_cache(maxsize=_MEMO)
def _markdown_html(text: str) -> str:
    md = _markdown()
    rendered = str(md.renderer.render(_tokens(text), md.options, {})).strip()
    # A single paragraph is inline content: our templates supply the block around it.
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return rendered


def neutralize(fragment: str) -> str:
    """Make Anki read braces and brackets as text, never as template, media or MathJax."""
    # Split the delimiters first: once '[' is a reference, "\&#91;" still reads as "\["
    # to MathJax, which works on decoded text.
    return _MATHJAX.sub(r"\\<span></span>\1", fragment).translate(_NEUTRAL)


def plain(text: str) -> str:
    """Plain text (names, labels) as HTML that shows exactly what was written."""
    stripped = text.strip()
    if not _HTML_SPECIAL.search(stripped):
        return stripped
    return neutralize(html.escape(stripped, quote=True))


@functools.lru_cache(maxsize=_MEMO)  # the lints render each text, then the renderer
def rich(text: str) -> str:
    """Card text (Markdown subset) as safe HTML."""
    stripped = text.strip()
    if _PLAIN.fullmatch(stripped):
        return stripped
    if _SPANNED.fullmatch(stripped):
        return _SPAN.sub(_span_html, stripped)
    return _rich(stripped)


def _span_html(match: re.Match[str]) -> str:
    delimiter, words, code, link, href = match.groups()
    tag = "a" if href else "code" if code else "strong" if delimiter == "**" else "em"
    return (f'<a href="{href}">' if href else f"<{tag}>") + f"{words or code or link}</{tag}>"


@functools.lru_cache(maxsize=_MEMO)
def _rich(stripped: str) -> str:
    return neutralize(_sanitize(_markdown_html(stripped)))


def _inline(text: str, *, line_start: bool = False) -> str:
    """One piece of a cloze sentence: rich text, kept inline, outer whitespace kept.

    A piece is rendered on its own, but it is not a text of its own: one that follows a
    marker ("-" in ``{{c1::a}}-{{c2::b}}``) is in the middle of a line, where a list
    marker is just a character. Markdown, seeing the piece alone, would open an empty
    list item there, so a list marker at the start of a piece that is not at the start
    of a line of the sentence is escaped.
    """
    body = text.strip()
    if not body:
        return text  # whitespace, which HTML-escaping leaves as it is
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    opener = _LIST_OPENER.match(body)
    if opener and not (line_start or "\n" in lead):
        body = body[:opener.end() - 1] + "\\" + body[opener.end() - 1:]
    return lead + rich(body) + trail


def _hint(text: str) -> str:
    # Anki shows a hint as "[hint]", as is: plain text whose first character is spelled
    # as a reference, so no "[sound:...]", "[latex]" or "[$]" can be assembled from it.
    hint = text.strip()
    if not hint:
        return ""
    rest = hint[1:]  # as written: a space after the first character stays (a pet, not apet)
    if _HTML_SPECIAL.search(rest):
        rest = neutralize(html.escape(rest, quote=True))
    return f"&#{ord(hint[0])};{rest}"


@functools.lru_cache(maxsize=_MEMO // 2)  # the lints render each cloze, then the renderer
def cloze(text: str) -> str:
    """A cloze sentence as safe HTML with exactly the source's {{cN::...}} markers."""
    if _PLAIN_CLOZE.fullmatch(text):
        return text
    out: list[str] = []
    last = 0
    for match in CLOZE_RE.finditer(text):
        number, hidden, hint = match.groups()
        out.append(_inline(text[last:match.start()], line_start=last == 0))
        shown = _inline(hidden)
        # From an escape, entity or emphasis, "::" (or ":" before the hint's "::") would
        # be where Anki splits off a hint: spelled as references, the colons stay text.
        if "::" in shown or (hint and shown.endswith(":")):
            shown = shown.replace(":", "&#58;")
        out.append(f"{{{{c{number}::{shown}" + (f"::{_hint(hint)}" if hint else "") + "}}")
        last = match.end()
    out.append(_inline(text[last:], line_start=last == 0))
    return "".join(out)


def _links(tokens: list[Token]) -> Iterator[str]:
    for token in tokens:
        if token.type == "link_open":
            yield str(token.attrGet("href") or "")
        if token.children:
            yield from _links(token.children)


def problems(text: str, *, is_cloze: bool = False) -> list[tuple[str, str]]:
    """``(code, message)`` for everything in ``text`` the gates would drop or disarm."""
    # (A deletion of invisible characters alone is no plain one: it hides nothing.)
    if (_PLAIN_CLOZE.fullmatch(text) and not has_invisible(text)) if is_cloze else (
            not PROBLEM_TRIGGERS.search(text) or _SPANNED.fullmatch(text.strip())):
        return []  # nothing here any check below could find
    return _problems(text, is_cloze)


def _problems(text: str, is_cloze: bool) -> list[tuple[str, str]]:
    found = _link_problems(text)
    prose = _CODE_SPAN.sub("", text)  # `<b>` in a code span is shown as code, on purpose
    found += _html_problems(prose)
    if is_cloze:
        found += marker_problems(text)
        if all(code != "cloze-markup" for code, _ in found) and _spans_a_marker(text):
            found.append(("cloze-markup", "emphasis opened or closed flush against a "
                          "{{cN::...}} marker shows its asterisks or underscores as text; "
                          "put it inside the deletion ({{c1::*word*}}) or clear of it"))
    elif CLOZE_LIKE.search(text):
        found.append(("cloze-typo", "a cloze marker ({{c1::...}}) works only in a fact "
                      "card's 'cloze' field; here it is shown as text: move the sentence "
                      "to 'cloze', or drop the braces"))
    found += _template_problems(text, is_cloze)
    hints = [m.group(3) for m in CLOZE_RE.finditer(text) if m.group(3)] if is_cloze else []
    if _ANKI_TAGS.search(text) or any(_ANKI_TAGS.search(f"[{hint}]") for hint in hints):
        found.append(("anki-tag", "Anki media/LaTeX tags ([sound:...], [latex], [$]) are "
                      "shown as text; they are not allowed in card text"))
    return found


_MARKS = "\ue000\ue001\ue002"  # a deletion's start, its hint's, its end: private use
_MARK_SET = frozenset(_MARKS)  # a set: "" (a tag's token) is in every string


def _spans_a_marker(text: str) -> bool:
    """Whether Markdown, reading the sentence whole, would open or close emphasis flush
    against a marker (``*{{c1::x}}*``): the pieces are rendered alone, so the learner
    would see the asterisks. (Links, code and ``**`` are counted per piece instead.)"""
    marked = CLOZE_RE.sub(lambda m: _MARKS[0] + m.group(2) + (
        _MARKS[1] + m.group(3) if m.group(3) else "") + _MARKS[2], text)
    for block in _tokens(marked):
        inline = block.children or []
        for at, token in enumerate(inline):
            if (token.type == "em_open" and inline[at + 1].content[:1] in _MARK_SET) or (
                    token.type == "em_close" and inline[at - 1].content[-1:] in _MARK_SET):
                return True  # an em_open is never last, an em_close never first
    return False


def _link_problems(text: str) -> list[tuple[str, str]]:
    found = []
    for href in _links(_tokens(text)) if "[" in text else ():
        scheme = _SCHEME.match(href)
        if not scheme or scheme.group(1).lower() not in LINK_SCHEMES:
            found.append(("unsafe-link", f"link to {href[:40]!r} would be removed; only "
                          f"absolute {', '.join(sorted(LINK_SCHEMES))} links are allowed"))
        elif "href" not in _sanitize(f'<a href="{html.escape(href)}"></a>'):  # its verdict
            found.append(("unsafe-link", f"link to {href[:40]!r} would be removed: no valid "
                          "URL; write its host name in lower case and check its spelling"))
    if _PARSE_TRIGGERS.search(text) is not None and _MATHJAX.search(_markdown_html(text)):
        found.append(("mathjax", "MathJax delimiters (\\( \\) \\[ \\]) are shown as text; "
                      "they are not allowed in card text"))
    return found


def _html_problems(prose: str) -> list[tuple[str, str]]:
    found = []
    if _AUTOLINK.search(prose):
        found.append(("raw-html", "<https://...> is shown as text, not as a link; write "
                      "[text](https://...)"))
    elif _RAW_HTML.search(prose):
        found.append(("raw-html", "HTML tags are shown as text, not applied; use Markdown "
                      "(*em*, **strong**, `code`, lists, [text](https://...)) instead"))
    if "![" in prose:
        found.append(("markdown-image", "a Markdown image is not shown: the card shows a '!' "
                      "and a link; put an image on the card with `image: {file: ..., alt: "
                      "...}`"))
    return found


def _template_problems(text: str, is_cloze: bool) -> list[tuple[str, str]]:
    outside = CLOZE_RE.sub("", text) if is_cloze else text
    # Escapes and character references become braces once rendered: check both forms.
    shown = [outside]
    if _PARSE_TRIGGERS.search(outside):
        shown.append(html.unescape(_markdown_html(outside)))
    # A cloze with no complete deletion at all gets its own, clearer problem.
    incomplete_cloze = is_cloze and (outside == text or CLOZE_OUT.search(text) is not None)
    if any("{{" in form or "}}" in form for form in shown) and not incomplete_cloze:
        where = "outside a {{cN::...}} deletion" if is_cloze else "in this field"
        return [("template-syntax", f"'{{{{' or '}}}}' {where} would be shown as text; "
                 "Anki template syntax is not allowed in card text")]
    if is_cloze and any("{{" in m.group(2) for m in CLOZE_RE.finditer(text)):
        # Anki ends a deletion at the first '}}': one left open swallows the next.
        return [("template-syntax", "'{{' inside a {{cN::...}} deletion would be shown as "
                 "text (is the deletion before it closed with '}}'?); close each deletion "
                 "before the next opens")]
    return []
