"""Build times of the corpus paper, as ratios against plain pandoc in the same run.

    .venv/bin/python benchmarks/bench.py [--runs 3] [--runs-10x 2] [--python /usr/bin/python3]

For the external corpus paper (situational-cordiality, found where the tests
look for it: tests/conftest.py) and for the same paper with its body ten times
over (about 300 pages, 800 notes), the medians over several runs of

- a cold build (empty build folder),
- a no-op rebuild (nothing changed),
- a one-paragraph edit (aux files kept),
- a change of the draft stamp's wording,

each timed as the whole command a user types (`python3 build.py PATH --out
DIR`) and set against `pandoc paper.md --citeproc --pdf-engine=xelatex -o
paper.pdf` (the pandoc pressroom uses, the same engine) timed in the same run.
The sources are copied into a temporary folder, since the edits change them.

Targets: cold ≤ 0.6 × pandoc; one-paragraph edit ≤ 0.45 × pandoc; no-op and
stamp wording ≤ 0.5 s; the ten-times paper's cold build ≤ 10 × the paper's.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "situational-cordiality"
PARAGRAPH = "Unlike its current image as a world superpower"
STAMP_TEXTS = ("WORK IN PROGRESS — DO NOT CITE", "DRAFT — PLEASE DO NOT CIRCULATE")


def pandoc() -> str:
    sys.path.insert(0, str(ROOT))
    from pressroom.tools import pandoc_path
    return pandoc_path()


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return elapsed


def make_sources(folder: Path, copies: int) -> Path:
    """The corpus paper (body `copies` times over) with a `draft:` block to reword."""
    folder.mkdir(parents=True)
    shutil.copy(CORPUS / "references.bib", folder)
    text = (CORPUS / "paper.md").read_text(encoding="utf-8")
    _, header, body = text.split("---\n", 2)
    header += f'draft:\n  text: "{STAMP_TEXTS[0]}"\n'
    (folder / "paper.md").write_text(f"---\n{header}---\n" + body * copies, encoding="utf-8")
    return folder


def toggle(path: Path, a: str, b: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(a, b, 1) if a in text else text.replace(b, a, 1), encoding="utf-8")


def measure(src: Path, runs: int, python: str) -> dict[str, list[float]]:
    out = src.parent / f"{src.name}-build"
    build = [python, str(ROOT / "build.py"), str(src), "--out", str(out)]
    md = src / "paper.md"
    times: dict[str, list[float]] = {k: [] for k in ("pandoc", "cold", "noop", "paragraph", "stamp")}
    for _ in range(runs):
        times["pandoc"].append(timed([pandoc(), "paper.md", "--citeproc", "--pdf-engine=xelatex",
                                      "-o", "pandoc.pdf"], cwd=src))
        shutil.rmtree(out, ignore_errors=True)
        times["cold"].append(timed(build, cwd=src))
        times["noop"].append(timed(build, cwd=src))
        toggle(md, PARAGRAPH, PARAGRAPH.replace("current", "present"))
        times["paragraph"].append(timed(build, cwd=src))
        toggle(md, *STAMP_TEXTS)
        times["stamp"].append(timed(build, cwd=src))
    return times


def table(results: dict[str, dict[str, list[float]]]) -> str:
    targets = {"cold": "≤ 0.6 × pandoc", "paragraph": "≤ 0.45 × pandoc",
               "noop": "≤ 0.5 s", "stamp": "≤ 0.5 s"}
    rows = ["| paper | scenario | pressroom (median s) | pandoc (median s) | ratio | target |",
            "| --- | --- | ---: | ---: | ---: | --- |"]
    for paper, times in results.items():
        base = statistics.median(times["pandoc"])
        for key in ("cold", "noop", "paragraph", "stamp"):
            med = statistics.median(times[key])
            # The targets are for the corpus paper; the ten-times paper's is the last row.
            target = targets[key] if paper == "1×" else "(for information)"
            rows.append(f"| {paper} | {key} | {med:.2f} | {base:.2f} | {med / base:.2f} | {target} |")
    if len(results) == 2:
        one, ten = (statistics.median(t["cold"]) for t in results.values())
        rows.append(f"| 10× / 1× | cold | {ten:.2f} / {one:.2f} | | {ten / one:.2f} | ≤ 10 |")
    return "\n".join(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="runs of the corpus paper (default 3)")
    p.add_argument("--runs-10x", type=int, default=2, help="runs of the ten-times paper (default 2; 0: skip)")
    p.add_argument("--python",
                   default="/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable,
                   help="the python3 that runs build.py, as a user would type it")
    args = p.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="pressroom-bench-") as tmp:
        for name, copies, runs in (("1×", 1, args.runs), ("10×", 10, args.runs_10x)):
            if runs:
                results[name] = measure(make_sources(Path(tmp) / f"paper{copies}", copies), runs, args.python)
                medians = ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in results[name].items())
                print(f"{name}: {medians}", file=sys.stderr, flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
