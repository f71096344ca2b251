"""LaTeX escaping: plain text that must print as itself.

One table of TeX's special characters, for the template layer (render.py:
every plain value a template prints) and the notes' LaTeX backend
(citations/backends.py, which adds its typography: no-break spaces and
dashes as TeX writes them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

#: TeX's special characters and what prints each as itself.
SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def escaper(extra: dict[str, str] | None = None) -> Callable[[Any], str]:
    """An escaping function for ``SPECIALS`` and the ``extra`` replacements."""
    table = {**SPECIALS, **(extra or {})}
    pattern = re.compile("|".join(re.escape(k) for k in table))
    return lambda text: pattern.sub(lambda m: table[m.group(0)], str(text))


#: Make any text print literally in LaTeX.
latex_escape = escaper()
