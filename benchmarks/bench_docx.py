"""How long the Word file takes against the PDF build.

    .venv/bin/python benchmarks/bench_docx.py [PATH] [--runs 3]

For a manuscript (default: the corpus paper when it is beside the
repository, else the sample), the medians over several runs of

- the cold PDF build (`build.py PATH --out DIR`, an empty build folder);
- the same folder built again with `--to docx`: the docx stage, the check
  and the manifest run, no TeX;
- the docx stage alone, in this process (pressroom.docx.make_docx: pandoc
  reads the Markdown, the notes are rendered, pandoc writes the .docx, the
  archive is normalised).

Each as wall time and CPU time (this process and its children: pandoc, TeX),
since a shared machine makes wall times noisy.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "situational-cordiality" / "paper.md"
SAMPLE = ROOT / "manuscript" / "paper.md"


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measured(run, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of ``run(*args)``."""
    wall, cpu = time.perf_counter(), _cpu()
    run(*args)
    return time.perf_counter() - wall, _cpu() - cpu


def build(*args: str) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"build.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manuscript", nargs="?", default=str(CORPUS if CORPUS.is_file() else SAMPLE))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from pressroom.config import build_settings
    from pressroom.docx import make_docx
    from pressroom.errors import Warnings
    from pressroom.manuscript import read_manuscript

    manuscript = Path(args.manuscript).resolve()
    rows: dict[str, list[tuple[float, float]]] = {"PDF build, cold": [], "--to docx on the built folder": [],
                                                   "docx stage alone": []}
    for _ in range(args.runs):
        folder = Path(tempfile.mkdtemp(prefix="bench-docx-"))
        try:
            out = folder / "out"
            rows["PDF build, cold"].append(measured(build, str(manuscript), "--out", str(out)))
            rows["--to docx on the built folder"].append(
                measured(build, str(manuscript), "--out", str(out), "--to", "docx"))
            warnings = Warnings(echo=False)
            settings = build_settings(read_manuscript(manuscript, warnings), out_dir=out / "alone",
                                      warnings=warnings, to=("docx",))
            rows["docx stage alone"].append(measured(make_docx, settings))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"{manuscript} ({args.runs} runs, medians)")
    pdf_wall, pdf_cpu = (statistics.median(v[i] for v in rows["PDF build, cold"]) for i in (0, 1))
    for name, values in rows.items():
        wall, cpu = (statistics.median(v[i] for v in values) for i in (0, 1))
        print(f"  {name:<32} wall {wall:6.2f} s ({wall / pdf_wall:5.0%})   "
              f"CPU {cpu:6.2f} s ({cpu / pdf_cpu:5.0%} of the PDF build's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
