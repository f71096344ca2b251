"""Languages and CJK script (pressroom/languages.py, templates/_common/languages.tex.j2).

Real TeX, one build each per session: an English paper with Japanese and Chinese titles in its
notes and characters in its text (read back with pdftotext; fonts embedded and subset), and a
German paper (German patterns loaded, long compounds hyphenated, German fixed strings and
quotation marks). `python3 build.py test` installs what they need (build.py's TEST_EXTRAS:
texlive-lang-german, and xeCJK with the Noto CJK fonts). An English paper without CJK
characters builds as before, byte for byte: test_reproducible.py and the sample build cover it,
and the cases below check that nothing is loaded for it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from conftest import made_once, pdf_text, run_cli
from pressroom import languages
from pressroom.tools import pandoc_path

DATA = Path(__file__).parent / "data" / "languages"


def _build(tmp_path_factory, name: str, template: str = "working-paper") -> Path:
    """tests/data/languages/NAME copied and built once per session (across workers) with
    ``template``: the build folder. Read it."""
    def make(folder: Path) -> None:
        shutil.copytree(DATA / name, folder / "ms")
        run_cli(folder / "ms" / "paper.md", "--out", folder / "out", "--template", template)
    return made_once(tmp_path_factory, f"languages-{name}-{template}", make) / "out"


@pytest.fixture(scope="session")
def cjk_build(tmp_path_factory) -> Path:
    return _build(tmp_path_factory, "cjk")


@pytest.fixture(scope="session")
def german_build(tmp_path_factory) -> Path:
    return _build(tmp_path_factory, "german")


@pytest.fixture(scope="session")
def script_build(tmp_path_factory) -> Path:
    """An English paper with Russian, Ukrainian, Bulgarian and Greek spans and note titles."""
    return _build(tmp_path_factory, "cyrillic-greek")


@pytest.fixture(scope="session")
def russian_book(tmp_path_factory) -> Path:
    """A paper in Russian (`lang: ru`) built with the book template: babel's Russian strings."""
    return _build(tmp_path_factory, "russian", "book")


@pytest.fixture(scope="session")
def bulgarian_article(tmp_path_factory) -> Path:
    """A paper in Bulgarian with Russian and Greek spans, built with the journal-article template."""
    return _build(tmp_path_factory, "bulgarian", "journal-article")


def _fonts(pdf: Path) -> dict[str, tuple[str, str]]:
    """pdffonts: each font's name without its subset tag → (embedded, subset)."""
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    fonts = {}
    for line in lines.splitlines()[2:]:
        name, *_, emb, sub, _uni, _obj, _gen = line.split()
        fonts[name.split("+", 1)[-1].removesuffix("-Identity-H")] = (emb, sub)
    return fonts


def _squeezed(text: str) -> str:
    """pdftotext's text without the spaces it reads into the stretched gaps between CJK characters."""
    return re.sub(r"(?<=[^\x00-\u2e7f]) (?=[^\x00-\u2e7f])", "", text)


# ---- CJK -----------------------------------------------------------------------------------------

def test_cjk_characters_print_in_the_text_the_notes_and_the_header(cjk_build):
    text = _squeezed(pdf_text(cjk_build / "paper.pdf"))
    assert "The Sino-Soviet Split (中ソ対立) in Japanese and Chinese Scholarship" in text   # header
    assert "Chū-So tairitsu 中ソ対立 [The Sino-Soviet Conflict]" in text
    assert "中苏论战" in text and "중소" in text and "분쟁" in text
    assert "日本の歴史家は冷戦の起源について多くの研究を発表してきた。" in text   # no space at line ends
    # the notes: the romanization, the characters, the translation
    assert "Reisen no kigen: Amerika no tai-So seisaku 冷戦の起源：アメリカの対ソ政策 [The Origins" in text
    assert "Mao Zedong, Sidalin yu Chaoxian zhanzheng 毛泽东、斯大林与朝鲜战争 [Mao Zedong, Stalin" in text


def test_cjk_fonts_are_embedded_and_subset_and_latin_text_keeps_its_font(cjk_build):
    names = []
    with pikepdf.open(cjk_build / "paper.pdf") as pdf:
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                descendant = font.DescendantFonts[0]
                assert "/FontFile3" in descendant.FontDescriptor or "/FontFile2" in descendant.FontDescriptor
                names.append(str(font.BaseFont))
    assert all(re.match(r"/[A-Z]{6}\+", n) for n in names), names        # subsets
    assert any("NotoSerifCJK" in n for n in names)
    assert any("TeXGyreTermes-Regular" in n for n in names)              # xeCJK left the main font
    # Japanese and Chinese glyph forms: one face of the Noto collection each
    assert len({n.split("+")[0] for n in names if "NotoSerifCJK" in n}) >= 2
    result = subprocess.run(["pdffonts", str(cjk_build / "paper.pdf")], capture_output=True, text=True,
                            check=True)
    rows = [line.split() for line in result.stdout.splitlines()[2:]]
    assert rows and all(row[-5:-3] == ["yes", "yes"] for row in rows)   # emb, sub


def test_note_titles_are_set_in_their_langid_language(cjk_build):
    tex = (cjk_build / "paper.tex").read_text(encoding="utf-8")
    assert r"\emph{\foreignlanguage{japanese}{Reisen no kigen" in tex
    assert r"\emph{\foreignlanguage{chinese}{Mao Zedong, Sidalin" in tex
    assert r"\emph{The Global Cold War}" in tex          # English in an English paper: no switch
    assert r"\foreignlanguage{ngerman}{die Donaudampfschifffahrtsgesellschaft" in tex   # a span
    assert r"\usepackage{xeCJK}" in tex
    assert r"\xeCJKsetup{CJKspace=true}" in tex and "중소 분쟁" in tex   # a Korean word space is kept
    assert re.search(r"\\setCJKfamilyfont\{pressroomSC\}\{NotoSerifCJK-Regular.ttc\}\[FontIndex=2", tex)
    assert r"\addto\csname extraschinese\endcsname{\CJKfamily{pressroomSC}}" in tex
    log = (cjk_build / "tex" / "paper.log").read_text(encoding="utf-8", errors="replace")
    assert "Language: ngerman" in log      # the span's patterns


def test_cjk_and_langid_hold_under_safe(cjk_build, tmp_path):
    """--safe: the language switches are pandoc's and the notes engine's own LaTeX, and TeX in its
    sandbox finds the CJK fonts; the PDF is the same bytes."""
    shutil.copytree(DATA / "cjk", tmp_path / "ms")
    run_cli(tmp_path / "ms" / "paper.md", "--out", tmp_path / "out", "--safe")
    assert (tmp_path / "out" / "paper.pdf").read_bytes() == (cjk_build / "paper.pdf").read_bytes()


def test_cjk_with_lualatex_is_an_error_naming_the_engine(tmp_path):
    templates = tmp_path / "ms" / "templates"
    shutil.copytree(Path(__file__).parents[1] / "templates" / "working-paper", templates / "lua")
    settings = templates / "lua" / "settings.toml"
    settings.write_text(settings.read_text().replace('engine = "xelatex"', 'engine = "lualatex"'))
    (tmp_path / "ms" / "paper.md").write_text("---\ntitle: T\ntemplate: lua\n---\n\nThe 中ソ対立.\n",
                                              encoding="utf-8")
    result = run_cli(tmp_path / "ms" / "paper.md", "--out", tmp_path / "out", check=False)
    assert result.returncode == 1
    assert f"error: {tmp_path / 'ms' / 'paper.md'}:6: render: Chinese, Japanese and Korean characters " \
           "need XeLaTeX" in result.stderr


# ---- German ----------------------------------------------------------------------------------------

def test_a_german_paper_is_hyphenated_and_labelled_in_german(german_build):
    log = (german_build / "tex" / "paper.log").read_text(encoding="utf-8", errors="replace")
    assert "Language: ngerman" in log and "babel-german/ngerman.ldf" in log
    assert "No hyphenation patterns were preloaded" not in log
    # -raw: pdftotext joins the halves of a hyphenated word otherwise
    raw = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(german_build / "paper.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    broken = [line.split()[-1] for line in raw.splitlines() if re.search(r"[a-zäöüß]-$", line)]
    # long compounds broken at line ends where the German patterns allow (Grundstücks…zuständigkeits-über…)
    assert len(broken) >= 3 and "Grundstücksverkehrsgenehmigungszuständigkeitsüber-" in broken, raw
    text = pdf_text(german_build / "paper.pdf")
    assert "ZUSAMMENFASSUNG" in text and "Stand: 2026-03-14" in text
    assert "„Binnenschifffahrt“" in text and "„Gegenstand“" in text     # German quotation marks
    assert "ABSTRACT" not in text and "Version date" not in text


def test_german_fixed_strings_in_the_journal_template(tmp_path):
    shutil.copytree(DATA / "german", tmp_path / "ms")
    run_cli(tmp_path / "ms" / "paper.md", "--out", tmp_path / "out", "--template", "journal-article")
    text = pdf_text(tmp_path / "out" / "paper.pdf")
    assert "Zusammenfassung." in text and "Schlagwörter: Binnenschifffahrt; Kalter Krieg" in text
    assert "Stand: 2026-03-14" in text


def test_the_stamp_speaks_the_document_language(german_build):
    text = pdf_text(german_build / "paper-draft.pdf")
    assert "ARBEITSFASSUNG — BITTE NICHT ZITIEREN" in text


# ---- Cyrillic and Greek --------------------------------------------------------------------------

def test_cyrillic_and_greek_spans_print_in_freeserif_beside_the_main_font(script_build):
    text = pdf_text(script_build / "paper.pdf")
    assert "The Gosplan Archive: Госплан and ἀρχεῖον" in text                  # the title
    assert "Planning in Москва" in text                                         # a heading
    assert "The planners of Госплан wrote пятилетка and выполнить; in Kyiv п’ятирічка, in Sofia петилетка." \
        in text
    assert "ἀρετὴ καὶ Ἀθῆναι, λόγος and ἦθος." in text and "Back in English after the spans." in text
    # the note titles, in their langid's language
    assert "Vladislav Zubok, Неудавшаяся империя [A Failed Empire] (Moscow: ROSSPEN, 2011)" in text
    assert "Ἐπισκόπηση τῆς νεοελληνικῆς ἱστορίας [Survey of Modern Greek History]" in text
    fonts = _fonts(script_build / "paper.pdf")
    # upright, italic and bold FreeSerif, embedded as subsets, beside the main font
    for face in ("FreeSerif", "FreeSerifItalic", "FreeSerifBold", "TeXGyreTermes-Regular"):
        assert fonts.get(face) == ("yes", "yes"), fonts
    tex = (script_build / "paper.tex").read_text(encoding="utf-8")
    assert "\\addto\\csname extrasgreek\\endcsname{\\babel@save\\rmdefault\\pressroom@toscript}" in tex


def test_the_early_pass_guesses_the_preamble_with_the_script_font(script_build, tmp_path):
    """render.likely_preamble (a first build's early pass) gives the preamble the render stage made."""
    from pressroom.config import build_settings
    from pressroom.errors import Warnings
    from pressroom.facts import of_build
    from pressroom.manuscript import read_manuscript
    from pressroom.render import likely_preamble
    shutil.copytree(DATA / "cyrillic-greek", tmp_path / "ms")
    warnings = Warnings(echo=False)
    settings = build_settings(read_manuscript(tmp_path / "ms" / "paper.md", warnings), out_dir=script_build,
                              warnings=warnings)
    tex = (script_build / "paper.tex").read_text(encoding="utf-8")
    guess = likely_preamble(settings, of_build(settings))
    assert guess is not None and "pressroomscript" in guess
    assert tex.startswith(guess)


def test_a_paper_in_russian_prints_babels_strings_headings_and_notes_in_freeserif(russian_book):
    text = pdf_text(russian_book / "paper.pdf")
    assert "Оглавление" in text and "Глава 1" in text and "Введение" in text     # babel's strings
    assert "Текст по-русски, курсивом и полужирным, с английской цитатой The Origins of the Cold War." in text
    assert "Примечание по-русски." in text
    # everything, page numbers and the English quotation too, is in FreeSerif: no face of Pagella
    fonts = _fonts(russian_book / "paper.pdf")
    assert {"FreeSerif", "FreeSerifItalic", "FreeSerifBold"} <= set(fonts), fonts
    assert not [name for name in fonts if "Pagella" in name], fonts
    log = (russian_book / "tex" / "paper.log").read_text(encoding="utf-8", errors="replace")
    assert "Language: russian" in log and "Font Warning" not in log
    assert "Дата версии: 2026-03-14" in text and "Аннотация" in text          # the template's strings
    assert "Исследование архивов Госплана." in text


def test_the_stamp_of_a_paper_in_russian_speaks_russian(russian_book):
    assert "РАБОЧАЯ ВЕРСИЯ — НЕ ЦИТИРОВАТЬ" in pdf_text(russian_book / "paper-draft.pdf")


def test_a_paper_in_bulgarian_with_russian_and_greek_spans_builds(bulgarian_article):
    """babel's Bulgarian as the main language beside Russian: its file would switch to the EU1
    encoding, declare \\sh twice and read an undefined \\bulgarianhyphenmins (languages.tex.j2)."""
    text = pdf_text(bulgarian_article / "paper.pdf")
    assert "Текст на български, курсив и получер, с руска дума пятилетка и гръцка λόγος." in text
    assert "Бележка на български." in text and "Архивите на София" in text
    fonts = _fonts(bulgarian_article / "paper.pdf")
    assert {"FreeSerif", "FreeSerifItalic", "FreeSerifBold"} <= set(fonts), fonts
    assert not [name for name in fonts if "Pagella" in name], fonts


# ---- no TeX --------------------------------------------------------------------------------------

def test_only_documents_with_cyrillic_or_greek_get_the_script_font():
    assert languages.template_languages("en-US", "Plain text.")["script_serif"] == []
    assert languages.template_languages("de-DE", r"\foreignlanguage{french}{mot}")["script_serif"] == []
    used = languages.template_languages("en-US", r"\foreignlanguage{russian}{слово} "
                                                 r"\foreignlanguage{greek}{λόγος}")
    assert used["script_serif"] == ["greek", "russian"]
    assert languages.template_languages("bg", "текст")["script_serif"] == ["bulgarian"]


@pytest.mark.parametrize("template", ["working-paper", "anonymous-review", "journal-article", "book"])
def test_every_template_switches_the_script_font_with_the_language(template, tmp_path):
    from pressroom.config import PROJECT_TEMPLATES
    from pressroom.render import TEMPLATE_FILE, make_environment
    env = make_environment(PROJECT_TEMPLATES / template)
    text = env.get_template("_common/fonts.tex.j2").render(
        settings={}, languages=languages.template_languages("uk", r"\foreignlanguage{greek}{λόγος}"))
    assert "\\DeclareFontFamily{TU}{pressroomscript}{}" in text
    assert "\\csname extrasukrainian\\endcsname" in text and "\\csname extrasgreek\\endcsname" in text
    template_text = (PROJECT_TEMPLATES / template / TEMPLATE_FILE).read_text(encoding="utf-8")
    assert "_common/fonts.tex.j2" in template_text


def test_a_missing_script_font_names_the_setup_command(tmp_path, monkeypatch):
    """What a machine with Russian's patterns but without fonts-freefont-otf says, before TeX."""
    monkeypatch.setitem(languages.SCRIPT_SERIF, "regular", "FreeSerif-not-installed.otf")
    (tmp_path / "paper.md").write_text("---\ntitle: T\n---\n\nText.\n\nIn [Москва]{lang=ru}.\n",
                                       encoding="utf-8")
    result = run_cli(tmp_path / "paper.md", "--out", tmp_path / "out", check=False)
    assert result.returncode == 1
    assert (f"error: {tmp_path / 'paper.md'}:7: render: the language `russian` needs a font with its "
            "letters, FreeSerif, which is not installed (FreeSerif-not-installed.otf not found)"
            ) in result.stderr
    assert ("hint: run `python3 build.py setup --lang russian` (Debian packages: texlive-lang-cyrillic "
            "fonts-freefont-otf;") in result.stderr


@pytest.mark.parametrize(("char", "source", "expected"), [
    ("Москва", "paper.md", "tag Cyrillic text with its language: `[слово]{lang=ru}` (`uk` Ukrainian, "
                           "`bg` Bulgarian), or `lang: ru` in the header of a paper in Russian; tagged text "
                           "prints in FreeSerif"),
    ("ἀρετή", "paper.md", "tag Greek text with its language: `[λόγος]{lang=el}`, or `lang: el`"),
    ("Москва ἀρετή", "paper.md", "tag Cyrillic and Greek text with its language: `[слово]{lang=ru}` "
                                 "(`uk` Ukrainian, `bg` Bulgarian) and `[λόγος]{lang=el}`, or `lang:` in "
                                 "the header"),
    ("Москва", "refs.bib", "give the entry its language: `langid = {russian}` (russian, ukrainian, "
                           "bulgarian)"),
])
def test_untagged_cyrillic_or_greek_asks_for_its_language(tmp_path, char, source, expected):
    """The compile stage's missing-glyph error (a log as XeTeX writes it) says how to tag the text."""
    from pressroom.compile import check_log
    from pressroom.errors import LatexError
    log = tmp_path / "paper.log"
    log.write_text("".join(f"Missing character: There is no {c} (U+{ord(c):04X}) in font "
                           "[texgyretermes-regular.otf]:mapping=tex-text!\n" for c in char if c != " "),
                   encoding="utf-8")
    (tmp_path / source).write_text(f"first line\nthe word {char} here\n", encoding="utf-8")
    with pytest.raises(LatexError) as caught:
        check_log(log, tmp_path / "paper.tex", tmp_path / source)
    assert caught.value.line == 2 and caught.value.file == tmp_path / source
    assert expected in caught.value.hint



def test_babel_names_agree_with_pandocs_writer():
    """A span's \\foreignlanguage is pandoc's; babel must load the same name."""
    tags = ["de", "de-AT", "de-CH", "fr", "fr-CA", "es", "it", "pt", "pt-BR", "nl", "sv", "da", "nb",
            "fi", "pl", "cs", "ru", "uk", "el", "la", "hu", "tr", "ja", "zh", "zh-Hans", "zh-Hant", "ko",
            "en-GB", "en-US"]
    markdown = " ".join(f"[{i}]{{lang={tag}}}" for i, tag in enumerate(tags))
    out = subprocess.run([pandoc_path(), "--from", "markdown", "--to", "latex"], input=markdown,
                         capture_output=True, text=True, check=True).stdout
    written = dict((int(i), name) for name, i in re.findall(r"\\foreignlanguage\{([a-z-]+)\}\{(\d+)\}", out))
    for i, tag in enumerate(tags):
        language = languages.from_tag(tag)
        if language.english:
            assert languages.BY_BABEL_NAME[written[i]].english
        else:
            assert written[i] == language.babel, tag


def test_an_english_paper_without_cjk_loads_nothing():
    used = languages.template_languages("en-US", "Plain text, “quoted”, ū and ō.")
    assert used["babel"] == [] and used["cjk"] == ""
    used = languages.template_languages("en-GB", r"\foreignlanguage{ngerman}{Wort}")
    assert used["babel"] == ["ngerman", "english"] and used["main"] == "english"


@pytest.mark.parametrize(("lang", "expected"), [("ar", "right to left"), ("xx-YY", "no hyphenation patterns"),
                                                ("not a tag", "not a language tag")])
def test_a_language_pressroom_cannot_typeset_is_an_error_at_the_header(tmp_path, lang, expected):
    (tmp_path / "paper.md").write_text(f"---\ntitle: T\nlang: {lang}\n---\n\nText.\n", encoding="utf-8")
    result = run_cli(tmp_path / "paper.md", "--out", tmp_path / "out", check=False)
    assert result.returncode == 1
    assert f"error: {tmp_path / 'paper.md'}:3: `lang`: " in result.stderr and expected in result.stderr


def test_a_span_in_a_right_to_left_language_is_an_error_at_its_line(tmp_path):
    (tmp_path / "paper.md").write_text("---\ntitle: T\n---\n\nText.\n\nMore [نص]{lang=ar}.\n",
                                       encoding="utf-8")
    result = run_cli(tmp_path / "paper.md", "--out", tmp_path / "out", check=False)
    assert result.returncode == 1
    assert f"error: {tmp_path / 'paper.md'}:7: convert: a span's or div's language: " in result.stderr


def test_missing_patterns_name_the_setup_command(tmp_path, monkeypatch):
    """What a machine without texlive-lang-german says (kpsewhich looks for a file that is not there)."""
    monkeypatch.setitem(languages._LANGUAGE_FILE, "ngerman", "ngerman-not-installed.ldf")
    shutil.copytree(DATA / "german", tmp_path / "ms")
    result = run_cli(tmp_path / "ms" / "paper.md", "--out", tmp_path / "out", check=False)
    assert result.returncode == 1
    assert (f"error: {tmp_path / 'ms' / 'paper.md'}:6: render: the language `ngerman` needs its hyphenation "
            "patterns and babel's language file, which are not installed") in result.stderr
    assert "hint: run `python3 build.py setup --lang ngerman` (Debian packages: texlive-lang-german;" in \
        result.stderr
    assert not (tmp_path / "out" / "paper.pdf").exists()


def test_missing_cjk_support_names_the_first_character_and_the_command(tmp_path, monkeypatch):
    monkeypatch.setattr(languages, "CJK_FILES", ("xeCJK-not-installed.sty",))
    (tmp_path / "paper.md").write_text("---\ntitle: T\n---\n\nText.\n\nThe 中ソ対立.\n", encoding="utf-8")
    result = run_cli(tmp_path / "paper.md", "--out", tmp_path / "out", check=False)
    assert result.returncode == 1
    assert f"error: {tmp_path / 'paper.md'}:7: render: Chinese, Japanese and Korean characters need " \
           "xeCJK and the Noto CJK fonts" in result.stderr
    assert "python3 build.py setup --cjk" in result.stderr and "fonts-noto-cjk" in result.stderr


def test_the_notes_as_markdown_keep_titles_plain(tmp_path):
    shutil.copytree(DATA / "cjk", tmp_path / "ms")
    notes = json.loads(run_cli("notes", tmp_path / "ms" / "paper.md", "--json").stdout)
    assert notes[0]["text"].startswith("Nagai Yōnosuke, *Reisen no kigen: Amerika no tai-So seisaku "
                                       "冷戦の起源：アメリカの対ソ政策* \\[The Origins")


def test_setup_prints_the_packages_when_installed():
    result = run_cli("setup", "--cjk", "--lang", "de-DE")
    assert result.stdout.strip() == ("sudo apt-get install texlive-lang-cjk texlive-lang-chinese "
                                     "fonts-noto-cjk texlive-lang-german")
    result = run_cli("setup", "--lang", "ru", "--lang", "el")   # the font comes with the language
    assert result.stdout.strip() == ("sudo apt-get install texlive-lang-cyrillic fonts-freefont-otf "
                                     "texlive-lang-greek")
    assert "unknown language" in run_cli("setup", "--lang", "xx", check=False).stderr


def test_fixed_strings_are_translated():
    for tag in ("de-DE", "fr", "es", "it", "ja", "ru", "uk", "bg"):
        strings = languages.strings(tag)
        assert strings["abstract"] != "Abstract" and strings["version_date"] != "Version date", tag
    assert languages.strings("ja")["stamp"] == languages.STRINGS["en"]["stamp"]   # DejaVu has no kana
    assert languages.strings("pl")["abstract"] == "Abstract"


def test_a_german_paper_switches_english_titles_in_notes_and_bibliography(tmp_path):
    """No TeX: the notes engine's LaTeX for a German paper citing an English book (langid english),
    and the bibliography list under its German heading."""
    from pressroom.citations.pandoc_filter import process
    from pressroom.pandoc_ast import read_markdown
    (tmp_path / "refs.bib").write_text("@book{e, author={Smith, John}, title={The Internationalization "
                                       "of Everything}, location={London}, publisher={P}, date={2000}, "
                                       "langid={english}}\n", encoding="utf-8")
    (tmp_path / "paper.md").write_text("---\ntitle: T\nlang: de-DE\nbibliography: refs.bib\n"
                                       "bibliography-list: true\n---\n\nText.[@e]\n", encoding="utf-8")
    doc = process(read_markdown(tmp_path / "paper.md"), source=tmp_path / "paper.md")
    latex = json.dumps(doc, ensure_ascii=False)
    assert latex.count(r"\\emph{\\foreignlanguage{english}{The Internationalization of Everything}}") == 2
    assert '"Literaturverzeichnis"' in latex
