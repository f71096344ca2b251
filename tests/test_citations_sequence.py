"""Full, short or Ibid. (docs/citation-styles.md, "Full notes, short notes, Ibid."), cluster joining,
capitals, stops."""

from __future__ import annotations

from pybtex.richtext import Text

from pressroom.citations.bibliography import parse_bibtex
from pressroom.citations.chicago import Style
from pressroom.citations.sequence import CitationItem, NoteSequencer, add_final_stop

BIB = parse_bibtex("""
@book{a, author={Alpha, Ann}, title={Book A: Sub}, publisher={P}, date={2000}}
@book{b, author={Beta, Bob}, title={Book B}, publisher={P}, date={2001}}
@book{c, author={Gamma, Cy}, title={Book C}, publisher={P}, date={2002}}
""", file="seq.bib")


def run(notes, **kw):
    """``notes``: list of notes; a note is a list of (key, suffix) items, or
    None for a footnote without citation. Returns the rendered notes."""
    seq = NoteSequencer(Style(style=kw.pop("style", "working-paper"), **kw), BIB)
    out = []
    for items in notes:
        if items is None:
            seq.begin_note([])
            seq.end_note()
            out.append(None)
            continue
        text = seq.note([CitationItem(k, suffix=s) for k, s in items])
        out.append(plain(text))
    return out


def plain(text) -> str:
    return Style(style="working-paper").render(text, "text").replace("\u00a0", " ")


FULL_A = "Ann Alpha, Book A: Sub (P, 2000)"


def test_first_citation_is_full_then_ibid_with_locator():
    assert run([[("a", "")], [("a", "3–8")], [("a", "2")]]) == [
        f"{FULL_A}.", "Ibid., pp. 3–8.", "Ibid., p. 2."]


def test_ibid_without_locator_in_either_note():
    assert run([[("a", "")], [("a", "")]])[1] == "Ibid."


def test_previous_had_locator_this_has_none_gives_short_note():
    assert run([[("a", "5")], [("a", "")]])[1] == "Alpha, Book A."


def test_first_citation_is_full_even_after_other_source():
    assert run([[("a", "")], [("b", "4")]])[1] == "Bob Beta, Book B (P, 2001), p. 4."


def test_later_citation_after_other_source_is_short():
    assert run([[("a", "")], [("b", "")], [("a", "9")]])[2] == "Alpha, Book A, p. 9."


def test_multi_source_note_is_never_ibid_and_next_note_not_either():
    out = run([[("a", "")], [("a", "1"), ("b", "")], [("b", "2")]])
    assert out[1] == "Alpha, Book A, p. 1; Bob Beta, Book B (P, 2001)."
    assert out[2] == "Beta, Book B, p. 2."


def test_footnote_without_citation_breaks_ibid_chain():
    out = run([[("a", "")], None, [("a", "3")]])
    assert out[2] == "Alpha, Book A, p. 3."


def test_ibid_can_be_switched_off():
    assert run([[("a", "")], [("a", "3")]], ibid=False)[1] == "Alpha, Book A, p. 3."


def test_prefix_is_capitalised_and_ibid_lowercase_after_it():
    seq = NoteSequencer(Style(style="working-paper"), BIB)
    seq.note([CitationItem("a")])
    text = seq.note([CitationItem("a", prefix=Text("see"), suffix=", 5")])
    assert plain(text) == "See ibid., p. 5."


def test_cluster_joined_with_semicolons_and_prefixes_kept():
    seq = NoteSequencer(Style(style="working-paper"), BIB)
    text = seq.note([CitationItem("a", prefix=Text("For example:")), CitationItem("b"),
                     CitationItem("c", prefix=Text("and"))])
    assert plain(text) == ("For example: Ann Alpha, Book A: Sub (P, 2000); Bob Beta, Book B (P, 2001); "
                         "and Cy Gamma, Book C (P, 2002).")


def test_suffix_text_after_locator_is_kept():
    seq = NoteSequencer(Style(style="working-paper"), BIB)
    text = seq.note([CitationItem("a", suffix=", 33, emphasis added")])
    assert plain(text) == f"{FULL_A}, p. 33, emphasis added."


def test_final_stop_not_doubled():
    assert str(add_final_stop(Text("Ibid."))) == "Ibid."
    assert str(add_final_stop(Text("A, eds."))) == "A, eds."
    assert str(add_final_stop(Text("“Why?”"))) == "“Why?”"
    assert str(add_final_stop(Text("(n.d.), p. 4"))) == "(n.d.), p. 4."


def test_same_source_twice_in_one_explicit_note():
    seq = NoteSequencer(Style(style="working-paper"), BIB)
    seq.begin_note(["a", "a"])
    first = seq.cluster([CitationItem("a", suffix="3")], note_initial=False)
    second = seq.cluster([CitationItem("a", suffix="5")], note_initial=False)
    seq.end_note()
    assert plain(first).endswith("p. 3")
    assert plain(second) == "ibid., p. 5"
    assert seq.decisions == [("a", "full"), ("a", "ibid")]


def test_a_column_typed_or_counted_by_pagination_is_the_same_place():
    """``pagination = {column}``: "181" and "col. 181" name one place, so the second is a bare
    "Ibid." in both orders; the label is printed either way (CMOS 14.156)."""
    bib = parse_bibtex("@book{m, editor={Migne, J.-P.}, title={Patrologia}, pagination={column}, "
                       "location={Paris}, date={1862}}", file="m.bib")
    seq = NoteSequencer(Style(style="chicago"), bib)
    notes = [plain(seq.note([CitationItem("m", suffix=s)])) for s in (", 181", ", col. 181", ", 182")]
    assert notes == ["J.-P. Migne, ed., Patrologia (Paris, 1862), col. 181.", "Ibid.", "Ibid., col. 182."]


def test_an_article_of_a_reference_work_in_the_zotero_shape_is_cited_by_page():
    """``title`` the article, ``booktitle`` the work: a page is a page (a listed deviation from
    biblatex-chicago's "s.v. “513”"); a headword is still "s.v."; CMOS 14.232."""
    bib = parse_bibtex("@inreference{k, author={Tanaka, Akira}, title={Meiji ishin}, "
                       "booktitle={Kokushi daijiten}, volume={13}, publisher={P}, date={1992}, "
                       "pages={512--518}}", file="k.bib")
    seq = NoteSequencer(Style(style="chicago"), bib)
    notes = [plain(seq.note([CitationItem("k", suffix=s)])) for s in (", 513", ", Ōsei fukko")]
    assert notes == ["Meiji ishin, in Kokushi daijiten, vol. 13 (P, 1992), 513, by Akira Tanaka.",
                     "Ibid., s.v. “Ōsei fukko.”"]
