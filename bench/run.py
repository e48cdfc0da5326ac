"""Benchmark deck2anki as users run it: whole processes, wall time and peak memory.

For each size it generates synthetic decks (bench/generate.py), stamps them once (as a
repository's decks are), then runs, several times each, taking the median:

- floor: bench/floor.py, the fastest-parts pipeline with no checks (the reference),
  alternating with each build run; the ratio build / floor is the median of the
  per-pair ratios (each pair is listed);
- validate: ``deck2anki validate -q --no-cache DECKS`` (every file checked), and
  again without ``--no-cache`` after a first run (files unchanged: the cache's case);
- build: ``deck2anki build -q --no-cache`` into an empty folder (a full build);
- rebuild: ``deck2anki build -q`` again with nothing changed (the cache's case).

It also times the repository's own ``deck2anki validate`` and ``deck2anki --help``
against ``python -c pass``. Peak memory is the largest sum of the resident memory of
the command and its worker processes, sampled every 20 ms.

    python bench/run.py                       # 1k, 10k and 100k cards, 3 runs each
    python bench/run.py --sizes 1000 --runs 5 --json results.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402  (a sibling script, not a package)

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


def measure(command: list[str], cwd: Path = ROOT) -> tuple[float, int]:
    """Wall seconds and peak resident bytes of ``command`` and its children."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    peak = 0
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
    return wall, peak


def _summary(samples: list[tuple[float, int]]) -> dict[str, float]:
    return {"seconds": statistics.median(s for s, _ in samples),
            "peak_mb": statistics.median(p for _, p in samples) / 2**20, "runs": len(samples)}


def median_of(runs: int, command: list[str], before: object = None,
              cwd: Path = ROOT) -> dict[str, float]:
    walls, peaks = [], []
    for _ in range(runs):
        if callable(before):
            before()
        wall, peak = measure(command, cwd)
        walls.append(wall)
        peaks.append(peak)
    return {"seconds": statistics.median(walls), "peak_mb": statistics.median(peaks) / 2**20,
            "runs": runs}


def deck2anki(*args: str) -> list[str]:
    return [sys.executable, "-m", "deck2anki", *args]


def bench_size(cards: int, runs: int, work: Path) -> dict[str, object]:
    decks = work / f"decks-{cards}"
    out = work / f"dist-{cards}"
    floor_out = work / f"floor-{cards}"
    paths = generate(cards, decks)
    subprocess.run(deck2anki("stamp", "--decks", str(decks)), check=True,
                   stdout=subprocess.DEVNULL)

    def clean() -> None:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(floor_out, ignore_errors=True)

    # The floor and the build alternate, run by run, and the ratio is taken per pair:
    # a slow spell of the machine then weighs on both sides of a ratio alike.
    floors, builds = [], []
    for _ in range(runs):
        clean()
        floors.append(measure([sys.executable, str(HERE / "floor.py"), str(decks),
                               str(floor_out)]))
        clean()
        builds.append(measure(deck2anki("build", "-q", "--no-cache", "--decks", str(decks),
                                        "--out", str(out))))
    ratios = [build[0] / floor[0] for floor, build in zip(floors, builds, strict=True)]
    row: dict[str, object] = {
        "cards": cards, "companies": len(paths),
        "yaml_mb": sum(p.stat().st_size for p in paths) / 1e6,
        "floor": _summary(floors), "build": _summary(builds),
        "build_over_floor": statistics.median(ratios), "ratios": ratios,
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
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results: dict[str, object] = {"python": sys.version.split()[0], "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="deck2anki-bench-") as tmp:
        work = Path(tmp)
        os.environ["DECK2ANKI_CACHE_DIR"] = str(work / "cache")
        os.environ["SOURCE_DATE_EPOCH"] = "1700000000"  # what a release build sets
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
            sizes.append(bench_size(cards, args.runs, work))
        results["sizes"] = sizes
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def report(results: dict[str, object]) -> str:
    lines = [f"Python {results['python']}, {results['cores']} cores; medians.", "",
             "| start-up | wall | peak |", "|---|---:|---:|"]
    startup = results["startup"]
    assert isinstance(startup, dict)
    for name, value in startup.items():
        lines.append(f"| {name} | {value['seconds'] * 1000:.0f} ms | "
                     f"{value['peak_mb']:.0f} MB |")
    lines += ["", "| cards | companies | YAML | floor | build | build / floor | build peak "
              "| rebuild | rebuild / build | validate | validate peak | revalidate |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    sizes = results["sizes"]
    assert isinstance(sizes, list)
    for row in sizes:
        floor, build, rebuild, validate, revalidate = (
            row[k] for k in ("floor", "build", "rebuild", "validate", "revalidate"))
        lines.append(
            f"| {row['cards']:,} | {row['companies']} | {row['yaml_mb']:.1f} MB "
            f"| {floor['seconds']:.2f} s | {build['seconds']:.2f} s "
            f"| {row['build_over_floor']:.2f}x "
            f"({', '.join(f'{r:.2f}' for r in row['ratios'])}) | {build['peak_mb']:.0f} MB "
            f"| {rebuild['seconds']:.2f} s | {rebuild['seconds'] / build['seconds']:.0%} "
            f"| {validate['seconds']:.2f} s | {validate['peak_mb']:.0f} MB "
            f"| {revalidate['seconds']:.2f} s |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
