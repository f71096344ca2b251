"""The changes PDF (`diff`) on the corpus paper against a normal build, in the same run.

    .venv/bin/python benchmarks/bench_diff.py [--runs 3]

The corpus paper (../shared/corpus/situational-cordiality) is committed in a
temporary git repository; the working copy then has one paragraph edited and
one note's citation changed (its page). Timed, each as the command a user
types, medians over the runs:

- build, cold: `build.py PATH --out DIR` into an empty folder (the baseline);
- diff, cold: `build.py diff PATH --since HEAD --out DIR` into an empty folder
  (the new version built, the old one's LaTeX made, latexdiff, the comparison compiled);
- diff after an edit: another word changed in the paragraph, the diff again
  (the new version rebuilt incrementally, the old one up to date);
- diff, nothing changed.

Wall-clock time is noisy on a shared machine: the CPU time of the child
processes (TeX, pandoc, latexdiff, pressroom) is printed beside it. The script
also checks that both edits are visible in the changes PDF.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import timed

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "situational-cordiality"
PARAGRAPH = "Unlike its current image as a world superpower"
EDIT = "Unlike its current image as a world superpower, and as this revision now stresses"
CITATION = "[@dittmer1992, 189]"
CHANGED_CITATION = "[@dittmer1992, 193]"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org", *args],
                   cwd=repo, check=True, capture_output=True)


def make_repository(folder: Path, corpus: Path) -> Path:
    """The corpus paper committed, then edited in the working copy; the manuscript's folder."""
    paper = folder / "paper"
    paper.mkdir(parents=True)
    for name in ("paper.md", "references.bib"):
        shutil.copy(corpus / name, paper)
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-qm", "submitted version")
    md = paper / "paper.md"
    text = md.read_text(encoding="utf-8")
    assert PARAGRAPH in text and CITATION in text, "the corpus paper changed: update the benchmark's edits"
    md.write_text(text.replace(PARAGRAPH, EDIT, 1).replace(CITATION, CHANGED_CITATION, 1), encoding="utf-8")
    return paper


def check_visible(out: Path) -> None:
    tex = (out / "paper-changes.tex").read_text(encoding="utf-8")
    assert re.search(r"\\DIFadd\{[^}]*now stresses", tex), "the paragraph edit is not marked"
    assert re.search(r"\\footnote\{[^\n]*\\DIFdel\{189[^\n]*\\DIFadd\{193", tex), \
        "the note's change is not marked"
    text = subprocess.run(["pdftotext", str(out / "paper-changes.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "now stresses" in " ".join(text.split()) and "189" in text and "193" in text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=f"the paper's folder (default {CORPUS})")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"the corpus is not beside the repository ({args.corpus})")
    python = sys.executable
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in ("build", "diff", "edit", "noop")}
    with tempfile.TemporaryDirectory(prefix="pressroom-bench-diff-") as tmp:
        paper = make_repository(Path(tmp) / "repo", args.corpus)
        md = paper / "paper.md"
        edited = md.read_text(encoding="utf-8")
        for run in range(args.runs):
            md.write_text(edited, encoding="utf-8")
            build_out, diff_out = Path(tmp) / f"build{run}", Path(tmp) / f"diff{run}"
            build = [python, str(ROOT / "build.py"), str(paper)]
            times["build"].append(timed([*build, "--out", str(build_out)]))
            diff = [python, str(ROOT / "build.py"), "diff", str(paper), "--since", "HEAD", "--out",
                    str(diff_out)]
            times["diff"].append(timed(diff))
            check_visible(diff_out)
            md.write_text(edited.replace("now stresses", "now underlines"), encoding="utf-8")
            times["edit"].append(timed(diff))
            times["noop"].append(timed(diff))
    base = statistics.median(w for w, _ in times["build"])
    labels = {"build": "build, cold (baseline)", "diff": "diff, cold (new version, old LaTeX, changes PDF)",
              "edit": "diff after a one-word edit", "noop": "diff, nothing changed"}
    print(f"corpus paper, medians of {args.runs}")
    print(f"{'scenario':<44} {'wall':>8} {'× build':>8} {'CPU':>8}")
    for key, label in labels.items():
        wall = statistics.median(w for w, _ in times[key])
        cpu = statistics.median(c for _, c in times[key])
        print(f"{label:<44} {wall:7.2f}s {wall / base:7.2f}× {cpu:7.2f}s")


if __name__ == "__main__":
    main()
