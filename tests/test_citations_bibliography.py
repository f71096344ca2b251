"""Loading .bib files: fields, dates, names, errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CORPUS, needs_corpus
from pressroom.citations.bibliography import (Name, load_bibliography, parse_bibtex,
                                              parse_names, to_rich)
from pressroom.errors import BibliographyError


def one(src: str):
    bib = parse_bibtex(src, file="test.bib")
    assert len(bib) == 1
    return next(iter(bib.values()))


def test_classic_and_biblatex_field_names():
    e = one("@article{a, journal={J}, address={Paris}, year={1999}, month=jul, school={S}}")
    assert e.fields["journaltitle"] == "J"
    assert e.fields["location"] == "Paris"
    assert e.fields["institution"] == "S"
    assert e.date == (1999, 7, None)


@pytest.mark.parametrize("date, parsed", [
    ("1949-07-11", (1949, 7, 11)), ("2017-04", (2017, 4, None)), ("2009", (2009, None, None)),
])
def test_partial_iso_dates(date, parsed):
    assert one(f"@article{{a, date={{{date}}}}}").date == parsed


def test_no_date():
    assert one("@book{a, title={T}}").date == (None, None, None)


def test_en_dash_in_any_field_and_utf8():
    e = one("@article{a, title={Mao’s 1945--1990 Ūmi}, pages={3--42}}")
    assert str(to_rich(e.fields["title"])) == "Mao’s 1945–1990 Ūmi"
    assert str(to_rich(e.fields["pages"])) == "3–42"


def test_latex_in_fields():
    text = to_rich(r"Caf\'e {NATO} \emph{Word} 50\% \& more")
    assert str(text) == "Café NATO Word 50% & more"
    assert text.render_as("html") == "Café NATO <em>Word</em> 50% &amp; more"


def test_titles_are_not_recased():
    e = one("@book{a, title={the lower-case TITLE of a Book}, langid={english}}")
    assert e.fields["title"] == "the lower-case TITLE of a Book"


def test_extra_fields_kept():
    e = one("@article{a, usere={Tr}, booktitleaddon={B}, journaltitleaddon={J}, "
            "shorttitle={S}, issue={Fall}, entrysubtype={magazine}, langid={japanese}}")
    for f, v in [("usere", "Tr"), ("booktitleaddon", "B"), ("journaltitleaddon", "J"),
                 ("shorttitle", "S"), ("issue", "Fall"), ("entrysubtype", "magazine")]:
        assert e.fields[f] == v


# ---- names ---------------------------------------------------------------

def test_classic_names():
    names = parse_names("Dittmer, Lowell and Lorenz M. Lüthi")
    assert [n.full() for n in names] == ["Lowell Dittmer", "Lorenz M. Lüthi"]
    assert [n.short() for n in names] == ["Dittmer", "Lüthi"]


def test_von_and_jr():
    n = parse_names("van Gogh, Jr., Vincent")[0]
    assert n.full() == "Vincent van Gogh Jr."
    assert n.short() == "van Gogh"


def test_entry_option_cjk_makes_every_name_family_first():
    e = one("@book{a, author={Takahashi, Nobuo and Chen, Jian}, editor={Mōri, Kazuko}, "
            "options={nametemplates=cjk}}")
    assert [p.full() for p in e.persons["author"]] == ["Takahashi Nobuo", "Chen Jian"]
    assert [p.short() for p in e.persons["author"]] == ["Takahashi", "Chen"]
    assert e.persons["editor"][0].full() == "Mōri Kazuko"
    assert e.family_first


def test_extended_name_format_per_name_option():
    e = one("@book{a, author={given=Sergei, family=Goncharov and given=John, family=Lewis "
            "and given=Litai, family=Xue, nametemplates=cjk}}")
    names = e.persons["author"]
    assert all(isinstance(n, Name) for n in names)
    assert [n.family_first for n in names] == [False, False, True]
    assert [n.full() for n in names] == ["Sergei Goncharov", "John Lewis", "Xue Litai"]
    assert names[2].short() == "Xue"


def test_extended_name_with_prefix_and_braces():
    n = parse_names("given={Ludwig}, prefix=van, family=Beethoven")[0]
    assert n.full() == "Ludwig van Beethoven"
    assert n.short() == "van Beethoven"


def test_corporate_name_in_double_braces():
    e = one("@book{a, author={{U.S. Department of State}}}")
    n = e.persons["author"][0]
    assert n.corporate
    assert n.full() == n.short() == "U.S. Department of State"


def test_corporate_name_with_and_inside_braces():
    names = parse_names("{Barnes and Noble} and Smith, John")
    assert [n.full() for n in names] == ["Barnes and Noble", "John Smith"]


# ---- errors ----------------------------------------------------------------

def test_duplicate_keys_name_both_lines(tmp_path: Path):
    bib = tmp_path / "refs.bib"
    bib.write_text("% c\n@book{a,\n  title={X},\n}\n\n@article{b, title={Y}}\n@book{a,\n title={Z}}\n",
                   encoding="utf-8")
    with pytest.raises(BibliographyError) as err:
        load_bibliography(bib)
    e = err.value
    assert e.file == bib and e.line == 7
    assert "2" in e.message and "7" in e.message and "'a'" in e.message


def test_duplicate_key_across_files(tmp_path: Path):
    (tmp_path / "a.bib").write_text("@book{k, title={X}}\n", encoding="utf-8")
    (tmp_path / "b.bib").write_text("\n@book{k, title={Y}}\n", encoding="utf-8")
    with pytest.raises(BibliographyError) as err:
        load_bibliography([tmp_path / "a.bib", tmp_path / "b.bib"])
    assert err.value.line == 2 and "a.bib:1" in err.value.message


def test_syntax_error_names_the_line(tmp_path: Path):
    bib = tmp_path / "refs.bib"
    bib.write_text("@book{a,\n  title={X},\n}\n\n@book{b,\n  title = {Y}\n  author = {Z}\n}\n",
                   encoding="utf-8")
    with pytest.raises(BibliographyError) as err:
        load_bibliography(bib)
    assert err.value.file == bib
    assert err.value.line == 7
    assert "syntax error" in str(err.value)


def test_missing_file(tmp_path: Path):
    with pytest.raises(BibliographyError) as err:
        load_bibliography(tmp_path / "nope.bib")
    assert err.value.file == tmp_path / "nope.bib"


def test_bad_extended_name_part():
    with pytest.raises(BibliographyError) as err:
        parse_bibtex("@book{a,\n author={given=A, family=B, colour=red}}\n", file="x.bib")
    assert err.value.line == 1 and "colour" in err.value.message


@needs_corpus
def test_corpus_bibliography_loads():
    path = CORPUS / "situational-cordiality" / "references.bib"
    bib = load_bibliography(path)
    assert len(bib) == 44
    assert bib["dittmer1992"].line == 13
