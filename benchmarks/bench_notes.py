"""Benchmark: footnotes of the corpus paper, beyond Pandoc's own parse.

Run: ``python benchmarks/bench_notes.py``. Prints, for the corpus paper
(80 notes) and for the paper concatenated ten times (800 notes):

- ``parse``: pandoc reading the Markdown (not ours; reported for scale);
- ``notes``: everything after it — loading the .bib, the filter
  (``process``), and writing the notes with one pandoc call;
- ``process``: the filter alone.

Targets: notes < 0.2 s for the paper; ten times the paper ≤ 10× that.
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pressroom.citations.notes import (collect_notes, notes_to_markdown,  # noqa: E402
                                       read_markdown)
from pressroom.citations.pandoc_filter import process  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "situational-cordiality"


def _times(md: Path, repeat: int) -> dict[str, float]:
    parse, proc, notes = [], [], []
    count = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        doc = read_markdown(md)
        t1 = time.perf_counter()
        out = process(doc, source=md, fmt="markdown")
        t2 = time.perf_counter()
        texts = notes_to_markdown(out, collect_notes(out))
        t3 = time.perf_counter()
        count = len(texts)
        parse.append(t1 - t0)
        proc.append(t2 - t1)
        notes.append(t3 - t1)
    return {"notes_count": count, "parse": statistics.median(parse),
            "process": statistics.median(proc), "notes": statistics.median(notes)}


def _tenfold(tmp: Path) -> Path:
    """The paper ten times over, footnote labels renamed so they stay apart."""
    text = (CORPUS / "paper.md").read_text(encoding="utf-8")
    header_end = text.index("\n---\n", 4) + 5
    header, body = text[:header_end], text[header_end:]
    parts = [re.sub(r"\[\^(\d+)\]", rf"[^c{k}n\1]", body) for k in range(10)]
    shutil.copy(CORPUS / "references.bib", tmp / "references.bib")
    md = tmp / "paper10.md"
    md.write_text(header + "\n".join(parts), encoding="utf-8")
    return md


def main() -> None:
    one = _times(CORPUS / "paper.md", repeat=5)
    with tempfile.TemporaryDirectory() as d:
        ten = _times(_tenfold(Path(d)), repeat=3)
    for name, r in (("paper", one), ("paper x10", ten)):
        print(f"{name:10} {r['notes_count']:4d} notes  parse {r['parse']:.3f} s  "
              f"process {r['process']:.3f} s  notes beyond parse {r['notes']:.3f} s")
    ratio = ten["notes"] / one["notes"]
    print(f"target: paper notes < 0.2 s: {'ok' if one['notes'] < 0.2 else 'MISSED'}; "
          f"x10 ratio {ratio:.1f} (≤ 10): {'ok' if ratio <= 10 else 'MISSED'}")


if __name__ == "__main__":
    main()
