"""Property test: random Markdown, YAML and BibTeX fragments go through the
parse (YAML header), notes (citation engine) and render (pandoc to LaTeX,
then the journal template) steps, and the only exception ever raised is the
project's own PressroomError: bad input is a clear message, never a
traceback. Real pandoc, no TeX (that is what the end-to-end tests are for).
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressroom.citations.notes import list_notes
from pressroom.config import build_settings
from pressroom.convert import convert
from pressroom.errors import PressroomError, Warnings
from pressroom.manuscript import read_manuscript
from pressroom.render import render

SPECIALS = "\\{}$&%#_^~[]@*`<>|:\"'-!\n \t.,;"
TEXT = st.text(alphabet=st.sampled_from(list("abcXYZ019 éō漢") + list(SPECIALS)), max_size=25)

MARKDOWN_SNIPPETS = [
    "# Heading", "## Sub *heading*", "Plain words.", "A citation.[@smith2001]",
    "[@smith2001, 12]", "[see @smith2001, chap. 3; @jones1999]", "[@smith2001, para. 4]",
    "[@nosuchkey]", "@smith2001 says", "A note.[^n]", "[^n]: The note [@jones1999, 5].",
    "[^orphan]", "> quoted", "- item\n- item [@smith2001]", "1. one\n2. two",
    "| a | b |\n|---|---|\n| 1 | 2 |", "```\ncode [@smith2001]\n```", "`inline`",
    "$x^2$", "$$\n\\frac{1}{2}\n$$", "\\emph{raw}", "```{=latex}\n\\relax\n```",
    "![fig](missing.png)", "![fig](../outside.png)", "<div>html</div>", "***", "---", "",
    "::: note\nfenced div\n:::", "Term\n:   definition", "[link](http://example.org)",
]
MARKDOWN = st.lists(st.one_of(st.sampled_from(MARKDOWN_SNIPPETS), TEXT), max_size=8).map("\n\n".join)

SCALAR = st.one_of(TEXT, st.integers(-5, 5), st.floats(-2, 2, allow_nan=False), st.booleans(),
                   st.none(), st.dates().map(str))
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(TEXT, inner, max_size=3)),
                     max_leaves=6)
KEYS = ["title", "subtitle", "author", "abstract", "keywords", "subject", "version-date",
        "draft-notice", "template", "lang", "citations", "draft", "acknowledgments",
        "citation-ibid", "citation-date-order", "short-title", "unknown-key"]
AUTHOR = st.one_of(TEXT, st.lists(st.one_of(TEXT, st.fixed_dictionaries(
    {"name": TEXT}, optional={"affiliation": VALUE, "email": VALUE})), max_size=2))
DRAFT = st.fixed_dictionaries({}, optional={"text": VALUE, "footer": VALUE, "color": VALUE,
                                            "opacity": VALUE})
HEADER_DICT = st.dictionaries(st.sampled_from(KEYS), st.one_of(SCALAR, SCALAR, VALUE), max_size=5).flatmap(
    lambda d: st.fixed_dictionaries({k: st.just(v) for k, v in d.items() if k not in ("author", "draft")},
                                    optional={"author": AUTHOR, "draft": DRAFT}))


def _dump(d: dict) -> str:
    return yaml.safe_dump(d, allow_unicode=True, sort_keys=False)


HEADER = st.one_of(HEADER_DICT.map(_dump), HEADER_DICT.map(_dump), HEADER_DICT.map(_dump), TEXT,
                   st.lists(TEXT, max_size=4).map("\n".join))

ENTRY = st.builds(
    lambda key, kind, title, author, year, junk: (
        f"@{kind}{{{key},\n  author = {{{author}}},\n  title = {{{title}}},\n"
        f"  publisher = {{P}},\n  year = {{{year}}}\n}}\n{junk}"),
    st.sampled_from(["smith2001", "jones1999", "smith2001"]),
    st.sampled_from(["book", "article", "incollection", "misc", "online", "nonsense"]),
    TEXT, TEXT, st.one_of(st.integers(0, 3000).map(str), TEXT), TEXT)
BIBTEX = st.lists(ENTRY, max_size=3).map("\n".join)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(header=HEADER, body=MARKDOWN, bib=BIBTEX, with_bib=st.booleans())
def test_random_input_raises_only_pressroom_errors(header, body, bib, with_bib):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ms"
        folder.mkdir()
        if with_bib:
            (folder / "refs.bib").write_text(bib, encoding="utf-8")
            header = header + "\nbibliography: refs.bib" if header.endswith("\n") else header
        md = folder / "paper.md"
        md.write_text(f"---\n{header}\n---\n\n{body}\n", encoding="utf-8")
        quiet = Warnings()
        quiet.warn = lambda *args, **kwargs: None  # type: ignore[method-assign]
        # any other exception fails the test
        try:
            manuscript = read_manuscript(md, quiet)
        except PressroomError:
            return
        with contextlib.suppress(PressroomError):
            list_notes(md, bibliography=list(manuscript.bibliographies) or None, warn=quiet.warn)
        with contextlib.suppress(PressroomError):
            built = build_settings(manuscript, out_dir=Path(tmp) / "out", warnings=quiet)
            convert(built, quiet)
            render(built)
