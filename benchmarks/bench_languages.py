"""What languages and CJK support cost per build: a TeX pass of an English paper, a German one,
one with Chinese and Japanese characters, one with Russian and Greek spans and one in Russian
(FreeSerif); print the median processor time of several runs.

    python benchmarks/bench_languages.py [--runs N] [--rev REV]

Each manuscript is built once (the sample, tests/data/languages/german, .../cjk, ...); then its
``.tex`` is typeset again and again by ``xelatex -no-pdf`` alone, with ``xdvipdfmx`` for the
PDF, and the processor time (user + system of the children) is taken, which a loaded machine
disturbs less than the wall clock. An English paper without CJK characters loads neither babel
nor xeCJK: with ``--rev REV`` (say ``--rev main~3``, from before languages existed) the script
also renders the sample with the templates of that revision and says whether the ``.tex`` is
the same, byte for byte, which makes its TeX time the same too.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAPERS = {"English (the sample)": ROOT / "manuscript" / "paper.md",
          "German (babel, csquotes)": ROOT / "tests" / "data" / "languages" / "german" / "paper.md",
          "CJK (babel, xeCJK, Noto CJK)": ROOT / "tests" / "data" / "languages" / "cjk" / "paper.md",
          "Russian and Greek spans (babel, FreeSerif)":
              ROOT / "tests" / "data" / "languages" / "cyrillic-greek" / "paper.md",
          "Russian (babel, FreeSerif)": ROOT / "tests" / "data" / "languages" / "russian" / "paper.md"}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(paper: Path, out: Path) -> Path:
    subprocess.run([sys.executable, str(ROOT / "build.py"), str(paper), "--out", str(out)], check=True,
                   capture_output=True)
    return out / f"{paper.stem}.tex"


def tex_pass(tex: Path) -> float:
    """The processor time of one XeLaTeX pass and xdvipdfmx over ``tex``."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    before = children_cpu()
    subprocess.run(["xelatex", "-no-pdf", "-interaction=nonstopmode", "-output-directory=tex", tex.name],
                   cwd=tex.parent, check=True, capture_output=True, env=env)
    subprocess.run(["xdvipdfmx", "-q", "-o", "tex/bench.pdf", f"tex/{tex.stem}.xdv"], cwd=tex.parent,
                   check=True, capture_output=True, env=env)
    return children_cpu() - before


def same_tex_as(rev: str, tex: Path, folder: Path) -> bool:
    """Whether the sample renders to the same ``.tex`` with pressroom at ``rev``."""
    old = folder / "old"
    subprocess.run(["git", "worktree", "add", "--detach", str(old), rev], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        # that revision's pressroom and templates, with this venv's tools and libraries
        run_old = f"import sys; sys.path.insert(0, {str(old)!r}); from pressroom.cli import main; " \
                  f"sys.exit(main([{str(old / 'manuscript')!r}, '--out', {str(folder / 'old-out')!r}]))"
        subprocess.run([sys.executable, "-c", run_old], check=True, capture_output=True, cwd=old)
        return (folder / "old-out" / "paper.tex").read_bytes() == tex.read_bytes()
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rev", help="a git revision to compare the English paper's .tex with")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = {}
        for i, (name, paper) in enumerate(PAPERS.items()):
            tex = build(paper, folder / f"out{i}")
            preamble = tex.read_text(encoding="utf-8").partition(r"\begin{document}")[0]
            loads = [pkg for pkg in ("babel", "csquotes", "xeCJK") if f"{{{pkg}}}" in preamble]
            tex_pass(tex)   # warm: the font caches, the format in the page cache
            times = [tex_pass(tex) for _ in range(args.runs)]
            results[name] = statistics.median(times)
            print(f"{name:44} {results[name]:.2f} s CPU per TeX pass (median of {args.runs}); "
                  f"loads {', '.join(loads) or 'nothing new'}")
            if "pressroom@toscript}" in preamble:
                # the same .tex with FreeSerif never switched on (its letters go missing): the font's cost
                lines = tex.read_text(encoding="utf-8").splitlines(keepends=True)
                without = tex.with_name("without-script-font.tex")
                kept = [line for line in lines if not line.endswith("pressroom@toscript}\n")]
                without.write_text("".join(kept), encoding="utf-8")
                tex_pass(without)
                cost = results[name] - statistics.median(tex_pass(without) for _ in range(args.runs))
                print(f"{'':44} of which FreeSerif (declared and switched on): {cost:+.2f} s")
            if i == 0 and args.rev:
                same = same_tex_as(args.rev, tex, folder)
                verdict = "byte-identical to" if same else "NOT the same as"
                print(f"{'':44} the .tex is {verdict} {args.rev}'s")
        english = results[next(iter(PAPERS))]
        for name in list(PAPERS)[1:]:
            print(f"{name:44} +{results[name] - english:.2f} s per pass over the English paper")
    return 0


if __name__ == "__main__":
    sys.exit(main())
