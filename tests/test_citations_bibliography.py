"""Loading .bib files as biber does: fields, dates, names, lists, data
inheritance, errors that skip one entry, and the parse cache.

Where a test says "biber", the behaviour was checked with biber 2.18 and
biblatex-chicago (``notes``) on the same input."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pybtex.database import Person
from pybtex.richtext import HRef, String, Tag, Text

from conftest import CORPUS, needs_corpus
from pressroom.citations import bibliography as bibmod
from pressroom.citations.bibliography import (
    INHERITANCE,
    BibDate,
    Bibliography,
    Name,
    load_bibliography,
    parse_bibtex,
    parse_date,
    parse_edtf,
    parse_names,
    plain,
    to_rich,
)
from pressroom.errors import BibliographyError

DATA = Path(__file__).parent / "data" / "bib"


def one(src: str):
    bib = parse_bibtex(src, file="test.bib")
    assert len(bib) == 1, bib.warnings
    return next(iter(bib.values()))


def load(src: str):
    """A bibliography and the warnings it gave (message, line)."""
    got: list[tuple[str, int | None]] = []
    bib = parse_bibtex(src, file="test.bib", warn=lambda m, file=None, line=None: got.append((m, line)))
    return bib, got


def test_classic_and_biblatex_field_names():
    e = one("@article{a, journal={J}, address={Paris}, year={1999}, month=jul, school={S}}")
    assert e.fields["journaltitle"] == "J"
    assert e.fields["location"] == "Paris"
    assert e.fields["institution"] == "S"
    assert e.date == (1999, 7, None)


def test_biblatex_name_wins_over_its_alias_in_any_order():
    assert one("@article{a, journal={J}, journaltitle={JT}}").fields["journaltitle"] == "JT"
    assert one("@article{a, journaltitle={JT}, journal={J}}").fields["journaltitle"] == "JT"


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


def test_entry_location_and_options():
    bib = parse_bibtex("% c\n@book{a,\n  title={T},\n  options={useprefix=true, nametemplates=cjk}}\n",
                       file="refs.bib")
    e = bib["a"]
    assert (e.key, e.file, e.line) == ("a", Path("refs.bib"), 2)
    assert e.options == {"useprefix": "true", "nametemplates": "cjk"}
    assert e.family_first and e.useprefix
    assert "options" not in e.fields


# ---- field values: LaTeX ----------------------------------------------------

@pytest.mark.parametrize("latex, text", [
    (r"S\o ren", "Søren"), (r"{\"O}zdemir", "Özdemir"), (r"\c{c}a", "ça"), (r"\'{e}t\'e", "été"),
    (r"\v{S}koda", "Škoda"), (r"{\aa}berg", "åberg"), (r"Stra\ss{}e", "Straße"), (r"\ss", "ß"),
    (r"na\"{\i}ve", "naïve"), (r"\L{}\'od\'z", "Łódź"), (r"\H{o}", "ő"), (r"\k{a}", "ą"),
    (r"\={a}", "ā"), (r"\u{a}", "ă"), (r"\.z", "ż"), (r"\r{u}", "ů"), (r"\~n", "ñ"), (r"\^o", "ô"),
    (r"\`a", "à"), (r"\AE{}gir", "Ægir"), (r"\oe uvre", "œuvre"), (r"\' e", "é"),
    (r"\textregistered", "®"), (r"G\"{o}del", "Gödel"),
])
def test_accents_and_special_letters(latex, text):
    assert str(to_rich(latex)) == text


def test_a_space_ends_a_command_as_in_tex():
    assert plain(r"S\o ren Kierkegaard") == "Søren Kierkegaard"
    assert plain(r"\ss{} and \ss x") == "ß and ßx"


def test_quotations_and_nested_emphasis_are_tags():
    text = to_rich(r"A \mkbibquote{Q \emph{E \mkbibemph{I}}} and \enquote{R}")
    assert text == Text("A ", Tag("q", "Q ", Tag("em", "E ", Tag("em", "I"))), " and ", Tag("q", "R"))


@pytest.mark.parametrize("cmd", ["emph", "textit", "mkbibemph", "mkbibitalic", "textsl"])
def test_italic_commands(cmd):
    assert to_rich(rf"\{cmd}{{x}}") == Text(Tag("em", "x"))


def test_italic_and_bold_declarations_and_commands():
    assert to_rich(r"{\em x} y") == Text(Tag("em", "x"), " y")
    assert to_rich(r"{\itshape x}") == Text(Tag("em", "x"))
    assert to_rich(r"\textbf{B} \mkbibbold{C}") == Text(Tag("strong", "B"), " ", Tag("strong", "C"))


@pytest.mark.parametrize("latex, text", [
    (r"a\addspace b", "a b"), (r"a\addcomma\ b", "a, b"), (r"a\addcolon b", "a:b"),
    (r"a\addsemicolon b", "a;b"), (r"a\addperiod", "a."), (r"a\adddot", "a."),
    (r"a\nopunct b", "ab"), (r"a\isdot{} b", "a b"), (r"a\unspace b", "ab"),
    (r"a\allowbreak b", "ab"), (r"hy\-phen", "hyphen"), (r"a\textendash b", "a–b"),
    (r"a\textemdash b", "a—b"), (r"a\dots", "a…"), (r"a\ldots{} b", "a… b"),
    (r"\& \% \$ \# \_", "& % $ # _"), (r"a\textbackslash b", "a\\b"),
    (r"\textsc{Nato} \mkbibacro{UN}", "Nato UN"), (r"\autocap{t}he", "the"),
    (r"\mbox{x} \textnormal{y} \textup{z}", "x y z"), (r"\unknowncmd{kept} text", "kept text"),
    (r"a~b", "a\u00a0b"), (r"``q''", "“q”"), (r"\mkbibparens{p}", "(p)"),
])
def test_biblatex_text_commands(latex, text):
    assert str(to_rich(latex)) == text


def test_url_is_a_verbatim_link():
    text = to_rich(r"see \url{https://x.org/a--b_c~d}")
    assert text == Text("see ", HRef("https://x.org/a--b_c~d", "https://x.org/a--b_c~d"))


def test_plain_values_pass_through():
    assert to_rich("Plain title") == Text("Plain title")
    assert isinstance(to_rich("x").parts[0], String)


# ---- names ---------------------------------------------------------------

def test_classic_names():
    names = parse_names("Dittmer, Lowell and Lorenz M. Lüthi")
    assert [n.full() for n in names] == ["Lowell Dittmer", "Lorenz M. Lüthi"]
    assert [n.short() for n in names] == ["Dittmer", "Lüthi"]


def test_von_and_jr():
    n = parse_names("van Gogh, Jr., Vincent")[0]
    assert n.full() == "Vincent van Gogh Jr."
    assert n.short() == "Gogh"  # biblatex's default useprefix=false
    assert n.prelast_names == ["van"]


def test_useprefix_puts_the_prefix_in_the_short_form():
    e = one("@book{a, author={von Clausewitz, Carl}, editor={de Tocqueville, Alexis}, "
            "options={useprefix=true}}")
    assert e.persons["author"][0].short() == "von Clausewitz"
    assert e.persons["editor"][0].useprefix
    assert one("@book{a, author={von Clausewitz, Carl}}").persons["author"][0].short() == "Clausewitz"


def test_useprefix_per_name_and_per_name_list():
    names = parse_names("given=Ludwig, prefix=van, family=Beethoven, useprefix=true and "
                        "van Gogh, Vincent")
    assert [n.short() for n in names] == ["van Beethoven", "Gogh"]
    names = parse_names("useprefix=true and de Gaulle, Charles and von Neumann, John")
    assert [n.short() for n in names] == ["de Gaulle", "von Neumann"]
    names = parse_names("given=A, prefix=de, family=B, useprefix=false", useprefix=True)
    assert names[0].short() == "B"


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


def test_extended_name_with_prefix_suffix_and_braces():
    n = parse_names("given={Ludwig}, prefix=van, family=Beethoven")[0]
    assert n.full() == "Ludwig van Beethoven"
    assert n.short() == "Beethoven"
    n = parse_names("family=Nye, given={Joseph S.}, suffix=Jr., given-i=J")[0]
    assert n.full() == "Joseph S. Nye Jr."


def test_corporate_name_in_double_braces():
    e = one("@book{a, author={{U.S. Department of State}}}")
    n = e.persons["author"][0]
    assert n.corporate
    assert n.full() == n.short() == "U.S. Department of State"


def test_corporate_name_with_and_inside_braces():
    names = parse_names("{Barnes and Noble} and Smith, John")
    assert [n.full() for n in names] == ["Barnes and Noble", "John Smith"]


def test_names_are_decoded_before_they_are_split():
    n = parse_names(r"Kierkegaard, S\o ren")[0]
    assert n.short() == "Kierkegaard" and n.full() == "Søren Kierkegaard"
    assert n.first_names == ["Søren"]
    names = parse_names(r"Ali {\"O}zdemir and G{\"o}del, K. and \v{S}koda, Jan and Stra\ss{}er, H.")
    assert [n.short() for n in names] == ["Özdemir", "Gödel", "Škoda", "Straßer"]
    assert names[0].prelast_names == []  # {\"O} is an upper-case special character
    n = parse_names(r"given=S\o ren, family={Kierkegaard}, prefix={d\'e}")[0]
    assert (n.first_names, n.prelast_names) == (["Søren"], ["dé"])


def test_and_others_sets_more_names():
    e = one("@book{a, author={Smith, John and others}, editor={others and Roe, R}, "
            "translator={Tr, A}}")
    assert [n.short() for n in e.persons["author"]] == ["Smith"]
    assert e.more_names == {"author", "editor"}
    assert [n.short() for n in e.persons["editor"]] == ["Roe"]
    assert parse_names("A, B and others").more


@pytest.mark.parametrize("role", ["author", "editor", "translator", "bookauthor", "editora",
                                  "editorb", "editorc", "foreword", "introduction", "afterword",
                                  "commentator", "annotator", "holder"])
def test_biblatex_name_roles(role):
    e = one(f"@book{{a, {role}={{Smith, John and Doe, Jane}}}}")
    assert [n.short() for n in e.persons[role]] == ["Smith", "Doe"]
    assert role not in e.fields


_WORDS = st.sampled_from(["van", "von", "de", "la", "Smith", "John", "A.", "Jr.", "III", "Ōe",
                          "ōtsuka", "d'Artagnan", "O'Neil", "Jean-Paul", "1st", "-x", "Émile"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_WORDS, max_size=4), min_size=1, max_size=3),
       st.sampled_from([" ", "  ", "\u00a0"]))
def test_plain_name_fast_path_agrees_with_pybtex(groups, space):
    string = ", ".join(space.join(g) for g in groups)
    person, name = Person(string), Name(string)
    first_letter = next((c for c in "".join(person.prelast_names[:1]) if c.isalpha()), "")
    if person.prelast_names and "," in string and not first_letter.islower():
        # biber's rule, applied on top of pybtex's: "Díaz del Castillo, Bernal" has no prefix
        person.last_names[:0], person.prelast_names = person.prelast_names, []
    for part in ("first", "middle", "prelast", "last", "lineage"):
        assert getattr(name, f"{part}_names") == getattr(person, f"{part}_names"), string


def test_a_prefix_starts_only_at_the_first_word_of_family_comma_given():
    """biber (btparse) reads "Díaz del Castillo, Bernal" as one family name; pybtex alone
    would make "Díaz del" the prefix and print "Castillo" in short notes."""
    name = Name("D{\\'i}az del Castillo, Bernal")
    assert name.short() == "Díaz del Castillo" and not name.prelast_names
    assert Name("de La Fontaine, Jean").prelast_names == ["de"]


# ---- lists -----------------------------------------------------------------

def test_literal_lists():
    e = one(r"@book{a, publisher={{Barnes and Noble} and W. W. Norton \& Company and others}, "
            r"location={New York and London}, institution={Univ.}, organization={A and B}}")
    assert [str(t) for t in e.lists["publisher"]] == ["Barnes and Noble", "W. W. Norton & Company"]
    assert e.more_lists == {"publisher"}
    assert [str(t) for t in e.lists["location"]] == ["New York", "London"]
    assert [str(t) for t in e.lists["institution"]] == ["Univ."]
    assert [str(t) for t in e.lists["organization"]] == ["A", "B"]
    assert e.fields["location"] == "New York and London"
    assert isinstance(e.lists["publisher"][0], Text)


# ---- dates -----------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("1957", {"year": 1957, "era": "ce"}),
    ("1957?", {"year": 1957, "uncertain": True}),
    ("1957~", {"year": 1957, "approximate": True}),
    ("1957%", {"year": 1957, "uncertain": True, "approximate": True}),
    ("1957~?", {"year": 1957, "uncertain": True, "approximate": True}),
    ("2009-21", {"year": 2009, "month": None, "season": "spring", "division": "spring"}),
    ("2009-24", {"year": 2009, "season": "winter"}),
    ("2009-26", {"year": 2009, "season": "summer", "division": "summerN"}),
    ("2009-33", {"year": 2009, "season": None, "division": "Q1"}),
    ("-0044-03-15", {"year": -44, "month": 3, "day": 15, "era": "bce", "era_year": 45}),
    ("0000", {"year": 0, "era": "bce", "era_year": 1}),
    ("2004-04-05T14:34:00", {"year": 2004, "month": 4, "day": 5}),
    ("2020-02-29", {"year": 2020, "month": 2, "day": 29}),
    ("Y-12000", {"year": -12000, "era": "bce"}),
    (" 1957 ", {"year": 1957}),
])
def test_edtf_dates(value, expected):
    d = parse_edtf(value)
    assert isinstance(d, BibDate) and d.raw == value
    for attr, want in expected.items():
        assert getattr(d, attr) == want, attr


def test_date_ranges():
    d = parse_edtf("1951/1963")
    assert (d.year, d.end.year, d.open_end) == (1951, 1963, False)
    d = parse_edtf("1951/")
    assert d.year == 1951 and d.open_end and d.end is not None and d.end.year is None
    d = parse_edtf("1951/..")
    assert d.open_end
    d = parse_edtf("/1963")
    assert d.year is None and d.open_start and d.end.year == 1963
    d = parse_edtf("1957?/1960~")
    assert d.uncertain and not d.approximate and d.end.approximate and not d.end.uncertain
    d = parse_edtf("2009-24/2010-21")
    assert (d.season, d.end.season) == ("winter", "spring")
    d = parse_edtf("199X")
    assert (d.year, d.end.year, d.unspecified) == (1990, 1999, "yearindecade")
    d = parse_edtf("2004-XX")
    assert (d.month, d.end.month, d.unspecified) == (1, 12, "monthinyear")
    d = parse_edtf("..")
    assert d.year is None and d.open_start


@pytest.mark.parametrize("value", ["circa 1957", "c. 1957", "1957-13-01", "2019-02-29",
                                   "1900-02-29", "1957--1960", "1957?~", "57", "2006/05/04", "",
                                   "1957/1958/1959", "spring 2009"])
def test_dates_biber_rejects(value):
    with pytest.raises(ValueError):
        parse_edtf(value)


def test_every_date_field_is_parsed():
    e = one("@book{a, date={1950}, origdate={1850-05}, eventdate={1849-05-01/1849-05-03}, "
            "urldate={2020-01-02}}")
    assert set(e.dates) == {"date", "origdate", "eventdate", "urldate"}
    assert e.dates["origdate"].month == 5
    assert e.dates["eventdate"].end.day == 3
    assert e.dates["urldate"].ymd == (2020, 1, 2)
    assert e.date == (1950, None, None)


def test_invalid_date_is_a_located_warning_and_absent():
    bib, warnings = load("@book{a,\n title={T},\n date={circa 1957},\n urldate={2020-02-30}}")
    e = bib["a"]
    assert "date" not in e.dates and "urldate" not in e.dates and e.date == (None, None, None)
    assert [line for _, line in warnings] == [3, 4]
    assert "circa 1957" in warnings[0][0] and "1957~" in warnings[0][0]
    assert e.fields["date"] == "circa 1957"


def test_legacy_year_month_day():
    e = one("@book{a, year={1999}, month=jul, day={4}}")
    # `day` is not in biblatex's data model: biber drops it, so biblatex-chicago prints July 1999
    assert e.date == (1999, 7, None) and e.dates["date"].raw == "1999"
    assert one("@book{a, year={1999}, month={12}}").date == (1999, 12, None)
    assert one("@book{a, year={1999}, month={September}}").date == (1999, 9, None)
    bib, warnings = load("@book{a, year={c. 1957}}")
    assert bib["a"].date == (1957, None, None) and bib["a"].dates["date"].approximate
    assert "not a number" in warnings[0][0]
    assert parse_date({"year": "1999", "month": "jul"}) == (1999, 7, None)


def test_date_wins_over_year_with_a_warning():
    bib, warnings = load("@book{a, date={2001}, year={1999}}")
    assert bib["a"].date == (2001, None, None)
    assert "date" in warnings[0][0] and "1999" in warnings[0][0]


# ---- one bad entry is a warning ---------------------------------------------------

def test_syntax_error_skips_only_that_entry(tmp_path: Path):
    path = tmp_path / "refs.bib"
    path.write_text("@book{a,\n  title={X},\n}\n\n@book{b,\n  title = {Y}\n  author = {Z}\n}\n"
                    "@book{c, title={C}}\n", encoding="utf-8")
    got = []
    bib = load_bibliography(path, warn=lambda m, file=None, line=None: got.append((m, file, line)))
    assert list(bib) == ["a", "c"] and len(bib) == 2
    assert got == bib.warnings and len(got) == 1
    message, file, line = got[0]
    assert file == path and line == 7 and "syntax error" in message and "'b'" in message
    err = bib.broken["b"]
    assert (err.file, err.line) == (path, 7) and "comma" in err.message
    assert "check braces" in err.hint
    assert "b" in bib  # so that citing it reaches the error below
    with pytest.raises(BibliographyError) as raised:
        bib["b"]
    assert raised.value is err


def test_unclosed_brace_does_not_swallow_the_entries_after_it():
    bib, warnings = load("@book{a, title={A}}\n@book{d, title={Unclosed,\n  year={1}\n}\n"
                         "@book{e, title={E}}\n@book{f, note={mail me@x.org}, title={F}}\n")
    assert list(bib) == ["a", "e", "f"]
    assert bib.broken["d"].line == 2 and "never closed" in bib.broken["d"].message
    # the file's warning says the entry is skipped; citing it is the error, which says so
    assert bib.broken["d"].message.endswith("never closed; the text cites it")
    assert warnings == [(bib.broken["d"].message.replace("the text cites it", "the entry is skipped"), 2)]


def test_unclosed_brace_at_the_end_of_the_file():
    bib, warnings = load("@book{a, title={A}}\n\n@book{z,\n  year = {2001\n}\n")
    assert list(bib) == ["a"] and bib.broken["z"].line == 3
    assert "syntax error" in warnings[0][0]


def test_garbage_between_entries_is_a_comment():
    bib, warnings = load("Some notes\n@comment{x}\n@book{a, title={A}}\n% trailing\n")
    assert list(bib) == ["a"] and warnings == []


def test_warnings_are_collected_without_a_callback():
    bib = parse_bibtex("@book{a, month=winter, title={T}}", file="x.bib")
    assert len(bib.warnings) == 1
    message, file, line = bib.warnings[0]
    assert "winter" in message and file == Path("x.bib") and line == 1


def test_undefined_macros_stand_for_nothing_as_in_biber():
    bib, warnings = load('@string{pup = {Princeton University Press}}\n'
                         '@book{a, title={T}, month = winter,\n publisher = pup,\n'
                         ' location = lon, note = "A " # nope # " B"}')
    e = bib["a"]
    assert "month" not in e.fields and "location" not in e.fields
    assert e.fields["publisher"] == "Princeton University Press"
    assert e.fields["note"] == "A B"
    assert [(re.search(r"'(\w+)'", m).group(1), line) for m, line in warnings] == [
        ("winter", 2), ("lon", 4), ("nope", 4)]


def test_repeated_field_last_value_wins_as_in_biber():
    bib, warnings = load("@book{a, title={One},\n title={Two}}")
    assert bib["a"].fields["title"] == "Two"
    assert warnings[0][1] == 2 and "twice" in warnings[0][0]


def test_duplicate_key_keeps_the_first(tmp_path: Path):
    path = tmp_path / "refs.bib"
    path.write_text("% c\n@book{a,\n  title={X},\n}\n\n@article{b, title={Y}}\n@book{a,\n title={Z}}\n",
                    encoding="utf-8")
    bib = load_bibliography(path)
    assert bib["a"].fields["title"] == "X" and len(bib) == 2
    err = bib.duplicates["a"]
    assert err.file == path and err.line == 7
    assert "2" in err.message and "7" in err.message and "'a'" in err.message
    assert bib.warnings == [(err.message, path, 7)]


def test_duplicate_key_across_files(tmp_path: Path):
    (tmp_path / "a.bib").write_text("@book{k, title={X}}\n", encoding="utf-8")
    (tmp_path / "b.bib").write_text("\n@book{k, title={Y}}\n@book{j, title={J}}\n", encoding="utf-8")
    bib = load_bibliography([tmp_path / "a.bib", tmp_path / "b.bib"])
    assert bib["k"].fields["title"] == "X" and list(bib) == ["k", "j"]
    err = bib.duplicates["k"]
    assert err.line == 2 and err.file == tmp_path / "b.bib" and "a.bib:1" in err.message
    assert bib.files == [tmp_path / "a.bib", tmp_path / "b.bib"]


def test_keys_that_differ_in_case_are_both_kept_with_a_warning():
    bib, warnings = load("@book{Smith, title={A}}\n@book{smith, title={B}}")
    assert list(bib) == ["Smith", "smith"]
    assert warnings == [("keys 'smith' and 'Smith' differ only in case: a typo?", 2)]


def test_bad_extended_name_part_is_ignored_with_a_warning():
    bib, warnings = load("@book{a,\n author={given=A, family=B, colour=red}}\n")
    assert bib["a"].persons["author"][0].full() == "A B"
    assert warnings[0][1] == 2 and "colour" in warnings[0][0]


@pytest.mark.parametrize("names, why", [("Smith, A and and Jones, B", "empty"),
                                        ("Smith, A, B, C", "too many commas"),
                                        ("Smith,, A", "two commas")])
def test_a_name_list_biber_cannot_read_skips_the_entry(names, why):
    bib, warnings = load(f"@book{{ok, title={{T}}}}\n@book{{a,\n author={{{names}}}}}\n")
    assert list(bib) == ["ok"]
    assert bib.broken["a"].line == 3 and why in bib.broken["a"].message
    assert warnings == [(bib.broken["a"].message.removesuffix("; the text cites it"), 3)]
    with pytest.raises(ValueError):
        parse_names(names)


def test_missing_file(tmp_path: Path):
    with pytest.raises(BibliographyError) as err:
        load_bibliography(tmp_path / "nope.bib")
    assert err.value.file == tmp_path / "nope.bib"


def test_not_utf8_names_the_line(tmp_path: Path):
    path = tmp_path / "latin1.bib"
    path.write_bytes("@book{a, title={A}}\n@book{b, title={Caf\u00e9}}\n".encode("latin-1"))
    with pytest.raises(BibliographyError) as err:
        load_bibliography(path)
    assert err.value.line == 2 and "UTF-8" in err.value.message


# ---- data inheritance --------------------------------------------------------------

def test_crossref_book_to_inbook():
    bib, warnings = load(
        "@inbook{ch, crossref={bk}, title={Chapter}, pages={1--10}}\n"
        "@book{bk, author={Smith, John}, title={Book}, subtitle={Sub}, titleaddon={Add}, "
        "shorttitle={Bk}, sorttitle={S}, date={1999}, publisher={Pub}, url={http://x}, "
        "options={useprefix=true}, ids={alias}}")
    assert warnings == []
    e = bib["ch"]
    assert e.fields["title"] == "Chapter"
    assert (e.fields["booktitle"], e.fields["booksubtitle"], e.fields["booktitleaddon"]) == (
        "Book", "Sub", "Add")
    assert [n.short() for n in e.persons["author"]] == ["Smith"]
    assert [n.short() for n in e.persons["bookauthor"]] == ["Smith"]
    assert e.fields["publisher"] == "Pub" and e.date == (1999, None, None)
    for blocked in ("shorttitle", "sorttitle", "url", "ids", "subtitle"):
        assert blocked not in e.fields, blocked
    assert e.options == {} and e.crossref == "bk"
    assert e.inherited["booktitle"] == "bk" and "title" not in e.inherited


def test_crossref_cascades_through_a_multivolume_work():
    bib, _ = load("@mvbook{mv, author={Marx, Karl}, title={Capital}, subtitle={Critique}, "
                  "date={1990}, publisher={Penguin}, volumes={3}}\n"
                  "@book{vol, crossref={mv}, title={The Process}, volume={1}}\n"
                  "@inbook{ch, crossref={vol}, title={Chapter One}}")
    vol, ch = bib["vol"], bib["ch"]
    assert (vol.fields["maintitle"], vol.fields["mainsubtitle"], vol.fields["title"]) == (
        "Capital", "Critique", "The Process")
    assert vol.date == (None, None, None)  # biblatex-chicago: no date from a multivolume parent
    assert vol.fields["publisher"] == "Penguin" and vol.fields["volumes"] == "3"
    assert (ch.fields["booktitle"], ch.fields["maintitle"]) == ("The Process", "Capital")
    assert [n.short() for n in ch.persons["bookauthor"]] == ["Marx"]


def test_crossref_collection_to_incollection():
    e = parse_bibtex("@collection{c, editor={Roe, Rich and others}, title={Essays}, "
                     "subtitle={More}, date={2001}, publisher={P}, url={http://x}, doi={10/x}}\n"
                     "@incollection{i, crossref={c}, author={Doe, Jane}, title={Essay}}")["i"]
    assert (e.fields["booktitle"], e.fields["booksubtitle"]) == ("Essays", "More")
    assert [n.short() for n in e.persons["editor"]] == ["Roe"] and e.more_names == {"editor"}
    assert e.date == (2001, None, None)
    assert "url" not in e.fields and "doi" not in e.fields  # biblatex-chicago


def test_crossref_periodical_to_article():
    e = parse_bibtex("@article{a, crossref={p}, title={Art}}\n"
                     "@periodical{p, title={Journal}, subtitle={Sub}, issuetitle={Special}, "
                     "date={2005}}")["a"]
    assert (e.fields["journaltitle"], e.fields["journalsubtitle"]) == ("Journal", "Sub")
    assert e.fields["issuetitle"] == "Special" and e.date == (2005, None, None)


def test_crossref_between_other_types_copies_everything_not_blocked():
    e = parse_bibtex("@book{b, title={T}, shorttitle={S}, sorttitle={X}, indextitle={I}, "
                     "entrysubtype={s}}\n@misc{m, crossref={b}}")["m"]
    assert (e.fields["title"], e.fields["shorttitle"], e.fields["indextitle"]) == ("T", "S", "I")
    assert "sorttitle" not in e.fields and "entrysubtype" not in e.fields


def test_a_child_date_blocks_the_whole_parent_date():
    bib, _ = load("@book{p, title={P}, date={1999-05-01}, origdate={1850}}\n"
                  "@inbook{c1, crossref={p}, year={2000}}\n@inbook{c2, crossref={p}}")
    assert bib["c1"].date == (2000, None, None) and bib["c1"].dates["origdate"].year == 1850
    assert bib["c2"].date == (1999, 5, 1)


def test_inherited_names_keep_the_parent_options():
    bib, _ = load("@book{p, author={Takahashi, Nobuo}, editor={von Clausewitz, C}, "
                  "options={nametemplates=cjk, useprefix=true}}\n"
                  "@inbook{c, crossref={p}, translator={Chen, Jian}}")
    c = bib["c"]
    assert c.persons["bookauthor"][0].full() == "Takahashi Nobuo"
    assert c.persons["editor"][0].short() == "von Clausewitz"
    assert c.persons["translator"][0].full() == "Jian Chen" and not c.family_first


def test_crossref_parent_in_another_file(tmp_path: Path):
    (tmp_path / "a.bib").write_text("@incollection{i, crossref={c}, title={I}}\n", encoding="utf-8")
    (tmp_path / "b.bib").write_text("@collection{c, title={C}, date={2001}}\n", encoding="utf-8")
    bib = load_bibliography([tmp_path / "a.bib", tmp_path / "b.bib"])
    assert bib["i"].fields["booktitle"] == "C" and bib.warnings == []


def test_missing_and_circular_crossref_are_warnings():
    bib, warnings = load("@book{m, title={M},\n crossref={nope}}\n"
                         "@book{c1, title={C1}, crossref={c2}}\n@book{c2, crossref={c1}}\n")
    assert "crossref" not in bib["m"].inherited and bib["m"].fields["title"] == "M"
    assert warnings[0] == (("entry 'm': its crossref parent 'nope' does not exist: nothing is "
                           "inherited"), 2)
    assert "circular crossref" in warnings[1][0] and "'c1' → 'c2' → 'c1'" in warnings[1][0]
    assert warnings[1][1] == 4  # the crossref that closes the circle
    assert bib["c1"].fields["title"] == "C1" and "title" not in bib["c2"].fields


def test_xref_records_the_link_only():
    e = parse_bibtex("@book{p, title={P}, publisher={X}}\n@book{r, title={R}, xref={p}}")["r"]
    assert e.xref == "p" and "publisher" not in e.fields and e.inherited == {}


def test_xdata_copies_fields_and_nests_and_overrides_as_in_biber():
    bib, warnings = load("@xdata{xd1, publisher={XPub}, location={XLoc}, xdata={xd2}}\n"
                         "@xdata{xd2, date={1888}}\n"
                         "@book{b, title={Own}, publisher={OwnPub}, xdata={xd1}}\n")
    e = bib["b"]
    assert warnings == []
    assert (e.fields["publisher"], e.fields["location"], e.date) == ("XPub", "XLoc", (1888, None, None))
    assert "xd1" not in bib and len(bib) == 1  # @xdata entries are not citable


def test_missing_or_wrong_xdata_is_a_warning():
    bib, warnings = load("@book{a, title={A},\n xdata={nope, b}}\n@book{b, title={B}}\n")
    assert bib["a"].fields["title"] == "A"
    assert [m for m, _ in warnings] == [
        "entry 'a': its xdata entry 'nope' does not exist: nothing is copied from it",
        "entry 'a': its xdata entry 'b' is not an @xdata entry: nothing is copied from it"]
    assert warnings[0][1] == 2


def _declared_rules(text: str) -> list[tuple]:
    """``\\DeclareDataInheritance`` blocks of a .def/.cbx file."""
    rules = []
    for m in re.finditer(r"\\DeclareDataInheritance\{([^}]*)\}%?\s*\{([^}]*)\}\{", text):
        depth, end = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        body = text[m.end():end - 1]
        rules.append((tuple(t.strip() for t in m.group(1).split(",")),
                      tuple(t.strip() for t in m.group(2).split(",")),
                      tuple(re.findall(r"\\inherit\{(\w+)\}\{(\w+)\}", body)),
                      tuple(re.findall(r"\\noinherit\{(\w+)\}", body))))
    return rules


TEXMF = Path("/usr/share/texlive/texmf-dist/tex/latex")


@pytest.mark.skipif(not (TEXMF / "biblatex" / "biblatex.def").is_file(),
                    reason="TeX Live's biblatex is not installed")
def test_inheritance_table_is_biblatex_and_biblatex_chicago():
    ours = list(INHERITANCE)
    biblatex = _declared_rules((TEXMF / "biblatex" / "biblatex.def").read_text(encoding="utf-8"))
    assert ours[:len(biblatex)] == biblatex
    cbx = TEXMF / "biblatex-chicago" / "chicago-notes.cbx"
    if cbx.is_file():
        text = cbx.read_text(encoding="utf-8")
        text = re.sub(r"\\AtEndPreamble\{%.*?\n\s*\{\}%\n", "", text, flags=re.DOTALL)  # opt-in toggles
        chicago = [r for r in _declared_rules(text)]
        assert ours[len(biblatex):] == chicago


# ---- the cache ---------------------------------------------------------------------

BIB = "@book{a,\n title={A}, month=winter}\n@book{b, title={B}}\n@book{a, title={Dup}}\n"


def _cache_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json"))


def test_cache_is_written_once_and_reused(tmp_path: Path, monkeypatch):
    path, cache = tmp_path / "refs.bib", tmp_path / "cache"
    path.write_text(BIB, encoding="utf-8")
    first = load_bibliography(path, cache_dir=cache)
    files = _cache_files(cache)
    assert len(files) == 1 and files[0].name.startswith("refs-")
    monkeypatch.setattr(bibmod, "_read_text", lambda text: pytest.fail("parsed again"))
    second = load_bibliography(path, cache_dir=cache)
    assert list(second) == list(first) == ["a", "b"]
    assert second.warnings == first.warnings and len(first.warnings) == 2
    assert second["a"].fields == first["a"].fields
    assert set(second.duplicates) == {"a"}


def test_cache_file_is_named_by_the_contents_and_the_loader_version(tmp_path: Path, monkeypatch):
    path, cache = tmp_path / "refs.bib", tmp_path / "cache"
    path.write_text(BIB, encoding="utf-8")
    load_bibliography(path, cache_dir=cache)
    name = _cache_files(cache)[0].name
    digest = bibmod.hashlib.sha256(bibmod.LOADER_VERSION.encode() + b"\0" + path.read_bytes())
    assert name.endswith(digest.hexdigest() + ".json")
    monkeypatch.setattr(bibmod, "LOADER_VERSION", "other")
    load_bibliography(path, cache_dir=cache)
    assert [p.name for p in _cache_files(cache)] != [name] and len(_cache_files(cache)) == 1


def test_one_cache_file_per_bib_path(tmp_path: Path):
    cache = tmp_path / "cache"
    a, b = tmp_path / "a.bib", tmp_path / "b.bib"
    a.write_text(BIB, encoding="utf-8")
    b.write_text(BIB, encoding="utf-8")
    load_bibliography([a, b], cache_dir=cache)
    assert len(_cache_files(cache)) == 2  # same contents, two paths
    a.write_text(BIB + "@book{c, title={C}}\n", encoding="utf-8")
    bib = load_bibliography([a, b], cache_dir=cache)
    assert len(_cache_files(cache)) == 2 and "c" in bib


def test_unreadable_or_stale_cache_is_ignored(tmp_path: Path):
    path, cache = tmp_path / "refs.bib", tmp_path / "cache"
    path.write_text(BIB, encoding="utf-8")
    load_bibliography(path, cache_dir=cache)
    target = _cache_files(cache)[0]
    target.write_text("{not json", encoding="utf-8")
    assert list(load_bibliography(path, cache_dir=cache)) == ["a", "b"]
    data = json.loads(target.read_text(encoding="utf-8"))  # rewritten
    data["version"] = "stale"
    target.write_text(json.dumps(data), encoding="utf-8")
    assert list(load_bibliography(path, cache_dir=cache)) == ["a", "b"]
    assert json.loads(target.read_text(encoding="utf-8"))["version"] == bibmod.LOADER_VERSION


def test_cache_file_gets_the_mode_of_a_new_file(tmp_path: Path):
    path, cache = tmp_path / "refs.bib", tmp_path / "cache"
    path.write_text(BIB, encoding="utf-8")
    old = os.umask(0o022)
    try:
        load_bibliography(path, cache_dir=cache)
    finally:
        os.umask(old)
    assert _cache_files(cache)[0].stat().st_mode & 0o777 == 0o644
    assert not list(cache.glob(".*.tmp"))


def test_lookups_are_lazy_but_membership_and_length_are_exact():
    bib = parse_bibtex("@book{a, author={Smith, J}}\n@book{b, author={X, Y, Z, W}}\n"
                       "@xdata{x, publisher={P}}\n@book{c, title={C}}\n")
    assert len(bib) == 2 and list(bib) == ["a", "c"]
    assert "c" in bib and "x" not in bib and "zzz" not in bib and "b" in bib.broken
    assert bib._done == {}
    assert bib["a"] is bib["a"] and set(bib._done) == {"a"}


def test_compatibility_constructor():
    bib = Bibliography()
    assert len(bib) == 0 and not bib.files and bib.broken == {} and bib.warnings == []


@pytest.mark.skipif(not DATA.is_dir(), reason="no tests/data/bib")
def test_fixture_inheritance_file_matches_biber():
    """tests/data/bib/inheritance.bib: values biber 2.18 + biblatex-chicago gave."""
    bib = load_bibliography(DATA / "inheritance.bib")
    assert bib.warnings == []
    expected = json.loads((DATA / "inheritance.expected.json").read_text(encoding="utf-8"))
    for key, want in expected.items():
        e = bib[key]
        for field, value in want.get("fields", {}).items():
            assert plain(e.fields.get(field, "")) == value, (key, field)
        for role, names in want.get("names", {}).items():
            assert [n.full() for n in e.persons.get(role, [])] == names, (key, role)
        for field in want.get("absent", []):
            assert field not in e.fields and field not in e.persons, (key, field)
        if "year" in want:
            assert e.date[0] == want["year"], key


@needs_corpus
def test_corpus_bibliography_loads():
    path = CORPUS / "situational-cordiality" / "references.bib"
    bib = load_bibliography(path)
    assert len(bib) == 44
    assert bib["dittmer1992"].line == 13
    assert bib.warnings == []


def test_fields_after_an_entrys_end_are_a_warning_at_their_line():
    """An extra closing brace ends the entry early; BibTeX reads the fields after it as a comment,
    so the entry lacks them: said at the first of them, not only later as a missing publisher."""
    bib, warnings = load("@book{a,\n title={T}},\n location={Tokyo},\n publisher={P}}\n\n"
                         "@book{b, title={U}}\n% a comment = {not a field}\n")
    assert set(bib["a"].fields) == {"title"} and "b" in bib
    assert warnings == [("entry 'a' ends before its field 'location' (an extra closing brace above it?): "
                         "BibTeX reads the fields after the end as a comment, so the entry lacks them", 3)]


def test_a_parents_translated_title_goes_with_the_title_it_translates():
    """``usere`` through ``crossref`` (CMOS 14.99, a listed deviation from biblatex): it follows the
    parent's title into the child, as the book's, the main title's or the journal's translation."""
    from pressroom.citations.bibliography import inherit_fields
    parent = {"title": "Kōza", "usere": "Lectures"}
    assert inherit_fields("collection", parent, "incollection", {"title": "Shō"}) == {
        "booktitle": ("Kōza", "title"), "bookusere": ("Lectures", "usere")}
    assert inherit_fields("mvbook", parent, "book", {})["mainusere"] == ("Lectures", "usere")
    assert "usere" not in inherit_fields("periodical", parent, "article", {})
    assert inherit_fields("book", parent, "book", {})["usere"] == ("Lectures", "usere")   # no title change
