"""Citations → Chicago footnotes, as a pure function over the Pandoc AST.

``process(doc)`` takes the JSON AST (``pandoc -f markdown -t json``) and
returns a new one in which:

- every ``Cite`` in running text is a ``Note`` holding the rendered cluster
  and a full stop; the note goes after punctuation that follows the
  citation (``text [@k].`` → ``text.`` + note; docs/citation-styles.md);
- a ``Cite`` inside an explicit footnote is rendered in place;
- rendered text is pandoc's own inlines (``fmt="pandoc"``: ``Str``,
  ``Emph``, ``Link``...), which every writer keeps, or one ``RawInline`` of
  format ``fmt`` (``latex``, ``markdown``).

``main()`` runs it as a real filter (``pandoc --filter <script>`` with a
script calling ``sys.exit(main())``): JSON on stdin, pandoc's output format
in ``argv[1]``; latex/beamer targets get raw LaTeX (the build's exact
output), every other target (docx, odt, html, markdown...) pandoc's inlines.
Cross-references (``@fig:x``, pressroom/crossref.py) become their text first,
sections unnumbered.

The bibliography list (``bibliography_list=True``, or ``bibliography-list: true`` in the
metadata): a "Bibliography" heading and every cited entry, plus those of ``nocite`` (``@*``:
every entry), in Chicago's bibliography form and order (:mod:`.reference_list`), one paragraph
each with a hanging indent. It fills a Div with the id ``refs`` (``::: {#refs}``) where the
manuscript has one, else it is one Div (id ``bibliography``) added after the body's last block.

AuthorInText citations (``@key [p. 3] says``) print the short author name
in the text and a note; SuppressAuthor (``[-@key]``) drops the author from
the note.

Options (``options=`` dict, or prefixed keys in the YAML metadata; the
argument wins over the metadata): ``citation-style`` (``chicago``, the
default, or ``working-paper``) and any single setting of the style,
``citation-ibid: false``, ``citation-date-order: dmy``... — every one is in
:class:`~pressroom.citations.options.ChicagoOptions` and
docs/citation-styles.md.

Errors: an unknown key raises :class:`~pressroom.errors.CitationError`
naming the Markdown file and line and the closest keys. Warnings (unknown
locator label, entry missing a field its note needs) go to ``warn(message,
file=..., line=...)``; the default prints ``warning: ...`` to stderr.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pybtex.richtext import String, Tag, Text

from pressroom import languages
from pressroom.errors import CitationError, PressroomError
from pressroom.pandoc_ast import (
    At,
    Div,
    Header,
    Note,
    Para,
    RawInline,
    Str,
    elements,
    stringify,
    walk,
)
from pressroom.sourcelines import find_line
from pressroom.tools import DEFAULT_LIMITS, Limits

from .backends import get_backend
from .bibliography import Bibliography, load_bibliography
from .chicago import Style, american_punctuation
from .notesmade import NotesMade
from .options import ChicagoOptions, option_kind, style_options
from .sequence import CitationItem, NoteSequencer

META_PREFIX = "citation-"
#: what moves before a running-text citation's note (``text [@k].`` → ``text.`` + note)
_LEADING_PUNCT = re.compile(r"^[.,;:!?]+")


def _default_warn(message: str, *, file=None, line=None) -> None:
    where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
    print(f"warning: {where}{message}", file=sys.stderr)


def inlines_to_rich(inlines: list) -> Text:
    """Pandoc inlines (prefixes, suffixes) as pybtex rich text."""
    parts: list = []
    for el in inlines:
        t = el.get("t")
        if t == "Str":
            parts.append(String(el["c"]))
        elif t in ("Space", "SoftBreak", "LineBreak"):
            parts.append(String(" "))
        elif t == "Emph":
            parts.append(Tag("em", inlines_to_rich(el["c"])))
        elif t == "Strong":
            parts.append(Tag("strong", inlines_to_rich(el["c"])))
        elif t == "Quoted":
            q = ("“", "”") if el["c"][0]["t"] == "DoubleQuote" else ("‘", "’")
            parts.append(Text(q[0], inlines_to_rich(el["c"][1]), q[1]))
        else:
            parts.append(String(stringify(el)))
    return Text(*parts)


def _meta_value(v: Any):
    if isinstance(v, dict):
        if v.get("t") == "MetaBool":
            return bool(v["c"])
        if v.get("t") == "MetaList":
            return [_meta_value(i) for i in v["c"]]
        return stringify(v)
    return v


def _to_bool(v) -> bool:
    if isinstance(v, bool):
        return v
    return str(v).strip().lower() not in ("false", "no", "off", "0", "")


def read_options(meta: dict, options: dict | None) -> ChicagoOptions:
    """The style from ``citation-*`` metadata (``citation-style`` names it),
    overridden by ``options`` (``{"style": "working-paper", "ibid": False}``)."""
    settings: dict[str, Any] = {}
    for key, value in (meta or {}).items():
        if key.startswith(META_PREFIX):
            settings[key[len(META_PREFIX):].replace("-", "_")] = _meta_value(value)
    for key, value in (options or {}).items():
        name = key.replace("-", "_")
        name = name.removeprefix("citation_")
        settings[name] = value
    for name, value in list(settings.items()):
        if option_kind(name) is bool and not isinstance(value, bool):
            settings[name] = _to_bool(value)
        elif option_kind(name) is int and isinstance(value, str) and value.strip().isdigit():
            settings[name] = int(value)
    try:
        return style_options(settings)
    except ValueError as exc:
        raise CitationError(str(exc),
                            hint="docs/citation-styles.md lists the styles and their settings") from None


# --------------------------------------------------------------------------


def cited_keys(x) -> list[str]:
    """The keys of every citation in ``x`` (blocks, inlines), in order."""
    return [c["citationId"] for cite in elements(x, "Cite") for c in cite["c"][0]]


class _Locator:
    """Finds the Markdown line of a citation key (for messages)."""

    def __init__(self, source: Path | None):
        self.source = source
        self._text: str | None = None

    def line_of(self, key: str, nth: int = 0) -> int | None:
        if self.source is None:
            return None
        if self._text is None:
            try:
                self._text = self.source.read_text(encoding="utf-8")
            except OSError:
                self._text = ""
        return find_line(self._text, re.compile(r"@\{?" + re.escape(key) + r"(?![\w:.#$%&\-+?<>~/]*\w)"),
                         nth=nth)


class _Processor:
    def __init__(self, bib: Bibliography, style: Style, fmt: str, source: Path | None,
                 warn: Callable[..., None], cited: list[str] = (), *,
                 record: NotesMade | None = None, given: NotesMade | None = None):
        self.bib = bib
        self.style = style
        self.fmt = fmt
        self.backend = get_backend(fmt)
        self.source = source
        self.where = _Locator(source)
        self._warn = warn
        self._current_key: str | None = None
        self._current_nth = 0
        self._key_counts: dict[str, int] = {}
        # every cited source is known up front: short notes tell apart authors who share a name
        self.seq = given.given() if given is not None else \
            NoteSequencer(style, bib, warn=self._warn_here, cited=cited)
        if record is not None:
            self.seq = record.recording(self.seq)
        #: the citation that opens the current explicit footnote (its rendering opens the note)
        self._note_initial_cite: int | None = None
        self._in_text = {"Cite": self._cite_action, "Note": self._note_action}
        self._in_note = {"Cite": self._cite_in_note_action, "Note": self._note_action}

    def _warn_here(self, message: str) -> None:
        """A warning about the current citation, at its line: the key's nth use in the text is its
        nth in the Markdown (a note's citations count where the note is referenced)."""
        line = self.where.line_of(self._current_key, self._current_nth) if self._current_key else None
        self._warn(message, file=self.source, line=line)

    # ---- citations -------------------------------------------------------

    def _items(self, cite: dict) -> list[CitationItem]:
        """The items of a citation cluster; the first one's key is where warnings point."""
        items = []
        for c in cite["c"][0]:
            key = c["citationId"]
            n = self._key_counts.get(key, 0)
            self._key_counts[key] = n + 1
            if key not in self.bib:
                self._unknown(key, n)
            mode = {"AuthorInText": "author-in-text",
                    "SuppressAuthor": "suppress-author"}.get(c["citationMode"]["t"], "normal")
            items.append(CitationItem(key, inlines_to_rich(c["citationPrefix"]),
                                      stringify(c["citationSuffix"]), mode))
        self._current_key = items[0].key if items else None
        self._current_nth = self._key_counts[items[0].key] - 1 if items else 0
        return items

    def _unknown(self, key: str, nth: int):
        close = difflib.get_close_matches(key, list(self.bib), n=3, cutoff=0.6)
        if not self.bib and not self.bib.files:
            hint = "the manuscript names no bibliography: add `bibliography: references.bib` to its header"
        elif not self.bib:
            names = ", ".join(Path(f).name for f in self.bib.files)
            hint = (f"{names} holds no entries: is it BibTeX (entries like @book{{key, ...}})? export the "
                    "library again as BibTeX or BibLaTeX (an RIS or EndNote file is not)")
        elif close:
            hint = "did you mean " + ", ".join(repr(k) for k in close) + "?"
        else:
            hint = "add the entry to the .bib file or correct the key"
        raise CitationError(f"unknown citation key {key!r}", file=self.source,
                            line=self.where.line_of(key, nth), hint=hint)

    def _render(self, text: Text) -> list[dict]:
        """Rich text as inlines: pandoc's own (``fmt="pandoc"``), or one raw LaTeX or
        Markdown inline; commas and full stops go inside closing quotation marks."""
        if self.fmt == "pandoc":
            inlines = text.render(self.backend)
            return [Str(american_punctuation(el["c"])) if el.get("t") == "Str" else el for el in inlines]
        return [RawInline(self.fmt, american_punctuation(text.render(self.backend)))]

    # ---- walking ---------------------------------------------------------

    def rewrite(self, blocks: list) -> list:
        """The document's blocks with every citation rendered, in document order."""
        return walk(blocks, self._in_text)

    def _cite_action(self, cite: dict, at: At) -> list:
        """Running-text citation → note, after following punctuation."""
        items = self._items(cite)
        note = Note([Para(self._render(self.seq.note(items)))])
        before: list = []
        if items and items[0].mode == "author-in-text":
            # the names as a short note gives them ("Shen and Xia", "Adorno et al.")
            name = str(self.style.short_name(self.bib[items[0].key]))
            if name:
                before = [Str(name)]
        if before:
            return [*before, note]
        # drop a space before the note (the note follows the word)
        spaces = ("Space", "SoftBreak")
        while at.before and isinstance(at.before[-1], dict) and at.before[-1].get("t") in spaces:
            at.before.pop()
        nxt = at.next
        if nxt and nxt.get("t") == "Str":
            m = _LEADING_PUNCT.match(nxt["c"])
            if m:
                at.skip()
                rest = nxt["c"][m.end():]
                return [Str(m.group(0)), note] + ([Str(rest)] if rest else [])
        return [note]

    def _note_action(self, note: dict, at: At) -> dict:
        """An explicit footnote: its citations are rendered in place."""
        self.seq.begin_note(cited_keys(note["c"]))
        first = note["c"][0] if note["c"] else None
        self._note_initial_cite = None
        if first and first.get("t") in ("Para", "Plain") and first["c"] and first["c"][0].get("t") == "Cite":
            self._note_initial_cite = id(first["c"][0])
        blocks = walk(note["c"], self._in_note)
        self.seq.end_note()
        return Note(blocks)

    def _cite_in_note_action(self, cite: dict, at: At) -> list:
        """A citation inside an explicit footnote: rendered in place. A full
        stop that the rendering already ends with is not doubled; a comma or
        full stop after a closing quote moves inside it."""
        initial = self._note_initial_cite == id(cite)
        rendered = self._render(self.seq.cluster(self._items(cite), note_initial=initial))
        last = rendered[-1] if rendered else None
        s = _text_of(last)
        nxt = at.next
        if s is None or not (isinstance(nxt, dict) and nxt.get("t") == "Str" and nxt["c"][:1] in (",", ".")):
            return rendered
        nc = nxt["c"]
        m = re.search(r"(’?”)$", s)
        if s.endswith(".") and nc.startswith("."):
            nc = nc[1:]
        elif m:
            _set_text(last, s[: m.start()] + nc[0] + m.group(1))
            nc = nc[1:]
        else:
            return rendered
        at.skip()
        return rendered + ([Str(nc)] if nc else [])


def _text_of(inline: dict | None) -> str | None:
    """The text of a ``Str`` or ``RawInline`` (what a note's last inline ends with)."""
    if inline is None:
        return None
    if inline.get("t") == "Str":
        return inline["c"]
    if inline.get("t") == "RawInline":
        return inline["c"][1]
    return None


def _set_text(inline: dict, text: str) -> None:
    if inline.get("t") == "Str":
        inline["c"] = text
    else:
        inline["c"][1] = text


def process(doc: dict, *, source: Path | None = None,
            bibliography: Path | list[Path] | None = None, fmt: str = "latex",
            options: dict | None = None, warn: Callable[..., None] | None = None,
            cache_dir: Path | None = None, bibliography_list: bool | None = None,
            limits: Limits = DEFAULT_LIMITS, record: NotesMade | None = None,
            given: NotesMade | None = None) -> dict:
    """Turn the citations of a Pandoc JSON AST into Chicago footnotes.

    ``bibliography``: ``.bib`` path(s) (or CSL-JSON / CSL-YAML); by default the
    ``bibliography`` key of the document's metadata, relative to ``source``'s folder. ``fmt``:
    "pandoc" (pandoc's own inlines, for every writer), or "latex" / "markdown"
    (one RawInline of that format per rendered citation).
    ``cache_dir``: where the parsed ``.bib`` files are kept between runs (a
    build folder); ``limits``: of pandoc converting a CSL-JSON or CSL-YAML file.
    Problems in the ``.bib`` are warnings (``warn``); an entry
    that cannot be used is an error only when it is cited.
    ``bibliography_list``: add the bibliography list (None: as the metadata's
    ``bibliography-list`` says). ``record``: keep the notes made (NotesMade); ``given``: the
    notes a pass over the same document made, in place of making them again (the citations
    are still read, and an unknown key is still an error).
    Returns a new document; ``doc`` is not modified.
    """
    source = Path(source) if source is not None else None
    meta = doc.get("meta", {})
    warn = warn or _default_warn
    bib = _load(meta, source, bibliography, warn=warn, cache_dir=cache_dir, limits=limits)
    chicago = read_options(meta, options)
    style = Style(options=chicago)
    cited = cited_keys(doc.get("blocks", []))
    proc = _Processor(bib, style, fmt, source, warn, cited, record=record, given=given)
    language = stringify(meta.get("lang", {})) or "en-US"
    proc.backend.document_language = _babel_name(language)
    blocks = proc.rewrite(doc.get("blocks", []))
    if bibliography_list is None:
        bibliography_list = _to_bool(_meta_value(meta.get("bibliography-list", False)))
    if bibliography_list:
        blocks = _with_list(blocks, meta, bib, chicago, fmt, cited, proc)
    return {**doc, "blocks": blocks}


def _with_list(blocks: list, meta: dict, bib: Bibliography, chicago: ChicagoOptions, fmt: str,
               cited: list[str], proc: _Processor) -> list:
    """``blocks`` with the bibliography list of the ``cited`` keys and ``nocite``'s; an unknown
    ``nocite`` key is the processor's error."""
    nocite = cited_keys(meta.get("nocite", {}))
    for n, key in enumerate(nocite):
        if key != "*" and key not in bib:
            proc._unknown(key, len(cited) + n)
    language = stringify(meta.get("lang", {})) or "en-US"
    entries = list_entries(bib, chicago, fmt, cited, nocite, document_language=_babel_name(language))
    return place_bibliography(blocks, entries, fmt, heading=languages.strings(language)["bibliography"])


def add_bibliography_list(doc: dict, blocks: list, *, source: Path | None = None, bibliography=None,
                          fmt: str = "latex", options: dict | None = None,
                          warn: Callable[..., None] | None = None, cache_dir: Path | None = None,
                          limits: Limits = DEFAULT_LIMITS) -> list:
    """``blocks`` (``doc``'s, cited part by part: a book's chapters) with the bibliography list of
    ``doc`` (whose citations are not yet notes) placed as ``process`` places it."""
    meta = doc.get("meta", {})
    warn = warn or _default_warn
    bib = _load(meta, source, bibliography, warn=warn, cache_dir=cache_dir, limits=limits)
    chicago = read_options(meta, options)
    cited = cited_keys(doc.get("blocks", []))
    proc = _Processor(bib, Style(options=chicago), fmt, source, warn, cited)
    return _with_list(blocks, meta, bib, chicago, fmt, cited, proc)


#: the Div the list goes into when the manuscript has no ``::: {#refs}``
LIST_ID = "bibliography"
#: each entry's hanging indent in LaTeX (the Manual's flush-and-hang bibliography, CMOS 14.21). Written
#: with \setlength, not `\hangindent=2em`: latexdiff (the changes PDF) takes `=2em` for words and
#: marks them; \hangafter is 1 at the start of every paragraph.
HANGING_INDENT = r"\noindent\setlength{\hangindent}{2em}{}"


def list_entries(bib: Bibliography, options: ChicagoOptions, fmt: str, cited: list[str],
                 nocite: list[str] = (), *, document_language: str = "english") -> list[list[dict]]:
    """The inlines of every entry of the bibliography list, in order; ``document_language``:
    babel's name of the document's language (a title in another switches to its own)."""
    from .reference_list import BibliographyStyle, bibliography_list, listed_keys
    keys = listed_keys(bib, cited, nocite)
    style = BibliographyStyle(options=options, entries=[bib[k] for k in keys])
    backend = get_backend(fmt)
    backend.document_language = document_language
    out = []
    for item in bibliography_list(style, bib, keys):
        text = item.text   # closed by its full stop
        if fmt == "pandoc":
            inlines = text.render(backend)
            out.append([Str(american_punctuation(el["c"])) if el.get("t") == "Str" else el for el in inlines])
        else:
            out.append([RawInline(fmt, (HANGING_INDENT if fmt == "latex" else "")
                                  + american_punctuation(text.render(backend)))])
    return out


def place_bibliography(blocks: list, entries: list[list[dict]], fmt: str, *,
                       heading: str = "Bibliography") -> list:
    """The list in the manuscript's ``::: {#refs}`` Div (with the heading unless a heading comes
    just before the Div), else in a Div of its own after the last block."""
    paras = [Para(inlines) for inlines in entries]
    title = [Header(1, [Str(heading)], classes=("unnumbered",))] if entries else []
    # Word and other writers: the paragraphs take the style "Bibliography" (a hanging indent in
    # the reference document)
    wrapped = Div(paras, classes=("bibliography",), attributes=(("custom-style", "Bibliography"),)) \
        if fmt == "pandoc" and paras else None
    content = [wrapped] if wrapped else paras

    placed = False

    def fill(div: dict, at: At):
        nonlocal placed
        if placed or div["c"][0][0] != "refs":
            return None
        placed = True
        before = at.before[-1] if at.before else None
        heading_before = isinstance(before, dict) and before.get("t") == "Header"
        return Div(([] if heading_before else title) + content, id="refs", classes=("bibliography",))

    out = walk(blocks, {"Div": fill})
    if placed or not entries:
        return out
    return [*out, Div(title + content, id=LIST_ID, classes=("bibliography",))]


def _babel_name(tag: str) -> str:
    """babel's name of the document's language: titles in it need no language switch."""
    try:
        return languages.from_tag(tag).babel
    except languages.UnknownLanguage:
        return languages.ENGLISH.babel


def load_for(doc: dict, source: Path | None, bibliography=None, *, warn=None, cache_dir=None,
             limits: Limits = DEFAULT_LIMITS) -> Bibliography:
    """The bibliography ``process`` would load for ``doc``: loaded once for several parts of a book."""
    return _load(doc.get("meta", {}), source, bibliography, warn=warn or _default_warn, cache_dir=cache_dir,
                 limits=limits)


def _load(meta: dict, source: Path | None, bibliography, *, warn=None, cache_dir=None,
          limits: Limits = DEFAULT_LIMITS) -> Bibliography:
    if isinstance(bibliography, Bibliography):
        return bibliography
    if bibliography is None:
        value = _meta_value(meta.get("bibliography")) if "bibliography" in meta else None
        if not value:
            return Bibliography()
        paths = value if isinstance(value, list) else [value]
        base = source.parent if source is not None else Path.cwd()
        bibliography = [base / p for p in paths]
    elif isinstance(bibliography, (str, Path)):
        bibliography = [bibliography]
    return load_bibliography([Path(p) for p in bibliography], warn=warn, cache_dir=cache_dir,
                             limits=limits)


def main(argv: list[str] | None = None) -> int:
    """Pandoc JSON filter: ``pandoc --filter pressroom-citations ...``.

    The output format is ``argv[1]`` (pandoc passes it): raw LaTeX for
    "latex"/"beamer", pandoc's own inlines for every other writer. Errors print
    ``error: ...`` and exit 1.
    """
    argv = sys.argv if argv is None else argv
    target = argv[1] if len(argv) > 1 else "latex"
    fmt = "latex" if target.startswith(("latex", "beamer")) else "pandoc"
    doc = json.load(sys.stdin)
    try:
        from pressroom.crossref import resolve  # @fig:x is a cross-reference, not a citation key
        result = process(resolve(doc, fmt="latex" if fmt == "latex" else "pandoc"), fmt=fmt)
    except PressroomError as exc:   # an unknown key, a .bib that cannot be read...
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    json.dump(result, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
