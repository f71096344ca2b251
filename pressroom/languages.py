"""Languages: what a ``lang`` tag means to TeX, to the set-up and to the templates.

A document's ``lang`` (``de-DE``), a span's or div's (``[Text]{lang=fr}``)
and a ``.bib`` entry's ``langid`` name a language. This module says, for each
language pressroom typesets:

- its name to babel (as pandoc's LaTeX writer names it in ``\\foreignlanguage``:
  a test holds the two tables together), which selects its hyphenation patterns;
- the Debian package with those patterns and babel's support for it (the
  set-up installs it when a manuscript needs it: ``build.py setup --lang de``);
- for Chinese, Japanese and Korean, the Noto CJK face with the glyph forms of
  that language (Japanese and Chinese print some characters differently);
- for Russian, Ukrainian, Bulgarian and Greek, whose letters the templates'
  serifs (TeX Gyre Termes, Pagella) lack, the serif their text prints in:
  FreeSerif (Debian's fonts-freefont-otf), switched on by babel with the
  language (``SCRIPT_SERIF``);
- the templates' fixed strings ("Abstract", "Version date", ...), translated
  for German, French, Spanish, Italian, Japanese, Russian, Ukrainian and
  Bulgarian (``STRINGS``; others print the English ones: Greek too, whose
  capitals drop the accents that Jinja2's ``upper`` keeps).

English, in any variant, is typeset as today: TeX's US English patterns, no
babel, so an English document builds as it always did (byte for byte). A
document in another language, or an English one with a span or title in
another language, loads babel for exactly the languages it uses.

Right-to-left scripts (Arabic, Hebrew, Persian, ...) are out of scope: such
a ``lang`` is an error. Characters of a script the main font lacks give the
missing-glyph error of the compile stage unless they are tagged with their
language (compile.py's hint says so for Cyrillic and Greek).
"""

from __future__ import annotations

import functools
import re
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

#: Debian packages with hyphenation patterns and babel's language files
GERMAN, FRENCH, SPANISH, ITALIAN = ("texlive-lang-german", "texlive-lang-french", "texlive-lang-spanish",
                                    "texlive-lang-italian")
PORTUGUESE, EUROPEAN, POLISH = "texlive-lang-portuguese", "texlive-lang-european", "texlive-lang-polish"
CYRILLIC, GREEK, CZECHSLOVAK = "texlive-lang-cyrillic", "texlive-lang-greek", "texlive-lang-czechslovak"
#: xeCJK (line breaking by the script's rules) and the Noto CJK fonts
CJK_PACKAGES = ("texlive-lang-cjk", "texlive-lang-chinese", "fonts-noto-cjk")
#: The serif of the Cyrillic and Greek languages: the templates' TeX Gyre fonts have neither
#: script. FreeSerif is a Times-like face with both (Greek with its polytonic accents) in four
#: weights and slopes, 7 MB in Debian; the fonts template scales it to the main font's x-height.
SCRIPT_SERIF_PACKAGE = "fonts-freefont-otf"
SCRIPT_SERIF = {"regular": "FreeSerif.otf", "italic": "FreeSerifItalic.otf", "bold": "FreeSerifBold.otf",
                "bolditalic": "FreeSerifBoldItalic.otf"}


@dataclass(frozen=True)
class Language:
    babel: str                 # babel's name (pandoc's \foreignlanguage{...})
    package: str | None        # the Debian package that brings its patterns (None: always installed)
    cjk: str | None = None     # the Noto CJK glyph forms: JP, SC, TC, KR
    script_serif: bool = False   # its letters are not in the main font: its text prints in SCRIPT_SERIF

    @property
    def english(self) -> bool:
        return self.package is None and self.cjk is None

    @property
    def packages(self) -> tuple[str, ...]:
        return (*((self.package,) if self.package else ()), *(CJK_PACKAGES if self.cjk else ()),
                *((SCRIPT_SERIF_PACKAGE,) if self.script_serif else ()))


ENGLISH = Language("english", None)

#: primary subtag → language; then the regional and script variants that babel names apart
_PRIMARY = {
    "en": ENGLISH,
    "de": Language("ngerman", GERMAN),
    "fr": Language("french", FRENCH),
    "es": Language("spanish", SPANISH),
    "ca": Language("catalan", SPANISH),
    "gl": Language("galician", SPANISH),
    "eu": Language("basque", SPANISH),
    "it": Language("italian", ITALIAN),
    "pt": Language("portuguese", PORTUGUESE),
    "nl": Language("dutch", EUROPEAN),
    "sv": Language("swedish", EUROPEAN),
    "da": Language("danish", EUROPEAN),
    "nb": Language("norsk", EUROPEAN),
    "no": Language("norsk", EUROPEAN),
    "nn": Language("nynorsk", EUROPEAN),
    "fi": Language("finnish", EUROPEAN),
    "is": Language("icelandic", EUROPEAN),
    "et": Language("estonian", EUROPEAN),
    "hu": Language("magyar", EUROPEAN),
    "hr": Language("croatian", EUROPEAN),
    "sl": Language("slovene", EUROPEAN),
    "ro": Language("romanian", EUROPEAN),
    "tr": Language("turkish", EUROPEAN),
    "cy": Language("welsh", EUROPEAN),
    "ga": Language("irish", EUROPEAN),
    "la": Language("latin", EUROPEAN),
    "pl": Language("polish", POLISH),
    "cs": Language("czech", CZECHSLOVAK),
    "sk": Language("slovak", CZECHSLOVAK),
    "ru": Language("russian", CYRILLIC, script_serif=True),
    "uk": Language("ukrainian", CYRILLIC, script_serif=True),
    "bg": Language("bulgarian", CYRILLIC, script_serif=True),
    "el": Language("greek", GREEK, script_serif=True),
    "ja": Language("japanese", None, "JP"),
    "zh": Language("chinese", None, "SC"),
    "ko": Language("korean", None, "KR"),
}
_VARIANTS = {
    ("de", "AT"): Language("naustrian", GERMAN),
    ("de", "CH"): Language("nswissgerman", GERMAN),
    ("fr", "CA"): Language("canadien", FRENCH),
    ("pt", "BR"): Language("brazilian", PORTUGUESE),
    ("zh", "Hans"): Language("chinese-hans", None, "SC"),
    ("zh", "Hant"): Language("chinese-hant", None, "TC"),
}
#: right-to-left: babel's bidi and fonts with these scripts are not set up
_RIGHT_TO_LEFT = frozenset(("ar", "he", "fa", "ur", "yi", "ps", "syr", "dv"))

#: babel's names (and the old ones .bib files use as langid) → language
BY_BABEL_NAME = {lang.babel: lang for lang in (*_PRIMARY.values(), *_VARIANTS.values())}
BY_BABEL_NAME.update({name: ENGLISH for name in ("american", "british", "USenglish", "UKenglish",
                                                 "australian", "canadian", "newzealand")})
BY_BABEL_NAME.update({"german": _PRIMARY["de"], "austrian": _VARIANTS["de", "AT"],
                      "swissgerman": _VARIANTS["de", "CH"], "francais": _PRIMARY["fr"],
                      "brazil": _VARIANTS["pt", "BR"], "portuges": _PRIMARY["pt"],
                      "norwegian": _PRIMARY["no"], "slovenian": _PRIMARY["sl"],
                      "hungarian": _PRIMARY["hu"], "chinese-simplified": _VARIANTS["zh", "Hans"],
                      "chinese-traditional": _VARIANTS["zh", "Hant"]})

_TAG = re.compile(r"^([A-Za-z]{2,3})((?:-[A-Za-z0-9]{1,8})*)$")


class UnknownLanguage(ValueError):
    """A tag pressroom cannot typeset; the message says why."""


def from_tag(tag: str) -> Language:
    """The language of a BCP 47 tag (``de-DE``, ``zh-Hant``, ``ja``)."""
    m = _TAG.match(tag.strip())
    if not m:
        raise UnknownLanguage(f"`{tag}` is not a language tag (write one like en-US, de-DE, fr, ja)")
    primary = m.group(1).lower()
    subtags = [s for s in m.group(2).split("-") if s]
    if primary in _RIGHT_TO_LEFT:
        raise UnknownLanguage(f"`{tag}` is written right to left, which pressroom does not typeset")
    for sub in subtags:
        variant = _VARIANTS.get((primary, sub.upper() if len(sub) == 2 else sub.title()))
        if variant:
            return variant
    if primary not in _PRIMARY:
        raise UnknownLanguage(f"pressroom has no hyphenation patterns or fonts set up for `{tag}`")
    return _PRIMARY[primary]


def from_langid(value: str) -> Language | None:
    """The language of a ``.bib`` ``langid`` (a babel name such as ``ngerman``, ``japanese``, or a
    tag such as ``de``); None when unknown."""
    value = value.strip()
    if value in BY_BABEL_NAME:
        return BY_BABEL_NAME[value]
    if value.lower() in BY_BABEL_NAME:
        return BY_BABEL_NAME[value.lower()]
    try:
        return from_tag(value)
    except UnknownLanguage:
        return None


def known_tags() -> str:
    """The languages pressroom typesets, for a hint."""
    return ", ".join(sorted(_PRIMARY))


#: Noto CJK: the face of each glyph form in the .ttc collections of Debian's fonts-noto-cjk
CJK_FACE_INDEX = {"JP": 0, "KR": 1, "SC": 2, "TC": 3}
CJK_FONT_FILES = {"serif": ("NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc"),
                  "sans": ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")}


def is_cjk(char: str) -> bool:
    """A Chinese, Japanese or Korean character (ideographs, kana, hangul, CJK punctuation,
    full-width forms)."""
    code = ord(char)
    return (0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF
            or 0xFE30 <= code <= 0xFE4F or 0xFF00 <= code <= 0xFFEF or 0x1100 <= code <= 0x11FF
            or 0x3130 <= code <= 0x318F or 0x20000 <= code <= 0x3FFFF)


@functools.cache
def _cjk_re() -> re.Pattern:
    """Chinese, Japanese and Korean characters. Compiled on first use: the class's wide ranges cost
    18 ms to compile, which a build that renders nothing (a no-op) should not pay."""
    return re.compile("[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f"
                      "\uff00-\uffef\U00020000-\U0003ffff]")


def has_cjk(text: str) -> bool:
    # max() is a C loop: text whose every character comes before the first CJK block needs no regex
    return bool(text) and max(text) >= "\u1100" and _cjk_re().search(text) is not None


#: The templates' fixed strings (``strings`` in a template). English is the fallback for any
#: language without a row and for any string a row lacks. ``stamp`` is the draft watermark's
#: default text: DejaVu Sans, the stamp's font, has no CJK characters, so Japanese keeps English.
STRINGS: dict[str, dict[str, str]] = {
    "en": {"abstract": "Abstract", "keywords": "Keywords", "acknowledgments": "Acknowledgments",
           "version_date": "Version date", "notes": "Notes", "bibliography": "Bibliography",
           "anonymised": "Anonymised for review", "and": " and ",
           "stamp": "WORK IN PROGRESS — DO NOT CITE"},
    "de": {"abstract": "Zusammenfassung", "keywords": "Schlagwörter", "acknowledgments": "Danksagung",
           "version_date": "Stand", "notes": "Anmerkungen", "bibliography": "Literaturverzeichnis",
           "anonymised": "Für die Begutachtung anonymisiert", "and": " und ",
           "stamp": "ARBEITSFASSUNG — BITTE NICHT ZITIEREN"},
    "fr": {"abstract": "Résumé", "keywords": "Mots-clés", "acknowledgments": "Remerciements",
           "version_date": "Version", "notes": "Notes", "bibliography": "Bibliographie",
           "anonymised": "Anonymisé pour l’évaluation", "and": " et ",
           "stamp": "VERSION DE TRAVAIL — NE PAS CITER"},
    "es": {"abstract": "Resumen", "keywords": "Palabras clave", "acknowledgments": "Agradecimientos",
           "version_date": "Versión", "notes": "Notas", "bibliography": "Bibliografía",
           "anonymised": "Anonimizado para la evaluación", "and": " y ",
           "stamp": "VERSIÓN DE TRABAJO — NO CITAR"},
    "it": {"abstract": "Sommario", "keywords": "Parole chiave", "acknowledgments": "Ringraziamenti",
           "version_date": "Versione", "notes": "Note", "bibliography": "Bibliografia",
           "anonymised": "Anonimizzato per la revisione", "and": " e ",
           "stamp": "VERSIONE DI LAVORO — NON CITARE"},
    "ja": {"abstract": "要旨", "keywords": "キーワード", "acknowledgments": "謝辞",
           "version_date": "版の日付", "notes": "注", "bibliography": "参考文献",
           "anonymised": "査読用に匿名化", "and": "・"},
    "ru": {"abstract": "Аннотация", "keywords": "Ключевые слова", "acknowledgments": "Благодарности",
           "version_date": "Дата версии", "notes": "Примечания", "bibliography": "Список литературы",
           "anonymised": "Анонимизировано для рецензирования", "and": " и ",
           "stamp": "РАБОЧАЯ ВЕРСИЯ — НЕ ЦИТИРОВАТЬ"},
    "uk": {"abstract": "Анотація", "keywords": "Ключові слова", "acknowledgments": "Подяки",
           "version_date": "Дата версії", "notes": "Примітки", "bibliography": "Список літератури",
           "anonymised": "Анонімізовано для рецензування", "and": " і ",
           "stamp": "РОБОЧА ВЕРСІЯ — НЕ ЦИТУВАТИ"},
    "bg": {"abstract": "Резюме", "keywords": "Ключови думи", "acknowledgments": "Благодарности",
           "version_date": "Дата на версията", "notes": "Бележки", "bibliography": "Библиография",
           "anonymised": "Анонимизирано за рецензиране", "and": " и ",
           "stamp": "РАБОТНА ВЕРСИЯ — НЕ ЦИТИРАЙТЕ"},
}


def strings(tag: str) -> dict[str, str]:
    """The fixed strings for the document language ``tag`` (English where there is no translation)."""
    primary = tag.split("-", 1)[0].lower()
    return {**STRINGS["en"], **STRINGS.get(primary, {})}


#: where the LaTeX switches language: pandoc's spans and divs, the notes' titles (langid), raw LaTeX
_SWITCH_RE = re.compile(r"\\(?:foreignlanguage|selectlanguage|begin\{otherlanguage\*?\})\{([A-Za-z-]+)\}")


def template_languages(tag: str, latex: str) -> dict:
    """The template's ``languages`` for a document in ``tag`` whose LaTeX (body and header fields,
    and the fixed strings it prints) is ``latex`` (see ``_common/languages.tex.j2``)."""
    main = from_tag(tag)
    used = {name for name in _SWITCH_RE.findall(latex) if name in BY_BABEL_NAME}
    babel = [] if main.english and not used else [*sorted(used - {main.babel}), main.babel]
    # babel has a language file (.ldf) for the European languages, an .ini for Chinese, Japanese
    # and Korean, which \babelprovide loads
    provided = [name for name in babel if BY_BABEL_NAME[name].cjk]
    forms = {name: BY_BABEL_NAME[name].cjk for name in sorted(used) if BY_BABEL_NAME[name].cjk}
    if main.cjk:
        forms[main.babel] = main.cjk
    cjk = main.cjk or "JP"
    return {"babel": babel, "main": main.babel, "options": [n for n in babel[:-1] if n not in provided],
            "provide": [n for n in babel[:-1] if n in provided],
            "main_provided": main.babel in provided, "cjk": cjk if has_cjk(latex) else "",
            "cjk_forms": forms, "cjk_files": CJK_FONT_FILES, "cjk_index": CJK_FACE_INDEX,
            "script_serif": [n for n in babel if BY_BABEL_NAME[n].script_serif],
            "script_serif_files": SCRIPT_SERIF}


def span_tags(doc: dict) -> list[str]:
    """The ``lang`` of every span and div in the document (body and header), in order."""
    from .pandoc_ast import elements  # here: build.py imports this module on the system's Python
    tags: list[str] = []

    def collect(x) -> None:
        for element in elements(x, "Span", "Div"):
            tags.extend(v for k, v in element["c"][0][2] if k == "lang")
            collect(element["c"][1])   # a span inside a span, a div inside a div

    collect([doc.get("meta", {}), doc.get("blocks", [])])
    return tags


#: babel's language files named otherwise than the language
_LANGUAGE_FILE = {"russian": "russianb.ldf", "ukrainian": "ukraineb.ldf", "nynorsk": "norsk.ldf"}
#: what CJK support needs: xeCJK (with ctex's hooks, Debian's texlive-lang-chinese) and the fonts
CJK_FILES = ("xeCJK.sty", "ctexhook.sty", CJK_FONT_FILES["serif"][0])


@dataclass(frozen=True)
class SupportFile:
    need: str                     # babel's name of the language, or ``CJK``
    file: str                     # a file TeX must find
    packages: tuple[str, ...]     # the Debian packages that bring it (and the rest of what is needed)
    what: str                     # the error's words when it is missing


def support_files(babel_names: list[str], cjk: bool) -> list[SupportFile]:
    """What TeX needs for the languages ``babel_names`` and (``cjk``) CJK characters. English
    needs nothing beyond the base set-up."""
    needs: list[SupportFile] = []
    for name in babel_names:
        language = BY_BABEL_NAME[name]
        if language.cjk:
            cjk = True
        elif not language.english:
            needs.append(SupportFile(name, _LANGUAGE_FILE.get(name, f"{name}.ldf"), language.packages,
                                     f"the language `{name}` needs its hyphenation patterns and babel's "
                                     "language file, which are not installed"))
        if language.script_serif:
            needs.append(SupportFile(name, SCRIPT_SERIF["regular"], language.packages,
                                     f"the language `{name}` needs a font with its letters, FreeSerif, which "
                                     "is not installed"))
    if cjk:
        needs += [SupportFile("CJK", file, CJK_PACKAGES, "Chinese, Japanese and Korean characters need "
                              "xeCJK and the Noto CJK fonts, which are not installed") for file in CJK_FILES]
    return needs


def setup_argument(need: str) -> str:
    """The set-up's option that installs ``need`` (babel's name, or ``CJK``)."""
    return "--cjk" if need == "CJK" else f"--lang {need}"


_SPAN_LANG = re.compile(r"lang\s*=\s*[\"']?([A-Za-z0-9-]+)")
_LANGID = re.compile(r"langid\s*=\s*[{\"]\s*([A-Za-z-]+)", re.IGNORECASE)


def langids(bib_text: str) -> list[str]:
    """The ``langid`` fields of a .bib file's text, in order (build.py installs their patterns)."""
    return _LANGID.findall(bib_text)


#: where a .bib entry starts, and its key
_BIB_ENTRY = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]\s*([^,\s]+)\s*,", re.MULTILINE)


def likely_latex(tag: str, markdown: str, bib_texts: list[str], cited: set[str] | None) -> str:
    """Text in which :func:`template_languages` finds what a manuscript's body will most likely
    use, before the body is made (warmtex.py's early pass of a first build): the Markdown's
    characters, a switch for each span's or div's ``lang``, and of the cited entries of the
    .bib files (``cited``; None: every entry) their characters and a switch for a ``langid``
    the notes print (chicago.in_language). A guess: a wrong one costs only the early pass."""
    main = from_tag(tag).babel
    found: list[str] = [markdown]

    def switch(language: Language | None) -> None:
        if language is not None:
            found.append(rf"\foreignlanguage{{{language.babel}}}{{}}")

    for span_tag in _SPAN_LANG.findall(markdown):
        with suppress(UnknownLanguage):
            switch(from_tag(span_tag))
    for text in bib_texts:
        starts = list(_BIB_ENTRY.finditer(text))
        for at, start in enumerate(starts):
            if cited is not None and start.group(1) not in cited:
                continue
            entry = text[start.start():starts[at + 1].start() if at + 1 < len(starts) else len(text)]
            langid = _LANGID.search(entry)
            language = from_langid(langid.group(1)) if langid else None
            if language is not None and language.babel != main and (not language.cjk or has_cjk(entry)):
                switch(language)
            if has_cjk(entry):
                found.append(entry)
    return "\n".join(found)


_HEADER_LANG = re.compile(r"^lang\s*:", re.MULTILINE)


def where_named(name: str, main: str, markdown: Path,
                bibliographies: tuple[Path, ...]) -> tuple[Path, int | None]:
    """Where the document asks for the language ``name`` (babel's): the header's ``lang``, a span or
    div, a ``.bib`` entry's ``langid``; for ``CJK``, the first Chinese, Japanese or Korean character."""
    def tag_language(tag: str) -> Language | None:
        try:
            return from_tag(tag)
        except UnknownLanguage:
            return None

    searches: list[tuple[Path, re.Pattern, object]] = []
    if name == main:
        searches.append((markdown, _HEADER_LANG, None))
    if name == "CJK":
        searches += [(path, _cjk_re(), None) for path in (markdown, *bibliographies)]
    else:
        searches.append((markdown, _SPAN_LANG, tag_language))
        searches += [(bib, _LANGID, from_langid) for bib in bibliographies]
    for path, pattern, to_language in searches:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for m in pattern.finditer(text):
            language = to_language(m.group(1)) if to_language else None
            if to_language is None or (language is not None and language.babel == name):
                return path, text.count("\n", 0, m.start()) + 1
    return markdown, None
