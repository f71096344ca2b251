"""One manuscript with the features that several test files read back from a real build, so that
each template typesets it once a session (conftest.feature_build) instead of once per feature:

- the cross-reference fixture (tests/data/crossref/: three figures, two tables, numbered and
  unnumbered sections, a citation, a note; test_crossref.py);
- a title made of LaTeX's special characters, and a short title of them for the running heads
  (test_templates.py);
- every pandoc construct whose LaTeX needs more than the body's usual packages, after the
  fixture's text, so that its table is the third (test_templates.py);
- enough text for a third page (the journal article's recto running head);
- a mistyped header key, which the build warns of at its line (test_end_to_end.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

DATA = Path(__file__).parent / "data" / "crossref"

#: as printed; the Markdown title writes the backslash as Markdown's escape `\\` (a backslash
#: before a letter is raw TeX in pandoc's Markdown), the plain `short-title` as it is
SPECIAL_TITLE = r"Profit & Loss, 100% of $5 for #1 at C:\new: A Study"
SPECIAL_SHORT = r"R&D 100% $5 #1 C:\tmp ~x^2_y {z}"
#: the mistyped key, on its own line of the header
TYPO = "titel: typo"

#: a heading whose quotation marks and dash pandoc writes as TeX ligatures (`` '' --); the PDF's
#: bookmark must read as the page does
QUOTED_HEADING = "## Fukuzawa's \"Independence\", 1868--1901 {-}"
BOOKMARK = "Fukuzawa\u2019s \u201cIndependence\u201d, 1868\u20131901"

#: Markdown whose LaTeX needs more than the body's usual packages: pandoc's writer says so
#: (tables, strikeout, highlighting) and _common/pandoc-support.tex.j2 loads it; after the heading.
EVERY_CONSTRUCT = QUOTED_HEADING + """

| Decade | Papers |
|--------|-------:|
| 1900s  |     12 |

: Newspapers per decade.

| Uncaptioned | Table |
|---|---|
| cell with a note^[A note in a table.] | plain |

Some ~~struck~~ text, [underlined]{.underline}, [marked]{.mark}, [small caps]{.smallcaps}, H~2~O.

- [ ] an open task
- [x] a done task

```python
def census(year):
    return year + 10
```

Term
:   Its definition.
"""


def write(folder: Path) -> Path:
    """The manuscript (with the fixture's figures and bibliography) in ``folder``: its paper.md."""
    shutil.copytree(DATA, folder)
    md = folder / "paper.md"
    text = md.read_text(encoding="utf-8")
    title = 'title: "Cross-references: A Fixture"\n'
    assert title in text
    markdown_title = SPECIAL_TITLE.replace("\\", "\\\\")
    text = text.replace(title, f"title: '{markdown_title}'\nshort-title: '{SPECIAL_SHORT}'\n{TYPO}\n")
    md.write_text(f"{text}\n{'More text. ' * 600}\n\n{EVERY_CONSTRUCT}", encoding="utf-8")
    return md
