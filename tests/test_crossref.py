"""Cross-references (pressroom/crossref.py): pandoc-crossref's ``{#fig:x}`` / ``@fig:x`` in Markdown.

The unit tests read small Markdown documents with pandoc and resolve them
without TeX; the end-to-end ones read back the session's builds of
``tests/data/crossref/`` (three figures, two tables, numbered and unnumbered
sections, a citation, a note) with each template, working-paper under
``--safe`` (conftest.feature_build: the fixture with the other features the
template tests read): the numbers in the text must be the ones LaTeX printed
under the captions.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import pdf_text, run_cli
from pressroom import crossref
from pressroom.errors import ManuscriptError
from pressroom.pandoc_ast import elements, read_markdown, stringify

FIGURES = """\
# One {#sec:one}

## Two {#sec:two}

# Three {- #sec:three}

![First](a.png){#fig:a}

![Second](b.png){#fig:b}

![Third](c.png){#fig:c}

![Fourth](d.png){#fig:d}

| x |
|---|
| 1 |

: A table {#tbl:t}
"""


def resolved(tmp_path: Path, text: str, *, fmt: str = "pandoc", secnumdepth: int = 0,
             keys: tuple[str, ...] = (), header: str = FIGURES) -> str:
    """The plain text of the last paragraph of ``header`` + ``text`` after the cross-references."""
    md = tmp_path / "paper.md"
    md.write_text(header + "\n" + text + "\n", encoding="utf-8")
    doc = crossref.resolve(read_markdown(md), fmt=fmt, source=md, secnumdepth=secnumdepth,
                           citation_keys=keys)
    return stringify(doc["blocks"][-1]).replace(crossref.NBSP, " ")


def error_of(tmp_path: Path, text: str, **kwargs) -> ManuscriptError:
    with pytest.raises(ManuscriptError) as info:
        resolved(tmp_path, text, **kwargs)
    return info.value


@pytest.mark.parametrize("text, expected", [
    ("We see @fig:b here.", "We see figure 2 here."),
    ("@fig:b shows it.", "Figure 2 shows it."),                      # a sentence starts with it
    ("It is clear. @fig:b shows it.", "It is clear. Figure 2 shows it."),
    ("Compare, e.g. @fig:b here.", "Compare, e.g. figure 2 here."),    # no sentence ends at e.g.
    ("As @Fig:b shows.", "As Figure 2 shows."),                       # asked for
    ("See [@fig:a; @fig:b].", "See figures 1 and 2."),
    ("See [@fig:b; @fig:a; @fig:c].", "See figures 1–3."),            # sorted, a run of three
    ("See [@fig:a; @fig:b; @fig:d].", "See figures 1, 2, and 4."),     # CMOS's serial comma
    ("See [@fig:a; @fig:b; @fig:c; @fig:d].", "See figures 1–4."),
    ("See [@fig:a; @tbl:t].", "See figure 1 and table 1."),
    ("See [@fig:a; @fig:a].", "See figure 1."),                        # the same one twice
    ("It is [-@fig:c] of four.", "It is 3 of four."),                  # the number alone
    ("Look [see @fig:c, right].", "Look see figure 3, right."),        # prefix and suffix
    ("As in @sec:three.", "As in section “Three”."),                   # unnumbered: its title
    ("As in [@sec:one; @sec:two].", "As in sections “One” and “Two”."),
])
def test_references_read_as_text(tmp_path, text, expected):
    assert resolved(tmp_path, text) == expected


def test_sections_are_numbered_as_the_template_numbers_them(tmp_path):
    text = "See @sec:one, @sec:two and @sec:three; also [@sec:one; @sec:two]."
    assert resolved(tmp_path, text, secnumdepth=2) == \
        "See section 1, section 1.1 and section “Three”; also sections 1 and 1.1."
    assert resolved(tmp_path, text, secnumdepth=1) == \
        "See section 1, section “Two” and section “Three”; also sections 1 and “Two”."


def test_a_reference_in_a_note_or_a_heading_is_resolved(tmp_path):
    md = tmp_path / "paper.md"
    md.write_text(FIGURES + "\n# About @fig:a\n\nText.[^1]\n\n[^1]: @tbl:t has it.\n", encoding="utf-8")
    doc = crossref.resolve(read_markdown(md), fmt="pandoc", source=md)
    assert stringify(doc["blocks"][-2]) == "About figure\xa01"
    note = next(elements(doc["blocks"], "Note"))
    assert stringify(note["c"]) == "Table\xa01 has it."
    assert not list(elements(doc["blocks"], "Cite"))


def test_latex_links_each_number_and_writes_no_raw_tex(tmp_path):
    md = tmp_path / "paper.md"
    md.write_text(FIGURES + "\nSee [@fig:a; @fig:b] and @sec:three.\n", encoding="utf-8")
    doc = crossref.resolve(read_markdown(md), fmt="latex", source=md)
    last = doc["blocks"][-1]
    assert [link["c"][2][0] for link in elements(last, "Link")] == ["#fig:a", "#fig:b"]
    assert not list(elements(doc, "RawInline", "RawBlock"))
    # other writers get plain text: no link to a bookmark a Word file may not have
    plain = crossref.resolve(read_markdown(md), fmt="pandoc", source=md)
    assert not list(elements(plain["blocks"][-1], "Link"))


def test_citations_are_left_to_the_citation_engine(tmp_path):
    md = tmp_path / "paper.md"
    md.write_text(FIGURES + "\nSee @fig:a and [@smith2001, 4].\n", encoding="utf-8")
    doc = crossref.resolve(read_markdown(md), fmt="pandoc", source=md)
    keys = [c["citationId"] for cite in elements(doc["blocks"], "Cite") for c in cite["c"][0]]
    assert keys == ["smith2001"]


def test_numbers_count_every_captioned_figure_and_table(tmp_path):
    header = ("![Unlabelled](u.png)\n\n![](inline.png) in text\n\n![Labelled](l.png){#fig:l}\n\n"
              "| x |\n|---|\n| 1 |\n\n| y |\n|---|\n| 2 |\n\n: Captioned\n\n"
              "| z |\n|---|\n| 3 |\n\n: {#tbl:z}\n")
    # LaTeX numbers the unlabelled captioned figure and table too; a table with a label gets a caption
    assert resolved(tmp_path, "See @fig:l and @tbl:z.", header=header) == "See figure 2 and table 2."


def test_unknown_label_names_its_line_and_the_nearest(tmp_path):
    err = error_of(tmp_path, "Fine @fig:a.\n\nSee @fig:cc and\n@fig:e.")
    assert err.message == "unknown cross-reference label `fig:cc`"
    assert err.line == FIGURES.count("\n") + 4
    assert err.hint == "did you mean @fig:c?"
    err = error_of(tmp_path, "See @sec:nowhere.")
    assert "{#sec:nowhere}" in err.hint


def test_the_nth_use_of_a_label_is_the_line_named(tmp_path):
    err = error_of(tmp_path, "See @fig:zz.\n\nAnd again\n@fig:zz.", keys=())
    assert err.line == FIGURES.count("\n") + 2


def test_a_label_that_is_a_citation_key_is_an_error(tmp_path):
    err = error_of(tmp_path, "See @fig:a.", keys=("fig:a",))
    assert "also a key of the bibliography" in err.message
    assert err.line == FIGURES.count("\n") + 2
    err = error_of(tmp_path, "See @fig:hartley.", keys=("fig:hartley",))
    assert "rename the entry's key" in err.hint


def test_a_cluster_of_references_and_citations_is_an_error(tmp_path):
    err = error_of(tmp_path, "See [@fig:a; @smith2001].")
    assert "mixes cross-references and citation keys" in err.message
    assert err.line == FIGURES.count("\n") + 2


@pytest.mark.parametrize("header, message", [
    ("![A](a.png){#fig:a}\n\n![B](b.png){#fig:a}\n", "given twice"),
    ("Text ![A](a.png){#fig:a} inline.\n", "an image that is not a figure"),
    ("# Heading {#fig:a}\n", "on a heading, but `fig:` labels figures"),
    ("![A](a.png){#tbl:a}\n", "on a figure, but `tbl:` labels tables"),
])
def test_misplaced_labels_are_errors_at_their_line(tmp_path, header, message):
    err = error_of(tmp_path, "See @fig:a.", header="Intro.\n\n" + header)
    assert message in err.message
    assert err.line == (5 if "twice" in message else 3)   # the second one


def test_no_reference_leaves_the_document_as_it_was(tmp_path):
    md = tmp_path / "paper.md"
    md.write_text(FIGURES + "\nNo reference, a citation [@smith2001].\n", encoding="utf-8")
    doc = read_markdown(md)
    assert crossref.resolve(doc, source=md) is doc


# ---- the check ---------------------------------------------------------------------

def test_the_check_finds_an_empty_reference_on_the_page():
    """LaTeX prints a \\ref to an unnumbered label as nothing ("Section ."), and warns of nothing."""
    from pressroom.check import _check_references
    for text in ("As Section . shows", "see figure , above", "in (see table )"):
        finding = _check_references([text], None)
        assert not finding.ok and "empty reference" in finding.reason, text
    for text in ("As section 2 shows. A table, and figures.", "Section ?? is missing.", "sections 1–3."):
        assert _check_references([text], None).ok, text


def test_the_check_names_a_ref_to_an_unnumbered_label(tmp_path):
    from pressroom.check import References, _check_references, empty_in_aux
    aux, tex, pdf = tmp_path / "p.aux", tmp_path / "p.tex", tmp_path / "p.pdf"
    aux.write_text("\\newlabel{sec:a}{{}{2}{}{section*.1}{}}\n\\newlabel{sec:b}{{1}{1}{B}{section.1}{}}\n"
                   "\\newlabel{sec:c}{{}{3}{}{section*.2}{}}\n")
    tex.write_text("See Section~\\ref{sec:a} and \\ref{sec:b}; \\pageref{sec:c}.\n")
    pdf.write_bytes(b"%PDF")
    empty = empty_in_aux(aux, tex, pdf)
    assert empty == (("sec:a", "2"),)
    finding = _check_references(["See Section . and 1; 3."], References(empty=empty))
    assert not finding.ok and finding.reason.startswith("\\ref{sec:a} prints nothing")
    assert "empty reference" not in finding.reason     # named once, by its label


# ---- end to end --------------------------------------------------------------------

@pytest.mark.parametrize("template", ["working-paper", "journal-article", "anonymous-review"])
def test_references_in_the_pdf_are_the_numbers_latex_printed(feature_build, template):
    out = feature_build(template)
    text = pdf_text(out / "paper.pdf")
    # the captions, as LaTeX numbered them
    for caption in ("Figure 1: The harbour in 1880", "Figure 2: Ships entered", "Figure 3: A plate",
                    "Table 1: Trade through the harbour", "Table 2: Ships in port"):
        assert caption in text
    for phrase in ("Figure 1 shows the harbour", "the trade is in table 1 and the ships in table 2",
                   "See figures 1–3 for all of them", "and figures 1 and 2 for the first two",
                   "tabulated in tables 1 and 2", "the map is 1 of figure 1 and table 1",
                   "Figure 2 draws them; compare section “Conclusion”", "and Figure 3."):
        assert phrase in text, phrase
    if template == "journal-article":   # numbered sections and subsections
        assert "discussed in section 1.1 and the conclusions in section “Conclusion”" in text
        assert "As section 1 said" in text
    else:
        assert "discussed in section “Sources” and the conclusions in section “Conclusion”" in text
        assert "As section “Introduction” said" in text
    assert not re.search(r"@(fig|tbl|sec):", text)
    assert "Hartley, Harbours and Hinterlands" in text   # the citation beside them
    report = json.loads((out / "paper.check.json").read_text())
    assert all(row["ok"] for row in report), report
    tex = (out / "paper.tex").read_text()
    assert "\\hyperref[fig:map]{1}" in tex and "\\ref{" not in tex


def test_the_check_fails_a_ref_to_an_unnumbered_section(tmp_path):
    """A raw \\ref to an unnumbered heading prints "Section ." and no LaTeX warning: the check says so.
    (A paper of its own: the fixture's sections, without its figures, tables and notes.)"""
    md = tmp_path / "paper.md"
    md.write_text("---\ntitle: Sections\nversion-date: 2026-03-14\n---\n\n# Introduction {#sec:intro}\n\n"
                  "Text.\n\n## Sources {#sec:sources}\n\nThe records.\n\n# Conclusion {- #sec:end}\n\n"
                  "As Section~\\ref{sec:sources} said, the last word goes back to @sec:intro.\n",
                  encoding="utf-8")
    result = run_cli(md, "--out", tmp_path / "out", check=False)
    assert result.returncode == 1
    assert "\\ref{sec:sources} prints nothing" in result.stdout + result.stderr


def test_a_renumbered_reference_is_marked_in_the_changes_pdf(tmp_path):
    """latexdiff, as `diff` runs it, marks a number that changed inside its link (fast: no TeX)."""
    from pressroom.changes import LATEXDIFF_OPTIONS
    for name, number in (("old.tex", 1), ("new.tex", 2)):
        (tmp_path / name).write_text("\\documentclass{article}\n\\begin{document}\n"
                                     f"See figure~\\hyperref[fig:map]{{{number}}} here.\n\\end{{document}}\n")
    out = subprocess.run(["latexdiff", *LATEXDIFF_OPTIONS, "--", "old.tex", "new.tex"], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    assert re.search(r"\\hyperref\[fig:map\]\{\\DIFdelbegin \\DIFdel\{1\}\\DIFdelend "
                     r"\\DIFaddbegin \\DIFadd\{2\}\\DIFaddend \}", out), out
