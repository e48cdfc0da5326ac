"""Benchmark deck2anki as users run it: whole processes, wall time and peak memory.

For each size it generates synthetic decks (bench/generate.py), stamps them once (as a
repository's decks are), then runs, several times each, taking the median:

- floor: bench/floor.py, the fastest program that writes what ``build`` writes (the
  reference), alternating with each build run; the ratio build / floor is the median of
  the per-pair ratios (each pair is listed);
- validate: ``deck2anki validate -q --no-cache DECKS`` (every file checked), and
  again without ``--no-cache`` after a first run (files unchanged: the cache's case);
- build: ``deck2anki build -q --no-cache`` into an empty folder (a full build);
- rebuild: ``deck2anki build -q`` again with nothing changed (the cache's case).

After the first floor and build of each size, bench/check.py holds the floor to its
word: the same rows in every package, the same CSV bytes, and, in real Anki, the same
notes, note types and cards per deck (every company up to 10k cards, a sample above).
If they differ the benchmark stops with exit status 1: a floor that skipped work would
flatter nothing.

It also times the repository's own ``deck2anki validate`` and ``deck2anki --help``
against ``python -c pass``. Peak memory is the largest sum of the resident memory of
the command and its worker processes, sampled every 20 ms; CPU is the user and system
time of the command and the workers it waited for. Every command runs this tree's
deck2anki (src/ first on PYTHONPATH), as the floor does.

    python bench/run.py                       # 1k, 10k and 100k cards, 3 runs each
    python bench/run.py --sizes 1000 --runs 5 --json results.json

The check needs bench/requirements.txt (anki, the real engine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from check import check  # noqa: E402  (sibling scripts, not a package)
from generate import generate  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and of its descendants (read from /proc, cheaply: the
    sampler must not take CPU from the command it measures)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm", encoding="ascii") as statm:
                total += int(statm.read().split()[1]) * PAGE
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as kids:
                pending.extend(int(child) for child in kids.read().split())
        except (OSError, ValueError):
            continue
    return total


class Sample(NamedTuple):
    wall: float  # seconds
    peak: int  # bytes resident, the command and its workers together
    cpu: float  # user + system seconds of the command and the workers it waited for


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(command: list[str], cwd: Path = ROOT) -> Sample:
    """Wall seconds, peak resident bytes and CPU seconds of ``command`` and its children."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    peak = 0
    cpu = _children_cpu()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n"
                         f"{stderr.decode(errors='replace')[-2000:]}")
    return Sample(wall, peak, _children_cpu() - cpu)


def _summary(samples: Sequence[Sample]) -> dict[str, float]:
    return {"seconds": statistics.median(s.wall for s in samples),
            "peak_mb": statistics.median(s.peak for s in samples) / 2**20,
            "cpu_seconds": statistics.median(s.cpu for s in samples), "runs": len(samples)}


def median_of(runs: int, command: list[str], before: Callable[[], object] | None = None,
              cwd: Path = ROOT) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        if before is not None:
            before()
        samples.append(measure(command, cwd))
    return _summary(samples)


def deck2anki(*args: str) -> list[str]:
    return [sys.executable, "-m", "deck2anki", *args]


def hold_floor_to_its_word(floor_out: Path, out: Path, cards: int,
                           anki_sample: int) -> dict[str, object]:
    """bench/check.py on one pair of outputs; stop the benchmark if the floor cheated."""
    companies = len(list(out.glob("*.apkg")))
    sample = None if cards <= 10_000 else anki_sample
    start = time.perf_counter()
    problems = check(floor_out, out, sample)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise SystemExit(f"the floor's files are not what deck2anki build writes "
                         f"({len(problems)} difference(s) at {cards} cards): its times "
                         "mean nothing")
    return {"companies": companies, "anki_imported": min(sample or companies, companies),
            "seconds": time.perf_counter() - start}


def bench_size(cards: int, runs: int, work: Path, anki_sample: int) -> dict[str, object]:
    decks = work / f"decks-{cards}"
    out = work / f"dist-{cards}"
    floor_out = work / f"floor-{cards}"
    paths = generate(cards, decks)
    subprocess.run(deck2anki("stamp", "--decks", str(decks)), check=True,
                   stdout=subprocess.DEVNULL)

    # The floor and the build alternate, run by run, and the ratio is taken per pair:
    # a slow spell of the machine then weighs on both sides of a ratio alike. Each
    # empties only its own folder, so the first pair's files can be compared.
    floors: list[Sample] = []
    builds: list[Sample] = []
    checked: dict[str, object] = {}
    for _ in range(runs):
        shutil.rmtree(floor_out, ignore_errors=True)
        floors.append(measure([sys.executable, str(HERE / "floor.py"), str(decks),
                               str(floor_out)]))
        shutil.rmtree(out, ignore_errors=True)
        builds.append(measure(deck2anki("build", "-q", "--no-cache", "--decks", str(decks),
                                        "--out", str(out))))
        if not checked:  # once per size, before more time is spent on a floor that cheats
            checked = hold_floor_to_its_word(floor_out, out, cards, anki_sample)
    ratios = [build.wall / floor.wall for floor, build in zip(floors, builds, strict=True)]
    cpu_ratios = [build.cpu / floor.cpu for floor, build in zip(floors, builds, strict=True)]
    row: dict[str, object] = {
        "cards": cards, "companies": len(paths),
        "yaml_mb": sum(p.stat().st_size for p in paths) / 1e6,
        "floor": _summary(floors), "build": _summary(builds),
        "build_over_floor": statistics.median(ratios), "ratios": ratios,
        "cpu_build_over_floor": statistics.median(cpu_ratios), "check": checked,
        "validate": median_of(runs, deck2anki("validate", "-q", "--no-cache", str(decks))),
        "revalidate": median_of(runs, deck2anki("validate", "-q", str(decks)),
                                lambda: subprocess.run(deck2anki("validate", "-q", str(decks)),
                                                       check=True)),
    }
    subprocess.run(deck2anki("build", "-q", "--decks", str(decks), "--out", str(out)),
                   check=True, stderr=subprocess.DEVNULL)  # fills the cache
    row["rebuild"] = median_of(runs, deck2anki("build", "-q", "--decks", str(decks), "--out",
                                               str(out)))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--anki-sample", type=int, default=4, metavar="N",
                        help="above 10k cards, import only N companies into Anki for the "
                             "check (every package is still compared row by row)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results: dict[str, object] = {"python": sys.version.split()[0], "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="deck2anki-bench-") as tmp:
        work = Path(tmp)
        os.environ["DECK2ANKI_CACHE_DIR"] = str(work / "cache")
        os.environ["SOURCE_DATE_EPOCH"] = "1700000000"  # what a release build sets
        # This tree's deck2anki, not whichever one is installed: the floor uses it too.
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])
        startup = {
            "`python -c pass`": median_of(args.runs * 3, [sys.executable, "-c", "pass"]),
            "`deck2anki --help`": median_of(args.runs * 3, deck2anki("--help")),
            "`deck2anki validate --no-cache` (repository decks)": median_of(
                args.runs * 3, deck2anki("validate", "-q", "--no-cache")),
            "`deck2anki validate` (repository decks, unchanged)": median_of(
                args.runs * 3, deck2anki("validate", "-q")),
        }
        results["startup"] = startup
        sizes = []
        for cards in args.sizes:
            print(f"benchmarking {cards} cards ...", file=sys.stderr)
            sizes.append(bench_size(cards, args.runs, work, args.anki_sample))
        results["sizes"] = sizes
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _startup_lines(startup: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| start-up | wall | peak | / `python -c pass` |", "|---|---:|---:|---:|"]
    bare = startup["`python -c pass`"]["seconds"]
    for name, value in startup.items():
        lines.append(f"| {name} | {value['seconds'] * 1000:.0f} ms | "
                     f"{value['peak_mb']:.0f} MB | {value['seconds'] / bare:.1f}x |")
    return lines


def _scaling_lines(sizes: list[dict[str, Any]]) -> list[str]:
    """Seconds per 1000 cards at each size, and per 1000 cards added since the size
    before (start-up cancels out of that one: constant means linear)."""
    lines = ["", "| cards | floor s / 1k cards | build s / 1k cards | build s / 1k cards added "
             "| floor peak | build peak |", "|---:|---:|---:|---:|---:|---:|"]
    previous: dict[str, Any] | None = None
    for row in sizes:
        floor, build = row["floor"], row["build"]
        added = ""
        if previous is not None:
            extra = build["seconds"] - previous["build"]["seconds"]
            added = f"{extra * 1000 / (row['cards'] - previous['cards']):.3f} s"
        lines.append(f"| {row['cards']:,} | {floor['seconds'] / row['cards'] * 1000:.3f} s "
                     f"| {build['seconds'] / row['cards'] * 1000:.3f} s | {added} "
                     f"| {floor['peak_mb']:.0f} MB | {build['peak_mb']:.0f} MB |")
        previous = row
    return lines


def report(results: dict[str, Any]) -> str:
    lines = [f"Python {results['python']}, {results['cores']} cores; medians.", ""]
    startup = results["startup"]
    lines += _startup_lines(startup)
    cached = startup["`deck2anki validate` (repository decks, unchanged)"]["seconds"]
    lines += ["", f"Cached validate / `python -c pass`: "
              f"{cached / startup['`python -c pass`']['seconds']:.1f}x"]
    lines += ["", "| cards | companies | YAML | floor | build | build / floor | CPU build / "
              "floor | rebuild | rebuild / build | validate | validate peak | revalidate |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    sizes = results["sizes"]
    for row in sizes:
        floor, build, rebuild, validate, revalidate = (
            row[k] for k in ("floor", "build", "rebuild", "validate", "revalidate"))
        lines.append(
            f"| {row['cards']:,} | {row['companies']} | {row['yaml_mb']:.1f} MB "
            f"| {floor['seconds']:.2f} s | {build['seconds']:.2f} s "
            f"| {row['build_over_floor']:.2f}x "
            f"({', '.join(f'{r:.2f}' for r in row['ratios'])}) "
            f"| {row['cpu_build_over_floor']:.2f}x "
            f"| {rebuild['seconds']:.2f} s | {rebuild['seconds'] / build['seconds']:.0%} "
            f"| {validate['seconds']:.2f} s | {validate['peak_mb']:.0f} MB "
            f"| {revalidate['seconds']:.2f} s |")
    lines += _scaling_lines(sizes)
    lines += ["", "The floor's files checked against the build's: "
              + "; ".join(f"{row['cards']:,} cards: {row['check']['companies']} companies row "
                          f"by row, {row['check']['anki_imported']} imported into Anki"
                          for row in sizes) + " (all equal)."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
