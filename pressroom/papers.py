"""Paper sizes: the one table of what a template's ``paper`` may name and what the check compares.

In PostScript points (width, height); LaTeX's ``article`` class and geometry
know each of them as ``<name>paper``, which is how the templates ask for it.
"""

from __future__ import annotations

PAPER_SIZES: dict[str, tuple[float, float]] = {
    "letter": (612.0, 792.0),
    "a4": (595.28, 841.89),
    "legal": (612.0, 1008.0),
    "a5": (419.53, 595.28),
}
