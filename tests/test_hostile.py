"""Hostile input: every crafted deck is one positioned problem, and nothing unsafe ships.

The corpus lives in ``tests/hostile/``; ``EXPECTED.yaml`` names, per file, the first
problem ``validate`` must report. Further cases need the file system (symlinks, sizes)
and are built here.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from deck2anki.cli import main
from deck2anki.media import MAX_IMAGE_BYTES
from deck2anki.model import Card, Source

from anki_oracle import import_apkg, import_csv, rendered
from conftest import MINIMAL, ROOT, SRC, cli_env, run_cli

HOSTILE = ROOT / "tests" / "hostile"
EXPECTED: dict[str, list] = yaml.safe_load((HOSTILE / "EXPECTED.yaml").read_text("utf-8"))


def first_problem(output: str) -> tuple[int, int, str, str]:
    line = output.splitlines()[0]
    where, level, code, _message = line.split(": ", 3)
    _path, row, col = where.rsplit(":", 2)
    return int(row), int(col), level, code


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
    assert result.exit_code == 1 and ": too-large: " in result.output


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
    "[x](%6aavascript:alert(1))",
    "[x](//evil.example/a) [y](/etc/passwd)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '[x](https://example.com "title\\" onmouseover=\\"alert(1)")',
    "<https://example.com/\"onmouseover=alert(1)>",
    "<iframe src=https://example.com></iframe>",
    "<object data=x></object>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<<script>script>alert(1)<</script>/script>",
    "`<script>alert(1)</script>`",
    "**<b onmouseover=alert(1)>x</b>**",
    "&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;",
    "{{FrontSide}}{{Back}}",
    "[sound:evil.mp3] [latex]x[/latex] [$]y[/$]",
    "\\\\(\\href{javascript:alert(1)}{x}\\\\)",
    "\\\\[\\class{x}{\\style{background:url(https://evil.example/t.png)}{y}}\\\\]",
    "<!-- --><script>alert(1)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]
CLOZE_PAYLOADS = [
    '{{c1::x [y](https://a.b/c::d)}}" onmouseover="alert(1)" style="position:fixed" x="',
    '[t](https://e.com "{{c1::") x}}',
    "{{c1::secret::sound:boom.mp3}}",
    "{{c1::a::latex}}\\input x {{c1::b::/latex}}",
    "{{c1::<script>alert(1)</script>::<img src=x onerror=alert(1)>}}",
    "{{c1::ok}} \\{\\{c2::x\\}\\} &#123;&#123;c3::y&#125;&#125;",
]

# Everything our templates and renderer emit; nothing else may reach a learner.
SAFE_TAGS = {"div", "span", "a", "em", "strong", "code", "ul", "ol", "li", "br", "p", "hr",
             "dl", "dt", "dd", "blockquote"}
SAFE_ATTRIBUTES = {"class", "href", "title", "start", "data-cloze", "data-ordinal", "id"}


class _Sinks(HTMLParser):
    """Collects every tag and attribute a web view would act on."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _assert_inert(page: str) -> None:
    # Anki prepends the note type's own <style>: ours, not card text.
    body = page.split("</style>", 1)[1] if page.startswith("<style>") else page
    sinks = _Sinks()
    sinks.feed(body)
    assert set(sinks.tags) <= SAFE_TAGS, sinks.tags
    for tag, name, value in sinks.attributes:
        assert name in SAFE_ATTRIBUTES, (tag, name, value)
        if name == "href":
            assert value.startswith(("https://", "http://", "mailto:")), value
    assert "[sound:" not in body and "{{" not in body and "[latex]" not in body
    # MathJax 3 looks for its delimiters within runs of text that only <br>, <wbr> and
    # comments may interrupt (its includeHtmlTags): any other element ends a run.
    for run in sinks.text:
        assert "\\(" not in run and "\\[" not in run, run


def _render_unchecked(cards: list[Card], out: Path) -> None:
    """Write a package straight from the renderer: validate would refuse these decks,
    and the renderer must be safe on its own."""
    from deck2anki.model import Deck, Source
    from deck2anki.render.notes import render_deck
    from deck2anki.render.notetypes import NOTETYPES
    from deck2anki.write.outputs import Mods, deck_outputs

    source = Source("article", "<script>alert('title')</script>")
    model = Deck(out / "evil.yaml", "<img src=x onerror=alert('company')>", "evil", (source,),
                 tuple(replace(card, source=source) for card in cards))
    rendered = render_deck(model)
    mods = {f"evil/{n.card.id}": 1_700_000_000 for n in rendered.notes}
    files = deck_outputs(rendered, Mods(mods, {nt.id: 1_700_000_000 for nt in NOTETYPES}))
    out.mkdir()
    for name, data in files.items():
        (out / name).write_bytes(data)


def test_hostile_text_renders_inert_in_real_anki(tmp_path: Path, anki_collection) -> None:
    placeholder = Source("article", "T")
    cards = []
    for i, payload in enumerate(XSS_PAYLOADS):
        cards += [
            Card(id=f"f{i}", kind="fact", source=placeholder, front=payload, back="A.",
                 context=payload),
            Card(id=f"b{i}", kind="fact", source=placeholder, front="Q?", back=payload),
            Card(id=f"s{i}", kind="script", source=placeholder, front="Q?", back=payload,
                 steps=(payload, "b"), bad=payload, good=payload, quote=payload),
            Card(id=f"r{i}", kind="round", source=placeholder, number=i, name=payload,
                 length=payload, interviewers=payload, assesses=payload),
            Card(id=f"g{i}", kind="signal", source=placeholder, name=payload, front="Q?",
                 back="A."),
        ]
    cards += [Card(id=f"c{i}", kind="fact", source=placeholder, cloze=payload, back=payload)
              for i, payload in enumerate(CLOZE_PAYLOADS)]
    out = tmp_path / "dist"
    _render_unchecked(cards, out)
    col = anki_collection()
    import_apkg(col, out / "evil.apkg")
    assert col.note_count() == len(cards)
    for cid, question, answer in rendered(col):
        _assert_inert(question)
        _assert_inert(answer)
        card = col.get_card(cid)
        assert not card.question_av_tags() and not card.answer_av_tags()
    # Cloze cards: exactly the deletions written in the source, never smuggled ones.
    assert col.card_count() == 5 * len(XSS_PAYLOADS) + len(CLOZE_PAYLOADS)
    for deck in col.decks.all():
        assert "<script" not in deck["desc"] and "<img" not in deck["desc"]
    csv_col = anki_collection()
    import_csv(csv_col, out / "evil.csv")
    for _cid, question, answer in rendered(csv_col):
        _assert_inert(question)
        _assert_inert(answer)


@pytest.mark.parametrize("payload", XSS_PAYLOADS + CLOZE_PAYLOADS)
def test_validate_reports_or_disarms_every_payload(write_deck, payload: str) -> None:
    """No payload passes validate silently unless it is already inert text."""
    field = "cloze" if payload in CLOZE_PAYLOADS else "front"
    text = MINIMAL.replace("    front: At Acme, what is first?\n    back: The first answer.\n",
                           f"    {field}: {json.dumps(payload)}\n"
                           + ("" if field == "cloze" else "    back: b\n"))
    result = CliRunner().invoke(main, ["validate", str(write_deck("acme.yaml", text))])
    assert "Traceback" not in result.output
    harmless = payload in {  # shown as text or a plain https link: nothing to report
        "`<script>alert(1)</script>`", "&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;",
        '[x](https://example.com "title\\" onmouseover=\\"alert(1)")'}
    assert harmless or "error:" in result.output or "warning:" in result.output, payload


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


# --- Hostile environments: real processes, one clear line, exit 1, dist/ as it was ------

def _stamps_as_fifo(stamps: Path) -> None:
    os.mkfifo(stamps)  # reading it would block forever; writing over it would lose it


def _stamps_as_folder(stamps: Path) -> None:
    stamps.mkdir()


def _stamps_deep(stamps: Path) -> None:
    stamps.write_text('{"format": 1, "stamps": ' + "[" * 100_000 + "]" * 100_000 + "}")


def _image_as_folder(stamps: Path) -> None:
    deck = stamps.parent / "acme.yaml"
    deck.write_text(deck.read_text("utf-8").replace(
        "    back: The first answer.\n",
        "    back: The first answer.\n    image: {file: pic.png, alt: A picture}\n"), "utf-8")
    (stamps.parent / "pic.png").mkdir()


def _deck_as_folder(stamps: Path) -> None:
    (stamps.parent / "beta.yaml").mkdir()


def _deck_as_fifo(stamps: Path) -> None:
    os.mkfifo(stamps.parent / "beta.yaml")
    (stamps.parent / ".#acme.yaml").symlink_to("nobody@host.1234")  # Emacs's lock: passed over


def _deck_as_broken_link(stamps: Path) -> None:
    (stamps.parent / "beta.yml").symlink_to(stamps.parent / "gone.yaml")


@pytest.mark.parametrize(("spoil", "says"), [
    (_deck_as_folder, "beta.yaml:1:1: error: io: the deck file is a folder, not a file"),
    (_deck_as_fifo, "beta.yaml:1:1: error: io: the deck file is not a regular file"),
    (_deck_as_broken_link, "beta.yml:1:1: error: io: the deck file does not exist"),
    (_stamps_as_fifo, "stamps.json:1:1: error: stamps: the stamps file is not a regular file"),
    (_stamps_as_folder, "stamps.json:1:1: error: stamps: the stamps file is a folder, not a file"),
    (_stamps_deep, "stamps.json:1:1: error: stamps: stamps file is damaged (nested too deep)"),
    (_image_as_folder, "acme.yaml:12:19: error: image: image 'pic.png' is a folder, not a file"),
], ids=["deck-folder", "deck-fifo", "deck-broken-link", "stamps-fifo", "stamps-folder",
        "stamps-deep", "image-folder"])
def test_a_hostile_file_system_gets_one_line_and_leaves_dist_alone(
        write_deck, tmp_path: Path, spoil, says: str) -> None:
    deck = write_deck("acme.yaml", MINIMAL)
    stamps = deck.parent / "stamps.json"
    spoil(stamps)
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "acme.apkg").write_bytes(b"last release")
    for args in (["validate", "decks"], ["build", "--decks", "decks", "--out", "dist"],
                 ["stamp", "--decks", "decks"]):
        run = run_cli(*args, cwd=tmp_path)
        output = run.stdout + run.stderr
        assert run.returncode == 1, (args, output)
        assert "Traceback" not in output and says in output, (args, output)
        assert [line for line in output.splitlines() if says in line] == [
            next(line for line in output.splitlines() if says in line)]  # said once
    assert sorted(p.name for p in dist.iterdir()) == ["acme.apkg"]
    assert (dist / "acme.apkg").read_bytes() == b"last release"
    if spoil is _stamps_as_fifo:
        assert stamps.is_fifo()  # stamp did not replace it with a file


def test_a_newline_in_a_file_name_cannot_forge_an_output_line(tmp_path: Path) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    evil = decks / "evil\nfake.yaml:1:1: error: forged [x].yaml"
    evil.write_text(MINIMAL.replace("company: Acme", "company: Acme\ncompany: again"))
    run = run_cli("validate", "decks", cwd=tmp_path)
    assert run.returncode == 1
    problem_lines = [line for line in run.stdout.splitlines() if line]
    assert len(problem_lines) == 1 and ": duplicate-key: " in problem_lines[0]
    assert "evil\\nfake.yaml" in problem_lines[0]
    assert not any(line.startswith("fake.yaml") for line in run.stdout.splitlines())


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 256 KiB tmpfs at tmp_path/dist (root only: CI and this machine run as root)."""
    from conftest import IN_CI

    mount = tmp_path / "dist"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = f"cannot mount a small tmpfs here ({done.stderr.strip()}): needs root"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def _two_companies(write_deck) -> Path:
    long_back = "A long answer, repeated to take room. " * 40
    for name in ("Acme", "Globex"):
        cards = "".join(f"  - id: card-{n}\n    kind: fact\n    source: article\n"
                        f"    front: At {name}, what is card {n}?\n    back: '{long_back}{n}'\n"
                        for n in range(60))
        deck = write_deck(f"{name.lower()}.yaml", MINIMAL.replace("Acme", name).replace(
            "acme", name.lower()) + cards)
    return deck.parent


@pytest.mark.parametrize("trouble", ["full", "read-only"])
def test_a_release_is_all_or_nothing_across_the_folder(write_deck, small_disk: Path,
                                                       tmp_path: Path, trouble: str) -> None:
    decks = _two_companies(write_deck)
    old = {"acme.apkg": b"last acme", "acme.csv": b"last acme csv",
           "globex.apkg": b"last globex", "globex.csv": b"last globex csv"}
    for name, data in old.items():
        (small_disk / name).write_bytes(data)
    if trouble == "full":  # room for some of the new files, not all
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        (small_disk / "filler").write_bytes(b"\0" * (free - 40 * 1024))
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    run = run_cli("build", "--no-cache", "--decks", str(decks), "--out", str(small_disk),
               cwd=tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "Traceback" not in output and ".tmp" not in output, output
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and str(small_disk) in lines[0], output
    assert {p.name: p.read_bytes() for p in small_disk.iterdir() if p.name in old} == old
    assert sorted(p.name for p in small_disk.iterdir()) == sorted([*old] + (
        ["filler"] if trouble == "full" else []))  # no temporary file left behind


def test_an_output_that_is_a_folder_stops_the_build_before_any_file_changes(
        write_deck, tmp_path: Path) -> None:
    decks = _two_companies(write_deck)
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "acme.apkg").write_bytes(b"last acme")
    (dist / "globex.csv").mkdir()  # in the way
    run = run_cli("build", "--no-cache", "--decks", str(decks), "--out", "dist", cwd=tmp_path)
    assert run.returncode == 1
    assert "error: dist/globex.csv: is in the way: not a file; move it aside" in run.stderr
    assert (dist / "acme.apkg").read_bytes() == b"last acme"
    assert sorted(p.name for p in dist.iterdir()) == ["acme.apkg", "globex.csv"]


def _staged_a_file(dist: Path) -> bool:
    return any(f.is_file() for d in dist.glob(".deck2anki-staging-*") for f in d.iterdir())


@pytest.mark.parametrize("stage", ["loading", "checking", "writing"])
def test_ctrl_c_stops_a_build_promptly_with_dist_as_it_was(tmp_path: Path, stage: str) -> None:
    """Ctrl-C is sent at a stage of the build (told by its -v lines, or its first staged
    file), never after a fixed time: no machine is too fast or too slow for the test."""
    import signal
    import time

    decks = tmp_path / "decks"  # big enough for the worker processes (over 512 KB)
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "40000", str(decks)],
                   check=True, capture_output=True)
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "company-1.apkg").write_bytes(b"last release")
    build = subprocess.Popen([sys.executable, "-m", "deck2anki", "build", "-v", "--no-cache",
                              "--decks", str(decks), "--out", str(dist)], env=cli_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)  # its own group, as a terminal's job
    assert build.stderr is not None
    said = ""
    if stage == "writing":  # a worker has put a whole file in the staging folder
        while build.poll() is None and not _staged_a_file(dist):
            time.sleep(0.002)
    else:  # "checking DIR" comes before the first file is checked, "checked 1/N" after
        wanted = "checking " if stage == "loading" else "checked 1/"
        while wanted not in said and (line := build.stderr.readline()):
            said += line
    try:
        if build.poll() is not None:
            raise ProcessLookupError
        os.killpg(build.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
    except ProcessLookupError:
        pytest.fail(f"the build finished before Ctrl-C at {stage}: make the decks bigger")
    out, after = build.communicate(timeout=60)  # a build that ignored it would end too
    err = said + after
    # Promptly, told by the work done after Ctrl-C, not by the clock (a loaded machine is
    # slow at both): at most the files already in the workers' hands, of 80.
    assert after.count("checked ") <= 4, after[-2000:]
    assert build.returncode == 130, (build.returncode, err[-2000:])
    assert "Traceback" not in err + out, err[-2000:]
    assert "interrupted" in err
    assert [p.name for p in dist.iterdir()] == ["company-1.apkg"]  # no new file, no temp
    assert (dist / "company-1.apkg").read_bytes() == b"last release"
    leftovers = subprocess.run(["pgrep", "-g", str(build.pid)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "worker processes outlived the build"


_READ_KEYS = ("id", "kind", "source", "number", "image", "tags", "steps", "retired",
              "front", "back", "cloze", "context", "name", "length", "interviewers",
              "assesses", "quote", "bad", "good")
_ODD_VALUES = ("5", "[1, 2]", "{a: 1}", "null", "true", "[[x]]", "'text'")


@pytest.mark.parametrize("kind", ["fact", "round", "signal", "script", "trivia"])
def test_any_value_under_any_key_of_any_kind_is_a_problem_never_a_crash(
        kind: str, tmp_path: Path) -> None:
    """Past the schema, cards it rejects may still be checked: whatever they hold (a key
    their kind does not have, a value of any type), the checks report, never crash."""
    from deck2anki.engine import load_deck

    for key in _READ_KEYS:
        for value in _ODD_VALUES:
            text = (f"company: Acme\nslug: acme\nsources:\n  article: {{title: T}}\ncards:\n"
                    f"  - id: one\n    kind: {kind}\n    source: article\n"
                    f"    front: At Acme, one?\n    back: One.\n")
            text = text.replace(f"    {key}: ", f"    {key}-was: ") if f"    {key}: " in text \
                else text
            path = tmp_path / "acme.yaml"
            path.write_text(text + f"    {key}: {value}\n", "utf-8")
            _data, _deck, problems = load_deck(path)  # raises on a crash
            if value == "[[x]]" or kind == "trivia":  # never valid anywhere
                assert problems, (kind, key, value)


_CLOZE_CARD = """\
  - id: c{n}
    kind: fact
    source: article
    cloze: "{{{{c1::x}}}} {openers}"
"""


@pytest.mark.parametrize("extra", [
    # Deletion openers with no "}}" after them: a regex search tried every split of the
    # rest (40 s for one such card).
    "".join(_CLOZE_CARD.format(n=n, openers="{{c1::a" * 570) for n in range(3)),
    # Thousands of unknown keys on one card: each was looked up by a search of them all.
    "".join(f"    k{i}: v\n" for i in range(30_000)),
], ids=["cloze-openers", "unknown-keys"])
def test_a_pathological_deck_is_answered_in_seconds_not_hours(write_deck, extra: str) -> None:
    deck = write_deck("acme.yaml", MINIMAL + extra)
    run = subprocess.run([sys.executable, "-m", "deck2anki", "validate", "-q", "--no-cache",
                          str(deck)], env=cli_env(), capture_output=True, text=True,
                         timeout=90, check=False)
    assert run.returncode == 1, run.stderr[-500:]
    assert run.stdout.count(": error: ") + run.stdout.count(": warning: ") >= 3
    assert "Traceback" not in run.stderr


def test_one_file_named_twice_is_one_deck(write_deck, tmp_path: Path) -> None:
    # A false duplicate-slug and duplicate-company for "decks decks/../decks/acme.yaml".
    write_deck("acme.yaml", MINIMAL)
    run = run_cli("validate", "-q", "--no-cache", "decks", "decks/../decks/acme.yaml",
                  cwd=tmp_path)
    assert run.returncode == 0 and "duplicate-" not in run.stdout, run.stdout
    listed = run_cli("validate", "--no-cache", "decks/../decks/acme.yaml", "decks", cwd=tmp_path)
    assert listed.returncode == 0 and "duplicate-" not in listed.stdout, listed.stdout
    assert "1 deck(s)" in listed.stderr + listed.stdout, listed.stderr
