"""Benchmark: footnotes of the corpus paper, beyond Pandoc's own parse.

Run: ``python benchmarks/bench_notes.py``. Prints, for the corpus paper
(80 notes) and for the paper concatenated ten times (800 notes):

- ``parse``: pandoc reading the Markdown (not ours; reported for scale);
- ``notes``: everything after it — loading the .bib, the filter
  (``process``), and writing the notes with one pandoc call;
- ``process``: the filter alone.

- a large bibliography: 5,000 entries (the test entries of tests/data/chicago/
  varied), a manuscript with 800 citations of 500 of them, notes with a
  warm cache of the parsed .bib (the second build), and cold.

Targets: notes < 0.2 s for the paper; ten times the paper ≤ 10× that; the
large bibliography < 1 s beyond pandoc's parse on a warm cache. The corpus
rows need the external corpus beside the repository; the large-bibliography
rows always run.
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

from pressroom.citations.notes import collect_notes, notes_to_markdown, read_markdown  # noqa: E402
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


def _large(tmp: Path, entries: int = 5000, citations: int = 800) -> Path:
    """A .bib of ``entries`` entries, varied from the test entries, and a manuscript citing
    ``citations`` times (first, repeated and later citations of 500 sources)."""
    sources = sorted((ROOT / "tests" / "data" / "chicago" / "entries").glob("*.bib"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    blocks = re.findall(r"^@(?!xdata)(\w+)\{([^,]+),(.*?)^\}", text, re.S | re.M | re.I)
    xdata = "\n".join(re.findall(r"^@xdata\{.*?^\}", text, re.S | re.M | re.I))
    out, keys = [xdata], []
    for i in range(entries):
        kind, key, body = blocks[i % len(blocks)]
        if "crossref" in body:   # keep inheritance simple: only the first copy points at its parent
            body = re.sub(r"crossref\s*=\s*\{[^}]*\},?", "", body) if i >= len(blocks) else body
        new = f"{key}-{i}" if i >= len(blocks) else key
        keys.append(new)
        out.append(f"@{kind}{{{new},{body}}}")
    (tmp / "large.bib").write_text("\n".join(out), encoding="utf-8")
    cited = keys[::entries // 500][:500]
    paras = []
    for n in range(citations):
        key = cited[n % len(cited)] if n % 3 else cited[(n // 3) % len(cited)]
        paras.append(f"Sentence {n} of the argument.[@{key}, {n % 300 + 1}]")
    md = tmp / "large.md"
    md.write_text("---\ntitle: Large\nbibliography: large.bib\n---\n\n" + "\n\n".join(paras) + "\n",
                  encoding="utf-8")
    return md


def _large_times(md: Path, cache: Path, repeat: int = 3) -> dict[str, float]:
    doc = read_markdown(md)
    t0 = time.perf_counter()
    process(doc, source=md, fmt="markdown", cache_dir=cache, warn=lambda *a, **k: None)
    cold = time.perf_counter() - t0
    parse, warm = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        doc = read_markdown(md)
        t1 = time.perf_counter()
        out = process(doc, source=md, fmt="markdown", cache_dir=cache, warn=lambda *a, **k: None)
        notes_to_markdown(out, collect_notes(out))
        t2 = time.perf_counter()
        parse.append(t1 - t0)
        warm.append(t2 - t1)
    return {"cold": cold, "parse": statistics.median(parse), "warm": statistics.median(warm)}


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        large = _large_times(_large(Path(d)), Path(d) / "cache")
    print(f"5,000-entry .bib, 800 citations: parse {large['parse']:.3f} s  notes beyond parse, "
          f"warm cache {large['warm']:.3f} s (cold: process alone {large['cold']:.3f} s)  "
          f"target < 1 s: {'ok' if large['warm'] < 1 else 'MISSED'}")
    if not CORPUS.is_dir():
        print("corpus rows skipped: the external corpus is not beside the repository")
        return
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
