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

from pressroom.errors import CitationError

from .backends import get_backend
from .bibliography import Bibliography, load_bibliography
from .chicago import Style, american_punctuation
from .options import ChicagoOptions, option_kind, style_options
from .sequence import CitationItem, NoteSequencer

META_PREFIX = "citation-"
_PUNCT = ".,;:!?"


def _default_warn(message: str, *, file=None, line=None) -> None:
    where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
    print(f"warning: {where}{message}", file=sys.stderr)


# --------------------------------------------------------------------------
# AST helpers


def stringify(x: Any) -> str:
    """Plain text of inlines/blocks (as pandoc's ``stringify``)."""
    if isinstance(x, list):
        return "".join(stringify(i) for i in x)
    if isinstance(x, dict):
        t = x.get("t")
        if t == "Str":
            return x["c"]
        if t in ("Space", "SoftBreak", "LineBreak"):
            return " "
        if t in ("Code", "Math", "RawInline"):
            return x["c"][1]
        if t == "Quoted":
            q = x["c"][0]["t"]
            inner = stringify(x["c"][1])
            return f"“{inner}”" if q == "DoubleQuote" else f"‘{inner}’"
        if t == "Cite":
            return stringify(x["c"][1])
        if t in ("MetaString",):
            return x["c"]
        if t == "MetaBool":
            return "true" if x["c"] else "false"
        if t in ("Link", "Image", "Span"):
            return stringify(x["c"][1])
        if "c" in x:
            return stringify(x["c"])
    return ""


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
        raise CitationError(str(exc), hint="docs/citation-styles.md lists the styles and their settings") from None


# --------------------------------------------------------------------------


#: inline elements with nothing to walk into (most of a document)
_LEAVES = frozenset(("Str", "Space", "SoftBreak", "LineBreak", "Code", "Math", "RawInline",
                     "RawBlock", "CodeBlock", "HorizontalRule"))


def cited_keys(x) -> list[str]:
    """The keys of every citation in ``x`` (blocks, inlines), in order."""
    keys: list[str] = []
    stack = [x]
    while stack:   # depth first, children pushed in reverse so that keys come in document order
        y = stack.pop()
        if isinstance(y, list):
            stack.extend(reversed(y))
        elif isinstance(y, dict):
            t = y.get("t")
            if t == "Cite":
                keys.extend(c["citationId"] for c in y["c"][0])
            elif t not in _LEAVES and "c" in y:
                stack.append(y["c"])
    return keys


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
        hits = [m.start() for m in re.finditer(
            r"@\{?" + re.escape(key) + r"(?![\w:.#$%&\-+?<>~/]*\w)", self._text)]
        if not hits:
            return None
        pos = hits[min(nth, len(hits) - 1)]
        return self._text.count("\n", 0, pos) + 1


class _Processor:
    def __init__(self, bib: Bibliography, style: Style, fmt: str, source: Path | None,
                 warn: Callable[..., None], cited: list[str] = ()):
        self.bib = bib
        self.style = style
        self.fmt = fmt
        self.backend = get_backend(fmt)
        self.source = source
        self.where = _Locator(source)
        self._warn = warn
        self._current_key: str | None = None
        self._key_counts: dict[str, int] = {}
        # every cited source is known up front: short notes tell apart authors who share a name
        self.seq = NoteSequencer(style, bib, warn=self._warn_here, cited=cited)

    def _warn_here(self, message: str) -> None:
        line = self.where.line_of(self._current_key) if self._current_key else None
        self._warn(message, file=self.source, line=line)

    # ---- citations -------------------------------------------------------

    def _items(self, cite: dict) -> list[CitationItem]:
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
        return items

    def _unknown(self, key: str, nth: int):
        close = difflib.get_close_matches(key, list(self.bib), n=3, cutoff=0.6)
        if not self.bib and not self.bib.files:
            hint = "the manuscript names no bibliography: add `bibliography: references.bib` to its header"
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
            return [{"t": "Str", "c": american_punctuation(el["c"])} if el.get("t") == "Str" else el
                    for el in inlines]
        return [{"t": "RawInline", "c": [self.fmt, american_punctuation(text.render(self.backend))]}]

    def _cluster(self, cite: dict, *, note_initial: bool) -> Text:
        items = self._items(cite)
        self._current_key = items[0].key if items else None
        return self.seq.cluster(items, note_initial=note_initial)

    # ---- walking ---------------------------------------------------------

    def walk(self, x, in_note: bool = False):
        """Rewrite ``x`` (blocks/inlines/anything) in document order."""
        if isinstance(x, list):
            if any(isinstance(i, dict) and i.get("t") in ("Cite", "Note") for i in x):
                return self._inline_list(x, in_note)
            return [self.walk(i, in_note) for i in x]
        if isinstance(x, dict) and "c" in x and x.get("t") not in ("Str", "Code", "Math", "RawInline", "RawBlock", "CodeBlock"):
            return {**x, "c": self.walk(x["c"], in_note)}
        return x

    def _inline_list(self, inlines: list, in_note: bool) -> list:
        out: list = []
        i = 0
        n = len(inlines)
        while i < n:
            el = inlines[i]
            t = el.get("t") if isinstance(el, dict) else None
            if t == "Note":
                out.append(self._note_action(el))
            elif t == "Cite" and in_note:
                result, consumed = self._cite_in_note_action(el, inlines, i)
                out.extend(result)
                i += consumed
            elif t == "Cite":
                note, consumed = self._cite_action(el, inlines, i, out)
                out.extend(note)
                i += consumed
            else:
                out.append(self.walk(el, in_note))
            i += 1
        return out

    def _cite_action(self, cite: dict, inlines: list, i: int, out: list):
        """Running-text citation → note, after following punctuation."""
        items = self._items(cite)
        self._current_key = items[0].key if items else None
        text = self.seq.note(items)
        note = {"t": "Note", "c": [{"t": "Para", "c": self._render(text)}]}
        before: list = []
        if items and items[0].mode == "author-in-text":
            # the names as a short note gives them ("Shen and Xia", "Adorno et al.")
            name = str(self.style.short_name(self.bib[items[0].key]))
            if name:
                before = [{"t": "Str", "c": name}]
        # drop a space before the note (the note follows the word)
        if not before:
            while out and isinstance(out[-1], dict) and out[-1].get("t") in ("Space", "SoftBreak"):
                out.pop()
        nxt = inlines[i + 1] if i + 1 < len(inlines) else None
        if not before and nxt and nxt.get("t") == "Str":
            m = re.match(rf"^[{re.escape(_PUNCT)}]+", nxt["c"])
            if m:
                punct, rest = m.group(0), nxt["c"][m.end():]
                result = [{"t": "Str", "c": punct}, note]
                if rest:
                    result.append({"t": "Str", "c": rest})
                return result, 1
        return before + [note], 0

    def _note_action(self, note: dict) -> dict:
        """An explicit footnote: its citations are rendered in place."""
        self.seq.begin_note(cited_keys(note["c"]))
        self._first_inline_pending = True
        blocks = [self._block_in_note(b, first=(k == 0)) for k, b in enumerate(note["c"])]
        self.seq.end_note()
        return {"t": "Note", "c": blocks}

    def _block_in_note(self, block: dict, first: bool):
        if block.get("t") in ("Para", "Plain") and first:
            inlines = block["c"]
            if inlines and inlines[0].get("t") == "Cite":
                self._note_initial_cite = id(inlines[0])
        return self.walk(block, in_note=True)

    def _cite_in_note_action(self, cite: dict, inlines: list, i: int):
        """A citation inside an explicit footnote: rendered in place. A full
        stop that the rendering already ends with is not doubled; a comma or
        full stop after a closing quote moves inside it."""
        initial = getattr(self, "_note_initial_cite", None) == id(cite)
        rendered = self._render(self._cluster(cite, note_initial=initial))
        last = rendered[-1] if rendered else None
        s = _text_of(last)
        nxt = inlines[i + 1] if i + 1 < len(inlines) else None
        if s is not None and nxt and isinstance(nxt, dict) and nxt.get("t") == "Str" \
                and nxt["c"][:1] in (",", "."):
            nc = nxt["c"]
            m = re.search(r"(’?”)$", s)
            if s.endswith(".") and nc.startswith("."):
                nc = nc[1:]
            elif m:
                _set_text(last, s[: m.start()] + nc[0] + m.group(1))
                nc = nc[1:]
            else:
                return rendered, 0
            return rendered + ([{"t": "Str", "c": nc}] if nc else []), 1
        return rendered, 0

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
            cache_dir: Path | None = None) -> dict:
    """Turn the citations of a Pandoc JSON AST into Chicago footnotes.

    ``bibliography``: ``.bib`` path(s); by default the ``bibliography`` key
    of the document's metadata, relative to ``source``'s folder. ``fmt``:
    "pandoc" (pandoc's own inlines, for every writer), or "latex" / "markdown"
    (one RawInline of that format per rendered citation).
    ``cache_dir``: where the parsed ``.bib`` files are kept between runs (a
    build folder). Problems in the ``.bib`` are warnings (``warn``); an entry
    that cannot be used is an error only when it is cited.
    Returns a new document; ``doc`` is not modified.
    """
    source = Path(source) if source is not None else None
    meta = doc.get("meta", {})
    warn = warn or _default_warn
    bib = _load(meta, source, bibliography, warn=warn, cache_dir=cache_dir)
    style = Style(options=read_options(meta, options))
    cited = cited_keys(doc.get("blocks", []))
    proc = _Processor(bib, style, fmt, source, warn, cited)
    blocks = proc.walk(doc.get("blocks", []))
    return {**doc, "blocks": blocks}


def _load(meta: dict, source: Path | None, bibliography, *, warn=None, cache_dir=None) -> Bibliography:
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
    return load_bibliography([Path(p) for p in bibliography], warn=warn, cache_dir=cache_dir)


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
        result = process(doc, fmt=fmt)
    except CitationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # PressroomError and friends
        from pressroom.errors import PressroomError
        if isinstance(exc, PressroomError):
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
        raise
    json.dump(result, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
