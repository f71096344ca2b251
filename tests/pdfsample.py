"""Make small real PDFs with XeLaTeX, for the tests and benchmarks/bench_stamp_check.py.

The PDFs are compiled, never committed: TeX Gyre Termes through fontspec,
US Letter (or A4), body text and a footnote on every page, so the fonts are
real embedded TrueType/OpenType subsets as in a pressroom build.
"""

from __future__ import annotations

import os
from pathlib import Path

from pressroom.errors import LatexError
from pressroom.tools import operand, run

BODY_SENTENCE = "The quick brown fox jumps over the lazy dog near the riverbank."

_TEMPLATE = r"""\documentclass[11pt]{article}
\usepackage[%(paper)s,margin=1in]{geometry}
\usepackage{fontspec}
\setmainfont{TeX Gyre Termes}
\begin{document}
%(body)s
\end{document}
"""

_PAGE = r"""\section*{Section %(n)d}
%(sentence)s Page %(n)d begins here.\footnote{A footnote on page %(n)d, citing nothing.}
Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor
incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis
nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.
Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu
fugiat nulla pariatur.
\clearpage
"""


def make_sample_pdf(folder: Path, *, pages: int = 3, paper: str = "letterpaper",
                    name: str = "sample") -> Path:
    """Compile a ``pages``-page document in ``folder``; return the PDF path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(_PAGE % {"n": n, "sentence": BODY_SENTENCE} for n in range(1, pages + 1))
    tex = folder / f"{name}.tex"
    tex.write_text(_TEMPLATE % {"paper": paper, "body": body}, encoding="utf-8")
    env = dict(os.environ, SOURCE_DATE_EPOCH="1514764800", FORCE_SOURCE_DATE="1")
    proc = run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", operand(tex.name)],
               cwd=folder, env=env, check=False)
    pdf = folder / f"{name}.pdf"
    if proc.returncode != 0 or not pdf.exists():
        errors = [ln for ln in proc.stdout.decode("utf-8", "replace").splitlines() if ln.startswith("!")]
        raise LatexError("xelatex failed: " + ("; ".join(errors) or "no PDF"),
                         file=folder / f"{name}.log")
    return pdf
