"""Watch mode's edit-to-PDF latency, and many manuscripts at once.

    .venv/bin/python benchmarks/bench_scale.py [--edits 5] [--batch 20] [--skip-watch] [--skip-batch]

**Watch.** `build.py watch` runs on the corpus paper (the sample manuscript
when the corpus is not beside the repository); a paragraph is edited,
`--edits` times, and the time from the save to the new submission PDF on
disk is taken by polling the file (every 5 ms), as a PDF viewer would see it.
Interleaved with each edit, one XeLaTeX pass of the same `.tex` (`xelatex
paper.tex`, PDF out, in a copy of the build folder with its `.aux`) is
timed. Between edits the benchmark waits for the draft and the checks and
then 3 s, as a writer does between saves (the next save's TeX pass has loaded
its preamble by then). Target: latency ≤ 1.3 × the pass.

**Batch.** `--batch` manuscripts (the corpus paper and the sample, half
each, with variations: titles, templates) are built cold with `-j 1` and
with `-j` = the number of cores, and one of each kind alone; the speed-up
(target ≥ 0.8 × cores), how many cores each keeps busy (CPU time over wall
time: a build alone already uses more than one, its first XeLaTeX pass
running beside pandoc and the notes), and each manuscript's share of the
batch against a build of it alone.

The machine this runs on may be shared: every ratio is of times taken in the
same run, interleaved where it can be.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from timing import timed

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "situational-cordiality"
SAMPLE = ROOT / "manuscript"
CORPUS_PARAGRAPH = "Unlike its current image as a world superpower"
PYTHON = sys.executable
TEMPLATES = ("working-paper", "journal-article", "anonymous-review")


def _copy_manuscript(source: Path, folder: Path, title: str | None = None,
                     template: str | None = None) -> Path:
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("*.pdf", "build"))
    md = folder / "paper.md"
    text = md.read_text(encoding="utf-8")
    _, header, body = text.split("---\n", 2)
    lines = header.splitlines(keepends=True)
    if title is not None:
        lines = [f"title: \"{title}\"\n" if line.startswith("title:") else line for line in lines]
    lines = [line for line in lines if not line.startswith("template:")]
    if template is not None:
        lines.append(f"template: {template}\n")
    md.write_text("---\n" + "".join(lines) + "---\n" + body, encoding="utf-8")
    return folder


def _paragraph(md: Path) -> str:
    """Words of a body paragraph to toggle (the corpus paper's known one, else the first long line's)."""
    text = md.read_text(encoding="utf-8")
    if CORPUS_PARAGRAPH in text:
        return CORPUS_PARAGRAPH
    body = text.split("---\n", 2)[2]
    line = next(line for line in body.splitlines() if len(line) > 200 and line[0].isalpha())
    return " ".join(line.split()[:6])


def _toggle(md: Path, phrase: str) -> None:
    text = md.read_text(encoding="utf-8")
    other = phrase + " indeed"
    md.write_text(text.replace(other, phrase, 1) if other in text else text.replace(phrase, other, 1),
                  encoding="utf-8")


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def one_pass(build: Path, scratch: Path) -> float:
    """One XeLaTeX pass (PDF out) of the build's .tex, in a copy of the build folder."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(build, scratch, ignore=shutil.ignore_patterns("warm-*", ".lock"))
    start = time.perf_counter()
    subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "-output-directory=tex",
                    "paper.tex"], cwd=scratch, capture_output=True, check=True)
    return time.perf_counter() - start


def bench_watch(edits: int, tmp: Path) -> dict[str, list[float]]:
    source = CORPUS if (CORPUS / "paper.md").is_file() else SAMPLE
    src = _copy_manuscript(source, tmp / "watched")
    out = tmp / "watched-build"
    md = src / "paper.md"
    phrase = _paragraph(md)
    proc = subprocess.Popen([PYTHON, str(ROOT / "build.py"), "watch", str(src), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()

    def wait_for(text: str) -> None:
        while text not in lines.get(timeout=300):
            pass

    times: dict[str, list[float]] = {"latency": [], "pass": []}
    try:
        wait_for("watching")
        time.sleep(3)
        pdf = out / "paper.pdf"
        for _ in range(edits):
            before = _stamp(pdf)
            start = time.perf_counter()
            _toggle(md, phrase)
            while _stamp(pdf) == before:
                time.sleep(0.005)
            times["latency"].append(time.perf_counter() - start)
            wait_for("checks")
            times["pass"].append(one_pass(out, tmp / "one-pass"))
            time.sleep(3)
    finally:
        proc.send_signal(2)
        proc.wait(timeout=60)
    print(f"watch ({source.name}): latency {_fmt(times['latency'])}, one XeLaTeX pass {_fmt(times['pass'])}",
          file=sys.stderr, flush=True)
    return times


def _fmt(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (" + ", ".join(f"{v:.2f}" for v in values) + ")"


def bench_batch(count: int, tmp: Path) -> dict[str, tuple[float, float]]:
    """Wall-clock and CPU seconds: one manuscript alone (mean over the kinds, as mixed in the
    batch), the batch at -j 1 and at -j cores."""
    kinds = [CORPUS, SAMPLE] if (CORPUS / "paper.md").is_file() else [SAMPLE]
    issue = tmp / "issue"
    issue.mkdir()
    for i in range(count):
        source = kinds[i % len(kinds)]
        _copy_manuscript(source, issue / f"{source.name}-{i:02d}", title=f"Variation {i}",
                         template=TEMPLATES[(i // len(kinds)) % len(TEMPLATES)])
    cores = len(os.sched_getaffinity(0))
    alone = []
    for source in kinds:   # one of each kind, alone, cold
        shutil.rmtree(tmp / "alone", ignore_errors=True)
        alone.append(timed([PYTHON, str(ROOT / "build.py"), str(source), "--out", str(tmp / "alone")]))
    result = {"alone": (statistics.mean(w for w, _ in alone), statistics.mean(c for _, c in alone))}
    for jobs in (1, cores):
        out = tmp / f"out-j{jobs}"
        result[f"j{jobs}"] = timed([PYTHON, str(ROOT / "build.py"), str(issue), "-j", str(jobs),
                                     "--out", str(out)])
        wall, cpu = result[f"j{jobs}"]
        print(f"batch of {count}, -j {jobs}: {wall:.1f} s, CPU {cpu:.1f} s", file=sys.stderr, flush=True)
    result["cores"] = (cores, cores)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--edits", type=int, default=5)
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--skip-watch", action="store_true")
    p.add_argument("--skip-batch", action="store_true")
    p.add_argument("--corpus", type=Path, help="the corpus paper's folder (default: beside the repository)")
    args = p.parse_args()
    global CORPUS
    CORPUS = args.corpus or CORPUS
    with tempfile.TemporaryDirectory(prefix="pressroom-scale-") as name:
        tmp = Path(name)
        if not args.skip_watch:
            w = bench_watch(args.edits, tmp)
            lat, one = statistics.median(w["latency"]), statistics.median(w["pass"])
            ratios = [a / b for a, b in zip(w["latency"], w["pass"])]
            print("| watch mode | median | one XeLaTeX pass (median) | ratio (median of pairs) | target |")
            print("| --- | ---: | ---: | ---: | --- |")
            print(f"| save → submission PDF | {lat:.2f} s | {one:.2f} s | {statistics.median(ratios):.2f} × "
                  "| ≤ 1.3 × |")
        if not args.skip_batch:
            b = bench_batch(args.batch, tmp)
            cores = int(b["cores"][0])
            (j1, cpu1), (jn, cpun) = b["j1"], b[f"j{cores}"]
            wall_alone, cpu_alone = b["alone"]
            print(f"\n| {args.batch} manuscripts, cold | wall time | per manuscript | CPU per manuscript | "
                  f"per manuscript against one built alone ({wall_alone:.2f} s, CPU {cpu_alone:.2f} s) |")
            print("| --- | ---: | ---: | ---: | ---: |")
            for jobs, wall, cpu in ((1, j1, cpu1), (cores, jn, cpun)):
                print(f"| -j {jobs} | {wall:.1f} s | {wall / args.batch:.2f} s | {cpu / args.batch:.2f} s | "
                      f"{wall / args.batch / wall_alone:.2f} × |")
            print(f"\nspeed-up -j {cores} over -j 1: {j1 / jn:.2f} × (target ≥ {0.8 * cores:.1f} × on "
                  f"{cores} cores)")
            # a build alone already uses more than one core (its first XeLaTeX pass runs beside
            # pandoc and the notes), so the speed-up understates how busy -j N keeps the machine
            print(f"cores busy (CPU time / wall time): -j 1 {cpu1 / j1:.2f}, -j {cores} {cpun / jn:.2f} "
                  f"of {cores}")


if __name__ == "__main__":
    main()
