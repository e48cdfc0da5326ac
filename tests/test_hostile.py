"""Hostile input: every crafted deck is one positioned problem, and nothing unsafe ships.

The corpus lives in ``tests/hostile/``; ``EXPECTED.yaml`` names, per file, the first
problem ``validate`` must report. Further cases need the file system (symlinks, sizes)
and are built here.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from deck2anki.cli import main
from deck2anki.media import MAX_IMAGE_BYTES

from anki_oracle import import_apkg, import_csv, rendered
from conftest import MINIMAL, ROOT, SRC

HOSTILE = ROOT / "tests" / "hostile"
EXPECTED: dict[str, list] = yaml.safe_load((HOSTILE / "EXPECTED.yaml").read_text("utf-8"))


def first_problem(output: str) -> tuple[int, int, str, str]:
    line = output.splitlines()[0]
    where, level, rest = line.split(": ", 2)
    _path, row, col = where.rsplit(":", 2)
    return int(row), int(col), level, rest.rsplit("[", 1)[1].rstrip("]")


def test_every_corpus_file_has_an_expectation() -> None:
    files = {p.name for p in HOSTILE.glob("*.yaml")} - {"EXPECTED.yaml"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_reports_the_expected_problem(name: str) -> None:
    result = CliRunner().invoke(main, ["validate", str(HOSTILE / name)])
    line, column, level, code = EXPECTED[name]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert first_problem(result.output) == (line, column, level, code), result.output
    assert result.exit_code == (1 if level == "error" else 0)


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e[2] == "error"))
def test_build_refuses_and_leaves_dist_untouched(name: str, tmp_path: Path) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    shutil.copy(HOSTILE / name, decks / name)
    for extra in ("not-an-image.png", "script.svg"):
        shutil.copy(HOSTILE / extra, decks / extra)
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "pinterest.apkg").write_bytes(b"last release")
    result = CliRunner().invoke(main, ["build", "--decks", str(decks), "--out", str(dist)])
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in dist.iterdir()) == ["pinterest.apkg"]
    assert (dist / "pinterest.apkg").read_bytes() == b"last release"


def _png(width: int = 1, height: int = 1, padding: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * width)
    extra = chunk(b"tEXt", b"pad\x00" + b"x" * padding) if padding else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + extra
            + chunk(b"IEND", b""))


IMAGE_CARD = MINIMAL + "    image: {file: %s, alt: A red dot}\n"


def test_symlink_out_of_the_deck_folder_is_refused(write_deck, tmp_path: Path) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(_png())
    deck = write_deck("acme.yaml", IMAGE_CARD % "innocent.png")
    (deck.parent / "innocent.png").symlink_to(outside)
    result = CliRunner().invoke(main, ["validate", str(deck)])
    assert result.exit_code == 1 and "outside the deck's folder" in result.output


def test_oversized_image_is_refused(write_deck) -> None:
    deck = write_deck("acme.yaml", IMAGE_CARD % "big.png")
    (deck.parent / "big.png").write_bytes(_png(padding=MAX_IMAGE_BYTES))
    result = CliRunner().invoke(main, ["validate", str(deck)])
    assert result.exit_code == 1 and "over the" in result.output


def test_oversized_deck_file_is_refused(write_deck) -> None:
    deck = write_deck("acme.yaml", MINIMAL + "# " + "x" * (3 * 1024 * 1024) + "\n")
    result = CliRunner().invoke(main, ["validate", str(deck)])
    assert result.exit_code == 1 and "[too-large]" in result.output


def test_images_ship_with_a_company_prefix_and_render_in_anki(
        write_deck, tmp_path: Path, anki_collection) -> None:
    deck = write_deck("acme.yaml", IMAGE_CARD % "images/dot.png")
    (deck.parent / "images").mkdir()
    (deck.parent / "images" / "dot.png").write_bytes(_png())
    other = write_deck("beta.yaml", (IMAGE_CARD % "images/dot.png").replace("acme", "beta")
                       .replace("Acme", "Beta"))
    assert other.parent == deck.parent
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", "--decks", str(deck.parent), "--out", str(out)])
    assert result.exit_code == 0, result.output
    col = anki_collection()
    for slug in ("acme", "beta"):
        import_apkg(col, out / f"{slug}.apkg")
    names = sorted(os.listdir(col.media.dir()))
    assert len(names) == 2 and names[0].startswith("acme-dot-") and names[1].startswith("beta-dot-")
    answers = [answer for _cid, _q, answer in rendered(col)]
    assert all(f'<img src="{name}"' in "".join(answers) for name in names)
    csv_col = anki_collection()
    import_csv(csv_col, out / "acme.csv")
    assert "Image: A red dot" in rendered(csv_col)[0][2]


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<iframe src=https://example.com></iframe>",
    "<object data=x></object>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<<script>script>alert(1)<</script>/script>",
    "`<script>alert(1)</script>`",
    "**<b onmouseover=alert(1)>x</b>**",
    "{{FrontSide}}{{Back}}",
    "[sound:evil.mp3]",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<!-- --><script>alert(1)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]


class _Sinks(HTMLParser):
    """Collects every tag and attribute a web view would act on."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)


def _assert_inert(page: str) -> None:
    # Anki prepends the note type's own <style>: ours, not card text.
    body = page.split("</style>", 1)[1] if page.startswith("<style>") else page
    sinks = _Sinks()
    sinks.feed(body)
    assert not set(sinks.tags) & {"script", "iframe", "object", "embed", "style", "svg",
                                  "math", "img", "link", "meta", "base", "form"}, sinks.tags
    for tag, name, value in sinks.attributes:
        assert not name.startswith("on"), (tag, name)
        assert name not in {"style", "srcdoc", "formaction"}, (tag, name)
        assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:")), value
    assert "[sound:" not in body and "{{" not in body


@pytest.mark.parametrize("field", ["front", "back", "context"])
def test_xss_payloads_render_inert_in_real_anki(field: str, tmp_path: Path,
                                                anki_collection) -> None:
    cards = []
    for i, payload in enumerate(XSS_PAYLOADS):
        values = {"front": f"Question {i}?", "back": "Answer.", "context": "Why."}
        values[field] = payload
        cards.append({"id": f"x{i}", "kind": "fact", "source": "article", **values})
    for i, payload in enumerate(XSS_PAYLOADS):  # and in every other kind's text fields
        cards.append({"id": f"s{i}", "kind": "script", "source": "article", "front": "Q?",
                      "back": payload, "steps": [payload, "b"], "bad": payload, "good": payload,
                      "quote": payload})
    deck = {"company": "Evil", "slug": "evil", "sources": {"article": {"title": "T"}},
            "cards": cards}
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "evil.yaml").write_text(yaml.safe_dump(deck), encoding="utf-8")
    out = tmp_path / "dist"
    # Unsafe links and Anki syntax are errors in validate; the renderer must still be
    # safe on its own, so render directly rather than through the refusing CLI.
    from deck2anki.loader import load_file
    from deck2anki.model import Card, Deck, Source
    from deck2anki.pipeline import RenderedDeck, _render_files
    from deck2anki.render import render_deck

    data = load_file(decks / "evil.yaml").data
    source = Source("article", "T")
    model = Deck(decks / "evil.yaml", "Evil", "evil", (source,), tuple(
        Card(id=c["id"], kind=c["kind"], source=source, front=c["front"], back=c["back"],
             context=c.get("context"), steps=tuple(c.get("steps", ())), bad=c.get("bad"),
             good=c.get("good"), quote=c.get("quote")) for c in data["cards"]))
    notes = tuple(render_deck(model))
    mods = {f"evil/{n.card.id}": 1_700_000_000 for n in notes}
    mods.update({"notetype/basic": 1_700_000_000, "notetype/cloze": 1_700_000_000})
    _summary, files = _render_files(RenderedDeck(model, notes), mods, out, None)
    out.mkdir()
    for path, data_bytes in files.items():
        path.write_bytes(data_bytes)
    col = anki_collection()
    import_apkg(col, out / "evil.apkg")
    pages = rendered(col)
    assert len(pages) == 2 * len(XSS_PAYLOADS)
    for _cid, question, answer in pages:
        _assert_inert(question)
        _assert_inert(answer)
    csv_col = anki_collection()
    import_csv(csv_col, out / "evil.csv")
    for _cid, question, answer in rendered(csv_col):
        _assert_inert(question)
        _assert_inert(answer)


def test_formula_like_text_is_safe_in_the_csv_and_shows_as_written(
        write_deck, tmp_path: Path, anki_collection) -> None:
    text = MINIMAL.replace("At Acme, what is first?", "'=HYPERLINK(\"http://x\",\"y\")'")
    text = text.replace("The first answer.", "'@SUM(1+1)'")
    deck = write_deck("acme.yaml", text + "    context: '-2+3'\n")
    out = tmp_path / "dist"
    assert CliRunner().invoke(main, ["build", "--decks", str(deck.parent), "--out",
                                     str(out)]).exit_code == 0
    import csv as csv_module

    lines = (out / "acme.csv").read_text("utf-8").splitlines()
    rows = list(csv_module.reader(line for line in lines if not line.startswith("#")))
    assert rows and all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    col = anki_collection()
    import_csv(col, out / "acme.csv")
    (_cid, question, answer), = rendered(col)
    assert '=HYPERLINK("http://x","y")' in question
    assert "@SUM(1+1)" in answer and "-2+3" in answer


def test_concurrent_builds_never_corrupt_a_package(write_deck, tmp_path: Path,
                                                   anki_collection) -> None:
    cards = "".join(f"  - id: c{i}\n    kind: fact\n    source: article\n    front: Q{i}?\n"
                    f"    back: A{i}.\n" for i in range(300))
    deck = write_deck("acme.yaml", MINIMAL + cards)
    out = tmp_path / "dist"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    command = [sys.executable, "-m", "deck2anki", "build", "-q", "--decks", str(deck.parent),
               "--out", str(out)]
    runs = [subprocess.Popen(command, env=env) for _ in range(4)]
    assert [run.wait(timeout=120) for run in runs] == [0, 0, 0, 0]
    assert sorted(p.name for p in out.iterdir()) == ["acme.apkg", "acme.csv"]
    col = anki_collection()
    assert import_apkg(col, out / "acme.apkg").new == 301
