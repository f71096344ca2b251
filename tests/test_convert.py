"""The convert stage with real pandoc: pandoc writes each top-level block the
same whatever surrounds it, so a rebuild writes only the blocks that changed
and still gives the bytes of a cold build; what the body needs from the
preamble stays exact."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

import pressroom.latexblocks as writer_module
from conftest import SAMPLE
from pressroom.config import build_settings
from pressroom.convert import WRITE_CACHE, convert
from pressroom.errors import Warnings
from pressroom.manuscript import read_manuscript

TABLE = "\n| Decade | Papers |\n|---|--:|\n| 1900s | 12 |\n\n"
STRUCK = "\nA ~~struck~~ word.\n\n"
#: a phrase of the sample manuscript, and its edit (one paragraph changes)
ANCHOR = "Within a single generation"
EDITED = "Within one generation"


def outputs(md, out):
    """Convert ``md`` into ``out``; the body, the front matter, and the blocks pandoc was given."""
    written: list[int] = []
    real = writer_module.run_pandoc

    def counting(args, **kw):
        if args[args.index("--from") + 1] == "json":
            written.append(len(json.loads(kw["input"])["blocks"]))
        return real(args, **kw)

    writer_module.run_pandoc = counting
    try:
        settings = build_settings(read_manuscript(md, Warnings()), out_dir=out, warnings=Warnings())
        out.mkdir(parents=True, exist_ok=True)
        result = convert(settings, Warnings())
    finally:
        writer_module.run_pandoc = real
    front = json.loads(result.front.read_text(encoding="utf-8"))
    return result.body.read_text(encoding="utf-8"), front, written


def _write_paper(folder):
    """The sample manuscript (its folder copied into ``folder``) without its table, so that a test
    can add what the body needs and take it away again."""
    shutil.copytree(SAMPLE.parent, folder)
    md = folder / SAMPLE.name
    text = md.read_text(encoding="utf-8")
    md.write_text(re.sub(r"\n\|.*?\n\n: [^\n]*\n", "\n", text, count=1, flags=re.DOTALL), encoding="utf-8")
    assert "| Tōkyō" not in md.read_text(encoding="utf-8")
    return md


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """cold(md) → the body and front matter of a convert of ``md`` from scratch (no cache), made
    once per manuscript text and module: several tests compare with the same cold build. Every
    manuscript given is in a copy of the sample's folder (the same .bib and figures)."""
    made: dict[str, tuple] = {}

    def _cold(md):
        text = md.read_text(encoding="utf-8")
        if text not in made:
            made[text] = outputs(md, tmp_path_factory.mktemp("cold"))[:2]
        return made[text]
    return _cold


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The paper converted once from scratch: its build folder (the block cache in it) and the
    blocks pandoc was given."""
    md = _write_paper(tmp_path_factory.mktemp("converted") / "src")
    out = md.parent.parent / "out"
    return out, outputs(md, out)[2]


@pytest.fixture
def paper(tmp_path):
    return _write_paper(tmp_path / "src")


@pytest.fixture
def warm(converted, tmp_path):
    """This test's copy of ``converted``'s build folder: what converting ``paper`` from scratch
    would have made there (a paper converted from scratch, then edited, starts from it); and the
    blocks that convert gave pandoc."""
    shutil.copytree(converted[0], tmp_path / "warm")
    return tmp_path / "warm", converted[1]


def edit(md, old, new):
    text = md.read_text(encoding="utf-8")
    assert old in text
    md.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_one_paragraph_edit_writes_one_block_and_matches_a_cold_build(paper, warm, cold):
    warm, first = warm
    edit(paper, ANCHOR, EDITED)
    body, front, written = outputs(paper, warm)
    assert sum(first) > 50 and written == [2], "one unit mark and the edited paragraph"
    assert (body, front) == cold(paper)
    assert EDITED in body


def test_a_paper_with_a_table_and_code_still_rewrites_only_the_edited_block(paper, tmp_path, cold):
    """The cold build finds out which blocks need the table and code packages (a few extra pandoc
    calls, two at a time); after that an edit writes one block, as for plain prose."""
    edit(paper, ANCHOR, TABLE.strip() + "\n\n```python\nprint(1)\n```\n\n" + ANCHOR)
    warm = tmp_path / "warm"
    _, front, first = outputs(paper, warm)
    assert {"tables", "highlighting"} <= set(front["needs"]) and len(first) > 1
    edit(paper, ANCHOR, EDITED)
    body, front, written = outputs(paper, warm)
    assert written == [2]
    assert (body, front) == cold(paper)


def test_nothing_changed_in_the_body_calls_no_writer(paper, warm):
    _, _, written = outputs(paper, warm[0])
    assert written == []


@pytest.mark.parametrize("addition, need", [(TABLE, "tables"), (STRUCK, "strikeout")])
def test_needs_stay_exact_when_blocks_that_need_something_come_and_go(paper, warm, cold, addition, need):
    warm = warm[0]
    anchor = ANCHOR
    edit(paper, anchor, addition.strip() + "\n\n" + anchor)
    body, front, _ = outputs(paper, warm)
    assert need in front["needs"] and (body, front) == cold(paper)
    edit(paper, ANCHOR, EDITED)  # another edit, need elsewhere
    body, front, _ = outputs(paper, warm)
    assert need in front["needs"] and (body, front) == cold(paper)
    edit(paper, addition.strip() + "\n\n", "")
    body, front, _ = outputs(paper, warm)
    assert need not in front["needs"] and (body, front) == cold(paper)


def test_highlighted_code_brings_its_macros_from_the_cache(tmp_path, cold):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE.parent, src)
    md = src / SAMPLE.name
    edit(md, "\n# ", "\n```python\nprint('census')\n```\n\n# ")
    warm = tmp_path / "warm"
    outputs(md, warm)
    text = md.read_text(encoding="utf-8")
    md.write_text(text.replace("print('census')", "print('survey')"), encoding="utf-8")
    body, front, _ = outputs(md, warm)
    assert "highlighting" in front["needs"] and "\\newenvironment{Shaded}" in front["highlighting_macros"]
    assert (body, front) == cold(md)


def test_a_stale_or_broken_cache_is_ignored(paper, warm, cold):
    warm = warm[0]
    (warm / WRITE_CACHE).write_text("{not json", encoding="utf-8")
    assert outputs(paper, warm)[:2] == cold(paper)
    cache = json.loads((warm / WRITE_CACHE).read_text(encoding="utf-8"))
    cache["identity"] = "another pandoc"
    (warm / WRITE_CACHE).write_text(json.dumps(cache), encoding="utf-8")
    body, front, written = outputs(paper, warm)
    assert sum(written) > 50 and (body, front) == cold(paper)


# -- the property behind the cache ---------------------------------------------


BLOCKS = [
    "# A heading {#sec-a}", "## Another *heading*", "Plain words with a citation.[@smith2001, 12]",
    "Ibid. follows.[@smith2001, 13]", "A second source.[@jones1999]",
    "A note.[^n]\n\n[^n]: Its text [@jones1999, 5].",
    "(@) An example.", "(@good) A labelled example, see (@good).", "| Line one\n|   line two",
    "Term\n:   Its definition.", "- a\n    - nested\n- b", "3. three\n4. four", "> A quotation.\n>\n> Two.",
    "| a | b |\n|---|--:|\n| 1 | 2 |\n\n: Caption {#tbl-x}", "| a | b |\n|---|---|\n| x^[in a table] | y |",
    "```python\nprint(1)\n```", "```\nplain\n```", "~~struck~~ and [marked]{.mark}", "$$x = \\frac{1}{2}$$",
    "Inline $a^2$ and `code`.", "::: {.note}\nIn a div.\n:::", "<div>html</div>", "***",
    "See [the heading](#sec-a).",
    "A [link](https://example.org) and <https://example.org/a_b>.", "[Small Caps]{.smallcaps} and H~2~O.",
]
BIB = """@book{smith2001, author = {Smith, John}, title = {A Book}, publisher = {P}, address = {L},
  year = {2001}}
@book{jones1999, author = {Jones, Ann}, title = {Another}, publisher = {P}, address = {L}, year = {1999}}
"""


@hyp_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=st.lists(st.sampled_from(BLOCKS), min_size=1, max_size=8),
       where=st.integers(0, 8), new=st.one_of(st.none(), st.sampled_from(BLOCKS)), drop=st.booleans())
def test_a_rebuild_after_any_edit_equals_a_cold_build(tmp_path_factory, first, where, new, drop):
    """Pandoc writes each block alone as it writes it among the others: whatever the edit
    (a block replaced, inserted or removed), the cached rebuild gives the cold build's files.
    (400 examples passed once; 25 run each time.)"""
    tmp = tmp_path_factory.mktemp("prop")
    md = tmp / "paper.md"
    (tmp / "refs.bib").write_text(BIB, encoding="utf-8")
    header = "---\ntitle: Property\nversion-date: 2026-03-14\nbibliography: refs.bib\n---\n\n"

    def text(blocks: list[str]) -> str:   # each note its own label: a label defined twice is an error
        labelled = [b.replace("[^n]", f"[^n{i}]") for i, b in enumerate(blocks)]
        return header + "\n\n".join(labelled) + "\n"
    md.write_text(text(first), encoding="utf-8")
    outputs(md, tmp / "warm")
    second = list(first)
    i = min(where, len(second))
    if drop and second and i < len(second):
        del second[i]
    if new is not None:
        second.insert(i, new)
    assume(second)   # a manuscript with no text is an error
    md.write_text(text(second), encoding="utf-8")
    assert outputs(md, tmp / "warm")[:2] == outputs(md, tmp / "cold")[:2]
