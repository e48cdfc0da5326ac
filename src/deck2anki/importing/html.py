r"""A note field's HTML, as Anki stores it, back to card text (our Markdown subset).

Nothing in it is trusted: what runs, embeds or is never shown goes, formatting the subset
lacks keeps its text, each loss is reported once, and markdownify writes the Markdown.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag
from markdownify import MarkdownConverter

from ..markup import CLOZE_RE, LINK_SCHEMES


@dataclass(frozen=True)
class Image:
    src: str  # the <img src> as written (a media file name)
    alt: str


@dataclass(frozen=True)
class Converted:
    text: str  # our Markdown subset; '' if nothing is left
    dropped: tuple[str, ...]  # what could not be kept, each a phrase for a warning
    images: tuple[Image, ...]  # images found (removed from text); the caller keeps one


STYLES = "colour and other styles"
# Gone with everything inside: it runs, embeds, or is never shown as text.
_REMOVED = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg",
    "math", "canvas", "audio", "video", "source", "track", "template", "noscript", "noembed",
    "noframes", "head", "title", "meta", "link", "base", "input", "button", "select",
    "textarea", "param", "xmp", "plaintext"})
_BLOCKS = frozenset({"p", "div", "ul", "ol", "li"})  # the only blocks left after cleaning
_KEPT = _BLOCKS | {"br", "b", "strong", "i", "em", "code", "a", "span"}
_ROOT, _GONE = "d2a-root", "script"  # the root; what was removed (markdownify skips it)
_SILENT_BLOCKS = frozenset({
    _ROOT, "html", "body", "section", "article", "header", "footer", "main", "nav", "aside",
    "figure", "figcaption", "center", "address", "form", "fieldset", "details", "summary"})
_LOSS_TABLE = (  # what is lost, by tag: blocks first (they become lines), then inline
    ("headings (<h1>...<h6>)", "h1 h2 h3 h4 h5 h6"), ("quotations (<blockquote>)", "blockquote"),
    ("tables (<table>)", "table thead tbody tfoot tr caption td th"),
    ("preformatted text (<pre>)", "pre"), ("definition lists (<dl>)", "dl dt dd"),
    ("horizontal rules (<hr>)", "hr"), ("underline (<u>)", "u ins"), (STYLES, "font"),
    ("strikethrough (<s>)", "s strike del"), ("subscript (<sub>)", "sub"),
    ("superscript (<sup>)", "sup"), ("highlighting (<mark>)", "mark"),
    ("font size (<small>, <big>)", "small big"))
_LOSSES = {tag: loss for loss, tags in _LOSS_TABLE for tag in tags.split()}
_BLOCK_LOSSES = frozenset(tag for _, tags in _LOSS_TABLE[:5] for tag in tags.split()) - {
    "td", "th"}  # a table's cells stay on its row's line
_CARRIED = frozenset({"b", "strong", "i", "em", "code", "a", "span", *_LOSSES}) - _BLOCK_LOSSES
_EMPHASIS = {"b": "**", "strong": "**", "i": "*", "em": "*"}
_MAX_DEPTH = 100  # deeper nesting is flattened to text: markdownify recurses per level
_ITEM = "\x00"  # marks the list markers we write (NULs are removed from input first)

_SOUND = re.compile(r"\[sound:([^\][]*)\]")
_MATH = re.compile(r"\\[()[\]]|\[(?:latex|\$\$?)\]", re.IGNORECASE)
_TRAILING_TAG = re.compile(r"<[A-Za-z/!?][^<>]*\Z")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*>")
_SOURCE_BREAK = re.compile(r"[\r\n\f][ \t\r\n\f]*")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# Markdown syntax in text: emphasis, code, links, a backslash before ASCII punctuation
# (or at the end, where the next text may bring some) and entities.
_ESCAPE = re.compile(r"[*_`\[\]]|\\(?=[!-/:-@\[-`{-~]|$)|&(?=#?[0-9A-Za-z]+;)")
_ESCAPE_CLOZE = re.compile(_ESCAPE.pattern + r"|[{}]")  # no '{{cN::' or '}}' from text
_ENTITY_AMP = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_OUR_MARKER = re.compile(_ITEM + r"(\S+ ?)")
_LIST_MARKER = re.compile(r"[-+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)")
_UNSAFE_IN_DESTINATION = re.compile(r"[\x00-\x20\x7f<>\\{}]")
_MOVABLE = re.compile(r"[^\w\s\\`*_\[\](){}&:]")  # not Markdown, nor an escape's or link's end
_STYLE_BOLD = re.compile(r"font-weight\s*:\s*(bold|bolder|[6-9]00)\b", re.IGNORECASE)
_STYLE_ITALIC = re.compile(r"font-style\s*:\s*(italic|oblique)\b", re.IGNORECASE)
_STYLE_EMPHASIS = re.compile(r"font-(weight|style)\s*:[^;]*;?", re.IGNORECASE)


class _Conversion:
    """One field's conversion: what it dropped (each kind once, in order), its images."""

    def __init__(self) -> None:
        self.dropped: dict[str, None] = {}
        self.images: list[Image] = []

    def drop(self, what: str) -> str:
        self.dropped.setdefault(what, None)
        return ""  # what is left of it in the text

    def result(self, text: str) -> Converted:
        for number, image in enumerate(self.images[1:]):
            self.drop(f"{'a second' if number == 0 else 'another'} image ({image.src})")
        return Converted(text.strip(), tuple(self.dropped), tuple(self.images))

    def markdown(self, fragment: str, *, cloze: bool = False) -> str:
        """``fragment`` as Markdown, stray list markers escaped, lines tidied."""
        lines = []
        for line in _Converter(self, cloze=cloze).convert_soup(self.soup(fragment)).split("\n"):
            spaces = len(line) - len(line.lstrip(" "))  # one, after a line break, is noise
            body, indent = line.strip(" "), " " * spaces if spaces > 1 else ""
            while match := _OUR_MARKER.match(body):  # "- - x" is a list in a list: keep it
                indent, body = indent + match.group(1), body[match.end():]
            if match := _LIST_MARKER.match(body):
                body = f"{match.group()[:-1]}\\{body[match.end() - 1:]}"
            lines.append(indent + body)
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).replace(_ITEM, "").strip()

    def piece(self, fragment: str, carried: str) -> str:
        """A piece of a cloze field, its outer whitespace kept as ``markup.cloze`` keeps it."""
        markdown = self.markdown(carried + fragment, cloze=True)
        text = html.unescape(fragment).replace("\xa0", " ")
        if not text.strip():
            return markdown or text
        lead, trail = text[:len(text) - len(text.lstrip())], text[len(text.rstrip()):]
        return lead + markdown + trail if markdown else ""

    def soup(self, fragment: str) -> BeautifulSoup:
        fragment = _SOUND.sub(lambda m: self.drop(f"sound {m.group()}"),
                              fragment.replace("\x00", ""))
        if _MATH.search(fragment):  # Anki reads it in the raw HTML; we keep its text
            self.drop("MathJax/LaTeX rendering (\\(...\\), [latex]; the text is kept)")
        for opener, closer in (("<!--", "-->"), ("<![CDATA[", "]]>")):
            start = fragment.find(opener, fragment.rfind(closer) + 1)  # unclosed, it hides
            if start >= 0:  # the rest from a browser, but html.parser would show it as text
                fragment = fragment[:start]
        fragment = _TRAILING_TAG.sub("", fragment)  # unclosed at the end: hidden, not text
        # A whitespace-preserving root keeps the spaces between tags (bs4 shortens them).
        soup = BeautifulSoup(f"<{_ROOT}>{fragment}", "html.parser",
                             preserve_whitespace_tags={_ROOT, "pre", "textarea"})
        self.clean(soup)
        return soup

    def clean(self, soup: BeautifulSoup) -> None:
        # Emptied and renamed, never taken out: bs4 finds a child by scanning its parent.
        for tag in [t for t in soup.descendants if isinstance(t, Tag) and t.name in _REMOVED]:
            self.drop(f"<{tag.name}> and its content")
            tag.string, tag.name = "", _GONE
        stack: list[tuple[Tag, int, frozenset[str]]] = [(soup, 0, frozenset())]
        while stack:
            node, depth, marks = stack.pop()  # marks: the emphasis already around node
            for child in node.children:
                if isinstance(child, Tag) and child.name != _GONE and depth >= _MAX_DEPTH:
                    self.drop("formatting nested too deeply")
                    child.string, child.name = child.get_text(), "span"
                elif isinstance(child, Tag) and child.name != _GONE and self.clean_tag(child, soup):
                    if _EMPHASIS.get(child.name) in marks:  # <b><b>: the inner adds nothing
                        child.name = "span"
                    stack.append((child, depth + 1, marks | {_EMPHASIS.get(child.name, "")}))
        # "*a**b*" is not two emphases in Markdown: <i>a</i><i>b</i> becomes one.
        for tag in [t for t in soup.descendants if isinstance(t, Tag) and t.name in _EMPHASIS]:
            following = tag.next_sibling
            while (tag.name in _EMPHASIS and isinstance(following, Tag)
                   and _EMPHASIS.get(following.name) == _EMPHASIS[tag.name]):
                tag.extend(list(following.contents))
                following.name, following = _GONE, following.next_sibling

    def clean_tag(self, tag: Tag, soup: BeautifulSoup) -> bool:
        """Make ``tag`` one the subset has, or a plain span or div; whether it stays."""
        style = self.attributes(tag)
        if tag.name == "img":
            src, alt = str(tag.get("src") or "").strip(), str(tag.get("alt") or "")
            if _scheme(src) == "data":
                self.drop("an embedded data: image")
            elif _scheme(src) or src.startswith(("/", "\\")):
                self.drop(f"an image that is not a media file ({src[:60]})")
            elif src:
                self.images.append(Image(src, alt))
            tag.name = _GONE
            return False
        if tag.name == "a" and tag.get("href") is not None:
            scheme = _scheme(str(tag["href"]))
            if scheme in LINK_SCHEMES:
                tag["href"] = str(tag["href"]).strip()
            else:
                del tag["href"]
                self.drop(f"a {scheme}: link" if scheme else "a relative link")
        elif tag.name in ("tt", "kbd", "samp"):
            tag.name = "code"
        elif tag.name == "li" and getattr(tag.parent, "name", "") not in ("ul", "ol"):
            tag.name = "div"  # an item outside a list is a line
        elif tag.name not in _KEPT:
            self.demote(tag)
        for pattern, name in ((_STYLE_BOLD, "b"), (_STYLE_ITALIC, "i")):
            if pattern.search(style):  # Anki pastes bold as <span style="font-weight: 700">
                wrapper = soup.new_tag(name)
                wrapper.extend(list(tag.contents))
                tag.append(wrapper)
        return True

    def attributes(self, tag: Tag) -> str:
        """Report and drop the attributes Markdown cannot carry; give back the style."""
        style = str(tag.attrs.get("style", ""))
        for name in [name for name in tag.attrs if name.startswith("on")]:
            self.drop(f"event handler attributes ({name}=...)")
        if {"color", "face", "size", "bgcolor"} & set(tag.attrs) or _STYLE_EMPHASIS.sub(
                "", style).strip(" ;"):
            self.drop(STYLES)
        keep = {"a": ("href", "title"), "ol": ("start",), "img": ("src", "alt")}.get(tag.name, ())
        tag.attrs = {name: value for name, value in tag.attrs.items() if name in keep}
        return style

    def demote(self, tag: Tag) -> None:
        """Formatting the subset lacks: its text stays, on lines of its own if a block."""
        if tag.name not in _SILENT_BLOCKS:
            self.drop(_LOSSES.get(tag.name, f"<{tag.name}> formatting"))
        if tag.name in ("td", "th"):
            tag.append(" ")
        tag.name = ("br" if tag.name == "hr" else "div"
                    if tag.name in _BLOCK_LOSSES | _SILENT_BLOCKS else "span")


def to_markdown(fragment: str) -> Converted:
    """A rich-text field's HTML as card text."""
    return (conversion := _Conversion()).result(conversion.markdown(fragment))


def cloze_to_markdown(fragment: str) -> Converted:
    """A cloze field's HTML as card text, its ``{{cN::hidden::hint}}`` markers kept."""
    conversion, out = _Conversion(), []
    carried, last = "", 0  # carried: formatting a piece opened and did not close
    for match in CLOZE_RE.finditer(fragment):
        number, hidden, hint = match.group(1), match.group(2), match.group(3) or ""
        before = fragment[last:match.start()]
        out.append(conversion.piece(before, carried))
        carried = _open_tags(carried + before)
        hidden_md = conversion.piece(hidden, carried)
        carried = _open_tags(carried + hidden + hint)
        if hint:  # Anki shows a hint as plain text, and markup.cloze writes it so
            soup = conversion.soup(hint)
            if sum(isinstance(node, Tag) for node in soup.descendants) > 1:  # the root
                conversion.drop("formatting in a cloze hint")
            hint = "::" + soup.get_text().replace("\xa0", " ").strip()
        if hidden_md:
            hidden_md = re.sub(r"(?<=:):", r"\\:", hidden_md)  # '::' would start a hint
            out.append(f"{{{{c{number}::{hidden_md}{hint if hint[2:] else ''}}}}}")
        else:
            conversion.drop(f"an empty cloze deletion (c{number})")
        last = match.end()
    out.append(conversion.piece(fragment[last:], carried))
    return conversion.result("".join(out))


def _open_tags(fragment: str) -> str:
    """The start tags of the inline formatting still open at the end of ``fragment``."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(fragment):
        name = match.group(2).lower()
        names = [open_name for open_name, _ in stack]
        if name in _CARRIED and not match.group(1):
            stack.append((name, match.group()))
        elif name in names:
            del stack[len(names) - 1 - names[::-1].index(name):]
    return "".join(start for _, start in stack)


def _scheme(url: str) -> str | None:
    # Browsers ignore control characters and spaces in a scheme: "java\tscript:" runs.
    match = _SCHEME.match(_CONTROL.sub("", url))
    return match.group(1).lower() if match else None


def _flanks(inner: str, outer: str) -> bool:
    """Whether '*' between ``inner`` (emphasised) and ``outer`` may open or close it."""
    punct = [unicodedata.category(char).startswith(("P", "S")) for char in (inner, outer)]
    return not inner.isspace() and (not punct[0] or outer.isspace() or punct[1])


def _fit(inner: str, before: str, after: str) -> tuple[str, str, str] | None:
    """``inner`` split so that delimiters around its middle open and close, or None."""
    lead = trail = ""
    while inner and not _flanks(inner[0], before) and _MOVABLE.match(inner[0]):
        lead, before, inner = lead + inner[0], inner[0], inner[1:]
    while inner and not _flanks(inner[-1], after) and _MOVABLE.match(inner[-1]):
        trail, after, inner = inner[-1] + trail, inner[-1], inner[:-1]
    if not inner or not _flanks(inner[0], before) or not _flanks(inner[-1], after):
        return None
    return lead, inner, trail


def _outside(el: Tag, *, forward: bool) -> str:
    """The character Markdown will have just outside ``el``'s delimiters (roughly)."""
    node: Any = el
    while True:
        sibling = node.next_sibling if forward else node.previous_sibling
        node = node.parent if sibling is None else sibling
        if isinstance(node, Tag) and (node.name in ("code", *_EMPHASIS)):
            return "`" if node.name == "code" else "*"
        if isinstance(node, Tag) and node.name == "a" and node.get("href"):
            return "[" if forward != (sibling is None) else "]" if forward else ")"
        if node is None or (isinstance(node, Tag) and node.name not in ("span", "a", _GONE)):
            return " "  # a line's edge
        text = "" if sibling is None else node.get_text()
        if text:
            return text[0] if forward else text[-1]


class _Converter(MarkdownConverter):
    """markdownify fitted to ``markup.rich``'s Markdown subset."""

    def __init__(self, report: _Conversion, *, cloze: bool) -> None:
        super().__init__(autolinks=False)
        self.report, self.escape_re = report, _ESCAPE_CLOZE if cloze else _ESCAPE
        self.numbers: dict[int, int] = {}  # the next number of each ordered list
        self.alternated: dict[int, bool] = {}  # lists written with "+" or "1)"

    def process_text(self, el: NavigableString, parent_tags: set[str] | None = None) -> str:
        def _is_break(node: Any) -> bool:  # a line's edge: spaces next to it are not shown
            return isinstance(node, Tag) and node.name in (*_BLOCKS, "br")
        text = "" if isinstance(el, PreformattedString) else str(el).replace("\xa0", " ")
        if parent_tags and "_noformat" in parent_tags:
            return text.replace("\n", " ")  # as Markdown reads a code span
        # A line break in HTML source is a space (to Markdown, a break); runs of spaces stay.
        parts = _SOURCE_BREAK.split(text)  # (a regex taking the spaces before is quadratic)
        text = " ".join([part.rstrip(" \t") for part in parts[:-1]] + parts[-1:])
        before, after, parent = el.previous_sibling, el.next_sibling, el.parent
        if _is_break(before) or (before is None and _is_break(parent)):
            text = text.lstrip(" \t")
        if _is_break(after) or (after is None and _is_break(parent)):
            text = text.rstrip(" \t")
        return self.escape_re.sub(r"\\\g<0>", text)

    def convert_br(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return "\n"

    def convert_div(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        # Anki's editor writes a line per <div>, and a blank line as <div><br></div>.
        blank = "\n\n" if el.find("br") is not None else ""
        return f"\n{text.strip()}\n" if text.strip() else blank

    def convert_b(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        inner = text.strip()
        if "_noformat" in parent_tags or not inner:
            return text
        prefix, suffix = text[:len(text) - len(text.lstrip())], text[len(text.rstrip()):]
        mark, parent = _EMPHASIS[el.name], el.parent
        if mark == "*" and parent is not None and _EMPHASIS.get(parent.name) == "**" and all(
                child is el or not str(child) for child in parent.contents):
            mark = "_"  # "***x***" reads as <em><strong>: "**_x_**" keeps the order
        fitted = _fit(inner, prefix[-1:] or _outside(el, forward=False),
                      suffix[:1] or _outside(el, forward=True))
        if fitted is None:
            self.report.drop(f"{'bold' if mark == '**' else 'italics'} next to punctuation")
            return text
        return f"{prefix}{fitted[0]}{mark}{fitted[1]}{mark}{fitted[2]}{suffix}"

    convert_strong = convert_i = convert_em = convert_b

    def convert_code(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "_noformat" in parent_tags or not text:
            return text
        fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
        # Markdown takes one space off each end of a code span that has one at both.
        pad = " " if (text[0] in " `" or text[-1] in " `") and text.strip(" ") else ""
        return f"{fence}{pad}{text}{pad}{fence}"

    def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        href = el.get("href")
        if "_noformat" in parent_tags or not href:
            return text
        # Percent-encoded, a destination cannot end early; markdown-it encodes the same.
        href = _UNSAFE_IN_DESTINATION.sub(lambda m: f"%{ord(m.group()):02X}", str(href))
        if href.count("(") != href.count(")"):
            href = href.replace("(", "%28").replace(")", "%29")
        href = _ENTITY_AMP.sub(r"\\&", href)
        title = str(el.get("title") or "")
        if title:  # as references, its quotes and ampersands read back as written
            href += ' "' + _ENTITY_AMP.sub("&#38;", title).replace('"', "&#34;") + '"'
        return f"[{text}]({href})"

    def convert_li(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        parent, bullet = el.parent, "-"
        if parent is not None and parent.name == "ol":
            start = str(parent.get("start") or "")
            number = self.numbers.get(id(parent), int(start) if start.isdigit() else 1)
            self.numbers[id(parent)] = number + 1
            bullet = f"{number}."
        body = re.sub(r"\n(?=.)", "\n" + " " * (len(bullet) + 1), text.strip())
        return f"{_ITEM}{bullet} {body}".rstrip(" ") + "\n"

    def convert_list(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        # Markdown joins two lists of a kind that follow each other unless their markers
        # differ: every other one is written with "+" or "1)".
        previous = el.previous_sibling
        while isinstance(previous, NavigableString) and not previous.strip():
            previous = previous.previous_sibling
        alternate = isinstance(previous, Tag) and previous.name == el.name and not (
            self.alternated.get(id(previous)))
        if self.alternated.setdefault(id(el), alternate):
            text = re.sub(f"^{_ITEM}(?:-|(\\d+)\\.)(?= |$)", lambda m: f"{_ITEM}{m.group(1)})"
                          if m.group(1) else f"{_ITEM}+", text, flags=re.MULTILINE)
        return "\n" + text.rstrip() if "li" in parent_tags else f"\n\n{text}\n"

    convert_ul = convert_ol = convert_list
