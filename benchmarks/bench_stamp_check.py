"""Time stamp + check on one PDF; print the median of several runs.

    python benchmarks/bench_stamp_check.py [PAPER.pdf] [--runs N]

Without a PDF it compiles a 30-page document with XeLaTeX in a temporary
folder (TeX Gyre Termes, US Letter), like a corpus paper. Target: stamp +
check under 0.3 s for ~30 pages. The first (cold) run is shown apart: it
includes parsing the stamp font once per process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pressroom.check import check_pdf
from pressroom.pdfmeta import PdfMetadata, read_metadata
from pressroom.stamp import StampSettings, stamp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from pdfsample import make_sample_pdf

TARGET = 0.3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pages", type=int, default=30)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        src = args.pdf or make_sample_pdf(folder, pages=args.pages)
        meta = PdfMetadata(title="Benchmark paper", authors=("A. Author",), language="en-US",
                           date=datetime(2018, 1, 1, tzinfo=UTC),
                           version_date="January 2018")
        if args.pdf:
            meta = read_metadata(args.pdf)
        settings = StampSettings(footer="Draft · version date January 2018 · built 2026-11-25")
        out = folder / "draft.pdf"
        times, stamp_times, findings = [], [], []
        for _ in range(args.runs + 1):
            t0 = time.perf_counter()
            stamp(src, out, settings, meta)
            t1 = time.perf_counter()
            findings = check_pdf(out, expected=meta, draft=True, stamp_text=settings.text)
            t2 = time.perf_counter()
            times.append(t2 - t0)
            stamp_times.append(t1 - t0)
        from pikepdf import open as pdf_open
        with pdf_open(out) as pdf:
            pages = len(pdf.pages)
        cold, warm = times[0], times[1:]
        median = statistics.median(warm)
        print(f"{src.name}: {pages} pages")
        print(f"stamp + check: median {median:.3f} s over {len(warm)} runs "
              f"(stamp {statistics.median(stamp_times[1:]):.3f} s; first run {cold:.3f} s); "
              f"target < {TARGET} s: {'met' if median < TARGET else 'MISSED'}")
        bad = [f for f in findings if not f.ok and f.check != "metadata"]
        for f in bad:
            print(f"  note: check {f.check} failed: {f.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
