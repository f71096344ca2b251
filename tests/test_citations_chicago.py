"""The Chicago notes style: full and short note of each entry type,
journal variants as settings, typography, LaTeX and Markdown output."""

from __future__ import annotations

import pytest
from pybtex.plugin import find_plugin

from pressroom.citations.bibliography import parse_bibtex
from pressroom.citations.chicago import ChicagoOptions, Style
from pressroom.citations.locators import Locator

BIB = parse_bibtex(r"""
@book{book, author={Dittmer, Lowell}, title={Sino-Soviet Normalization and Its Implications, 1945--1990},
  shorttitle={Sino-Soviet Normalization and Its Implications}, location={Seattle},
  publisher={University of Washington Press}, date={1992}}
@book{trans, author={given=Zhihua, family=Shen, nametemplates=cjk}, title={Mao,
  Stalin and the Korean War: Trilateral Relations},
  translator={Silver, Neil}, edition={2}, location={New York}, publisher={Routledge}, date={2012}}
@book{noplace, author={A, B}, title={Title: Sub}, usere={Translation}, publisher={P}}
@book{multivol, author={{U.S. Department of State}}, title={Foreign Relations: Papers, 1949}, volume={8},
  location={Washington, D.C.}, publisher={GPO}, date={1965}}
@collection{coll, editor={Zhao, Suisheng}, title={Construction: Sources}, location={New York},
  publisher={Routledge}, date={2014}}
@incollection{chap, author={Kikuchi, Masanori and Shishido, Hiroshi}, title={Hajimeni}, usere={Introduction},
  editor={Kikuchi, Masanori and Yabuki, Susumu}, booktitle={Chū-So Tairitsu}, booktitleaddon={[The Conflict]},
  location={Tokyo}, publisher={Yūhikaku}, date={1976}, pages={1--20}, options={nametemplates=cjk}}
@article{art, author={Shen, Zhihua and Xia, Yafeng}, title={Hidden Currents: Mao},
  journaltitle={Journal of Cold War Studies},
  volume={11}, number={4}, issue={Fall}, date={2009}, pages={94--100}}
@article{artr, author={Zhang, Mingyang}, title={Wei Shenme}, usere={Why Leaning},
  journaltitle={Shijie Zhishi},
  journaltitleaddon={World Knowledge}, volume={20}, number={10}, date={1949-08}, options={nametemplates=cjk}}
@article{nonum, title={Only Number}, journal={J}, number={1}, year={2002}}
@article{neither, author={N, K}, title={Neither}, journal={Keizai Orai}, date={1974-04}}
@article{mag, title={Mao Thumbs His Nose}, journaltitle={Newsweek}, entrysubtype={magazine},
  date={1949-07-11}}
@article{news, author={Reporter, Rita}, title={Story}, journaltitle={The Times},
  entrysubtype={newspaper}, date={1959-08}}
@thesis{thesis, author={Doe, Jane}, title={A Thesis: On Things}, type={phdthesis},
  institution={Yale University}, date={2001}}
@mastersthesis{ma, author={Doe, Jane}, title={Small Thesis}, school={MIT}, year={1999}}
@report{report, author={Roe, Rick}, title={Report Title}, institution={RAND},
  location={Santa Monica}, date={1999}}
@report{typed, author={Roe, Rick}, title={Typed Report}, type={Technical Report}, number={R-12},
  institution={RAND}, date={1999}}
@online{web, title={Home Page: About}, organization={Acme}, urldate={2020-05-01}, url={https://example.org/a}}
@online{webauthor, author={Web, Wanda}, title={Post}, publisher={Blog}, date={2019-03-02},
  urldate={2020-05-01}, url={https://example.org/p}}
@unpublished{unpub, author={Poe, Ed}, title={Draft Paper},
  note={paper presented at the Annual Meeting}, location={Chicago}, date={2010-03-04}}
@misc{misc, author={Poe, Ed}, title={A Thing}, howpublished={typescript}, year={1950}}
@book{special, author={Hacker, Ann},
  title={Costs \& Benefits: 50\% of $x$ #1 a_b {c} \{d\} ~ ^ \textbackslash{} "On" it},
  publisher={P}, date={2000}}
@article{nested, author={Author, An}, title={On "Realism"}, journal={J}, volume={1}, date={2000}}
@book{three, author={A, Al and B, Bo and C, Cy}, title={Three}, publisher={P}, date={2000}}
@book{eds2, editor={A, Al and B, Bo}, title={Two Eds}, publisher={P}, date={2000}}
""", file="style.bib")

P = Locator("p.", "27")


def WP(**settings) -> Style:
    """The working-paper style (these tests pin the house style), with some settings changed."""
    return Style(style="working-paper", **settings)


def note(key, form="full", locator=None, fmt="text", style=None, warn=None):
    style = style or WP()
    out = style.render(style.format_note(BIB[key], form=form, locator=locator, warn=warn), fmt)
    return out.replace("\u00a0", " ") if fmt == "text" else out


def test_style_is_the_registered_pybtex_plugin():
    assert find_plugin("pybtex.style.formatting", "chicago-notes") is Style


@pytest.mark.parametrize("key, loc, expected", [
    ("book", P, "Lowell Dittmer, Sino-Soviet Normalization and Its Implications, 1945–1990 "
                "(Seattle: University of Washington Press, 1992), p. 27"),
    ("trans", None, "Shen Zhihua, Mao, Stalin and the Korean War: Trilateral Relations, trans. Neil Silver, "
                    "2nd ed. (New York: Routledge, 2012)"),
    ("noplace", None, "B A, Title: Sub [Translation] (P, n.d.)"),
    ("multivol", Locator("p.", "773"), "U.S. Department of State, Foreign Relations: Papers, 1949 "
                                      "(Washington, D.C.: GPO, 1965), Vol. 8, p. 773"),
    ("coll", None, "Suisheng Zhao, ed., Construction: Sources (New York: Routledge, 2014)"),
    ("eds2", None, "Al A and Bo B, eds., Two Eds (P, 2000)"),
    ("three", None, "Al A, Bo B, and Cy C, Three (P, 2000)"),
    ("chap", Locator("p.", "ii"), "Kikuchi Masanori and Shishido Hiroshi, “Hajimeni” [Introduction], "
                                  "in Kikuchi Masanori and Yabuki Susumu, eds., "
                                  "Chū-So Tairitsu [The Conflict] (Tokyo: Yūhikaku, 1976), p. ii"),
    ("chap", None, "Kikuchi Masanori and Shishido Hiroshi, “Hajimeni” [Introduction], in Kikuchi "
                   "Masanori and Yabuki Susumu, eds., Chū-So Tairitsu [The Conflict] "
                   "(Tokyo: Yūhikaku, 1976)"),
    ("art", None, "Zhihua Shen and Yafeng Xia, “Hidden Currents: Mao,” Journal of Cold War Studies, "
                  "Vol. 11, No. 4 (Fall 2009), pp. 94–100"),
    ("art", Locator("p.", "95"), "Zhihua Shen and Yafeng Xia, “Hidden Currents: Mao,” Journal of Cold War "
                                 "Studies, Vol. 11, No. 4 (Fall 2009), p. 95"),
    ("artr", None, "Zhang Mingyang, “Wei Shenme” [Why Leaning], Shijie Zhishi [World Knowledge], "
                   "Vol. 20, No. 10 (August 1949)"),
    ("nonum", None, "“Only Number,” J, No. 1 (2002)"),
    ("neither", None, "K N, “Neither,” Keizai Orai (April 1974)"),
    ("mag", P, "“Mao Thumbs His Nose,” Newsweek, 11 July 1949, p. 27"),
    ("news", None, "Rita Reporter, “Story,” The Times, August 1959"),
    ("thesis", P, "Jane Doe, “A Thesis: On Things” (PhD diss., Yale University, 2001), p. 27"),
    ("ma", None, "Jane Doe, “Small Thesis” (master’s thesis, MIT, 1999)"),
    ("report", None, "Rick Roe, Report Title (Santa Monica: RAND, 1999)"),
    ("typed", None, "Rick Roe, Typed Report, Technical Report R-12 (RAND, 1999)"),
    ("web", None, "“Home Page: About,” Acme, accessed 1 May 2020, https://example.org/a"),
    ("webauthor", None, "Wanda Web, “Post,” Blog, 2 March 2019, accessed 1 May 2020, https://example.org/p"),
    ("unpub", None, "Ed Poe, “Draft Paper” (paper presented at the Annual Meeting, Chicago, 4 March 2010)"),
    ("misc", None, "Ed Poe, A Thing, typescript, 1950"),
])
def test_full_notes(key, loc, expected):
    assert note(key, locator=loc) == expected


@pytest.mark.parametrize("key, loc, expected", [
    ("book", P, "Dittmer, Sino-Soviet Normalization and Its Implications, p. 27"),
    ("book", None, "Dittmer, Sino-Soviet Normalization and Its Implications"),
    ("trans", None, "Shen, Mao, Stalin and the Korean War"),        # no "trans."
    ("multivol", None, "U.S. Department of State, Foreign Relations"),
    ("coll", None, "Zhao, Construction"),                           # no "ed."
    ("eds2", None, "A and B, Two Eds"),
    ("three", None, "A et al., Three"),
    ("chap", Locator("pp.", "6–8"), "Kikuchi and Shishido, “Hajimeni,” pp. 6–8"),
    ("chap", None, "Kikuchi and Shishido, “Hajimeni”"),
    ("art", None, "Shen and Xia, “Hidden Currents”"),               # no pages
    ("mag", None, "“Mao Thumbs His Nose”"),                         # no author: title alone
    ("thesis", P, "Doe, “A Thesis,” p. 27"),
    ("report", None, "Roe, Report Title"),
    ("web", None, "“Home Page”"),
    ("unpub", P, "Poe, “Draft Paper,” p. 27"),
    ("nested", P, "Author, “On ‘Realism,’” p. 27"),
])
def test_short_notes(key, loc, expected):
    assert note(key, form="short", locator=loc) == expected


def test_short_note_markup():
    short = note("book", form="short", fmt="markdown").replace("\\-", "-")
    assert short == "Dittmer, *Sino-Soviet Normalization and Its Implications*"
    latex = note("book", form="short", fmt="latex")
    assert latex == r"Dittmer, \emph{Sino-Soviet Normalization and Its Implications}"


def test_ibid_form():
    assert note("book", form="ibid", locator=P) == "Ibid., p. 27"
    assert note("book", form="ibid") == "Ibid."


def test_quoted_title_nested_quotes_become_single():
    assert note("nested") == "An Author, “On ‘Realism,’” J, Vol. 1 (2000)"


def test_italic_title_keeps_double_quotes():
    assert "“On” it" in note("special")


def test_latex_escaping_of_special_characters():
    out = note("special", fmt="latex")
    assert out.startswith(r"Ann Hacker, \emph{Costs \& Benefits: 50\% of \$x\$ \#1 a\_b c \{d\} ~ "
                          r"\textasciicircum{} \textbackslash{} “On” it} (P, 2000)")


def test_latex_en_dash_and_tie():
    out = note("art", fmt="latex")
    assert out.endswith(r"(Fall 2009), pp.~94--100")
    assert "\\emph{Journal of Cold War Studies}" in out


def test_markdown_output():
    out = note("art", fmt="markdown")
    assert "*Journal of Cold War Studies*" in out
    assert out.endswith("pp.\u00a094–100")


def test_unicode_passes_through_latex():
    assert "Yūhikaku" in note("chap", fmt="latex")


# ---- journal variants are settings ---------------------------------------

def test_lowercase_labels_no_page_labels():
    style = WP(volume_label="vol.", number_label="no.", page_labels=False)
    assert note("art", style=style, locator=Locator("p.", "95")) == (
        "Zhihua Shen and Yafeng Xia, “Hidden Currents: Mao,” Journal of Cold War Studies, "
        "vol. 11, no. 4 (Fall 2009), 95")
    assert note("book", form="ibid", locator=P, style=style) == "Ibid., 27"


def test_month_day_year():
    style = WP(date_order="mdy")
    assert note("mag", style=style) == "“Mao Thumbs His Nose,” Newsweek, July 11, 1949"


def test_bad_date_order():
    with pytest.raises(ValueError):
        ChicagoOptions(date_order="ymd")


def test_missing_field_warns_and_still_produces_note():
    bib = parse_bibtex("@book{nopub, author={A, B}, title={T}, date={2000}}\n@article{nojournal, title={X}}",
                       file="w.bib")
    style, warnings = WP(), []
    text = style.render(style.format_note(bib["nopub"], warn=warnings.append))
    assert text == "B A, T (2000)"
    assert warnings == ["entry 'nopub' has no 'publisher', which a book note needs"]
    warnings.clear()
    style.format_note(bib["nojournal"], warn=warnings.append)
    assert any("journaltitle" in w and "nojournal" in w for w in warnings)


def test_pybtex_format_entries_interface():
    style = WP()
    entries = list(style.format_entries([BIB["book"]]))
    assert entries[0].text.render_as("text").endswith("1992).")


def test_a_type_with_no_chicago_form_is_built_from_its_fields_and_warned_once():
    """@software, @dataset...: set like a book from every field present; one warning per entry."""
    from pressroom.citations.sequence import CitationItem, NoteSequencer
    bib = parse_bibtex("@software{r, author={{R Core Team}}, title={R: A Language}, version={4.3.1},"
                       " organization={R Foundation}, location={Vienna}, date={2023}}", file="o.bib")
    warnings: list[str] = []
    style = Style(style="chicago")
    seq = NoteSequencer(style, bib, warn=warnings.append)
    notes = [style.render(seq.note([CitationItem("r", suffix=", 4")]), "text") for _ in range(2)]
    assert notes[0] == "R Core Team, R: A Language, version 4.3.1 (Vienna: R Foundation, 2023), 4."
    assert len(warnings) == 1 and "@software" in warnings[0] and "'r'" in warnings[0]


def test_a_url_cannot_carry_tex_code():
    """TeX reads ``^^5c`` as a backslash and braces as groups, even inside \\url: a .bib URL
    reaches the LaTeX with those characters percent-encoded (their meaning in a URL)."""
    from pressroom.citations.sequence import CitationItem, NoteSequencer
    bib = parse_bibtex("@online{u, title={T}, url={https://x.org/^^5cinput{/etc/passwd}\\\\x}, "
                       "urldate={2020-01-01}}", file="u.bib")
    style = Style(style="chicago")
    latex = style.render(NoteSequencer(style, bib).note([CitationItem("u")]), "latex")
    assert "^^" not in latex and "{/etc" not in latex and "\\input" not in latex
    assert r"\url{https://x.org/\%5E\%5E5cinput\%7B/etc/passwd\%7D\%5C\%5Cx}" in latex


def test_an_untranslated_titles_language_is_named_after_it():
    """``language`` as biblatex-chicago prints it: "[in Japanese]" where there is no ``usere``,
    a list or free text joined with "and", nothing for English or beside a translation."""
    bib = parse_bibtex(r"""
@book{ja, author={Irokawa, Daikichi}, title={Meiji seishinshi}, publisher={Kōga Shobō}, date={1964},
  language={japanese}}
@book{two, author={Gu, Jiegang}, title={Gushi bian}, publisher={Pushe}, date={1926},
  language={Chinese and langjapanese}}
@book{tr, author={Gu, Jiegang}, title={Gushi bian}, usere={Critiques of ancient history},
  publisher={Pushe}, date={1926}, language={chinese}}
@book{en, author={Hall, John}, title={Feudalism}, publisher={P}, date={1962}, language={english}}
""", file="lang.bib")
    style = Style(style="chicago")
    made = {k: style.render(style.format_note(bib[k]), "text") for k in bib}
    assert made["ja"] == "Daikichi Irokawa, Meiji seishinshi [in Japanese] (Kōga Shobō, 1964)"
    assert "Gushi bian [in Chinese and Japanese] (" in made["two"]
    assert "[in" not in made["tr"] and "[in" not in made["en"]


def test_an_eprint_is_named_by_its_archive_as_biblatex_chicago_does():
    """``eprint`` + ``eprinttype`` after the DOI (CMOS 14.6–8): "JSTOR: 2054508", "arXiv: …";
    another archive as written, its case kept in the bibliography too."""
    from pressroom.citations.reference_list import BibliographyStyle, bibliography_list
    bib = parse_bibtex(r"""
@article{j, author={Najita, Tetsuo}, title={Intellectual Change}, journaltitle={Journal of Asian Studies},
  volume={34}, date={1975}, pages={931--944}, eprint={2054508}, eprinttype={jstor}}
@article{a, author={Doe, Jane}, title={One}, journaltitle={J}, volume={1}, date={2000}, eprint={1234.5678},
  eprinttype={arxiv}}
""", file="eprint.bib")
    style = Style(style="chicago")
    assert style.render(style.format_note(bib["j"], locator=Locator("p.", "935")), "text").endswith(
        "(1975): 935, JSTOR: 2054508")
    listing = BibliographyStyle(style="chicago", entries=list(bib.values()))
    made = [listing.render(item.text, "text") for item in bibliography_list(listing, bib, ["a", "j"])]
    assert made[0].endswith("(2000). arXiv: 1234.5678.") and made[1].endswith("931–944. JSTOR: 2054508.")


def test_editortype_names_the_editors_role_as_biblatex_chicago_does():
    """``editortype`` beyond ``compiler`` (checked against biblatex-chicago 3.18b): editors
    who lead are "reds.", "dir."; after the title "red. A", "found. A and B"."""
    bib = parse_bibtex(r"""
@collection{r1, editor={Hall, John Whitney and Jansen, Marius B.}, editortype={redactor}, title={Studies},
  location={Princeton}, publisher={Princeton University Press}, date={1968}}
@collection{r2, editor={Hall, John Whitney}, editortype={director}, title={Solo}, publisher={P}, date={1969}}
@book{r3, author={Doe, Jane}, editor={Roe, Rick}, editortype={redactor}, title={Authored}, publisher={P},
  date={1970}}
""", file="editortype.bib")
    style = Style(style="chicago")
    made = {k: style.render(style.format_note(bib[k]), "text") for k in bib}
    assert made["r1"].startswith("John Whitney Hall and Marius B. Jansen, reds., Studies (")
    assert made["r2"].startswith("John Whitney Hall, dir., Solo (")
    assert made["r3"] == "Jane Doe, Authored, red. Rick Roe (P, 1970)"


def test_a_name_in_cjk_script_printed_given_name_first_is_warned_about():
    """Zotero's export writes "丸山, 眞男" with no name template: it prints "眞男 丸山"; the note
    is still made, with a warning that says how to get the family name first."""
    bib = parse_bibtex(r"""
@book{w, author={丸山, 眞男}, title={現代政治の思想と行動}, publisher={未來社}, date={1956}}
@book{ok, author={丸山, 眞男}, options={nametemplates=cjk}, title={日本の思想}, publisher={岩波書店},
  date={1961}}
""", file="cjk.bib")
    warnings = []
    style = Style(style="chicago")
    assert style.render(style.format_note(bib["w"], warn=warnings.append), "text").startswith("眞男 丸山")
    style.format_note(bib["ok"], warn=warnings.append)
    assert len(warnings) == 1 and "'w'" in warnings[0] and "nametemplates=cjk" in warnings[0]


def test_a_letters_translated_title_follows_its_date():
    """``usere`` of a ``@letter`` (it was dropped): after the date, as biblatex-chicago 3.18b
    prints it (checked on a throwaway set), in the note and the bibliography."""
    from pressroom.citations.reference_list import BibliographyStyle
    bib = parse_bibtex(r"""
@letter{fl, author={Fukuzawa, Yukichi}, title={Fukuzawa Yukichi to Nakamigawa Hikojirō},
  usere={Letter to Nakamigawa Hikojirō}, origdate={1883-02-14}, booktitle={Fukuzawa Yukichi shokan shū},
  volume={3}, location={Tokyo}, publisher={Iwanami Shoten}, date={2001}, pages={250--251},
  options={nametemplates=cjk}}
""", file="letter.bib")
    style = Style(style="chicago")
    assert style.render(style.format_note(bib["fl"]), "text").startswith(
        "Fukuzawa Yukichi to Nakamigawa Hikojirō, 14 February 1883 [Letter to Nakamigawa Hikojirō], in ")
    listing = BibliographyStyle(style="chicago", entries=[bib["fl"]])
    assert "1883 [Letter to Nakamigawa Hikojirō]. In " in listing.render(
        listing.format_bibliography_entry(bib["fl"], bibliography=bib), "text")


def test_a_babel_language_name_prints_the_languages_english_name():
    """``language = {ngerman}`` is "[in German]" (biblatex-chicago: "[in ngerman]"), ``korean``
    "[in Korean]", ``langfrench`` "[in French]"."""
    bib = parse_bibtex(r"""
@book{de, author={Doe, Jane}, title={Eins}, publisher={P}, date={2001}, language={ngerman}}
@book{ko, author={Doe, Jane}, title={Hana}, publisher={P}, date={2004}, language={korean}}
@book{fr, author={Doe, Jane}, title={Un}, publisher={P}, date={2006}, language={langfrench}}
""", file="babel.bib")
    style = Style(style="chicago")
    made = {k: style.render(style.format_note(bib[k]), "text") for k in bib}
    assert "[in German]" in made["de"] and "[in Korean]" in made["ko"] and "[in French]" in made["fr"]
