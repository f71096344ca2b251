"""pybtex output backends for notes: LaTeX, Pandoc Markdown, pandoc's own
inlines, and plain text.

pybtex's own backends are made for bibliographies: its LaTeX backend
re-encodes Unicode as LaTeX accents (``ū`` → ``\\={u}``) and its Markdown
backend writes ``&ndash;`` and HTML-escapes ``&``. Notes keep Unicode as it
is (the PDF is made with a Unicode engine), so these subclasses change only
string escaping and the symbols:

======== ============== ============== ==========
symbol   latex          markdown       text
======== ============== ============== ==========
ndash    ``--``         ``–``          ``–``
nbsp     ``~``          U+00A0         U+00A0
======== ============== ============== ==========
"""

from __future__ import annotations

import re
from types import MappingProxyType

from pybtex.backends import latex, markdown, plaintext

from ..latex import escaper

#: TeX's specials, and the notes' typography as TeX writes it (a function: text → LaTeX)
latex_escape = escaper({"\u00a0": "~", "–": "--", "—": "---"})


#: characters of a URL that TeX could read as code (``^^5c`` is a backslash to TeX, braces
#: group, a backslash starts a command): percent-encoded, which is what they mean in a URL
_URL_UNSAFE_RE = re.compile(r'[\\^{}"<>`|\s]')


def latex_url(url: str) -> str:
    """A URL as the argument of ``\\url``/``\\href``: characters TeX could take for code
    percent-encoded (RFC 3986), ``%`` and ``#`` escaped as hyperref expects."""
    url = _URL_UNSAFE_RE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode("utf-8")), url)
    return url.replace("%", r"\%").replace("#", r"\#")


_MD_RE = re.compile(r"([\\`*_\[\]<>$^~@#&|])")


def markdown_escape(text: str) -> str:
    """Backslash-escape Pandoc Markdown specials (inline context)."""
    return _MD_RE.sub(r"\\\1", text)


#: the rich-text tag of a title in another language (chicago.in_language): ``lang:<babel name>``
LANGUAGE_TAG = "lang:"


class LatexBackend(latex.Backend):
    name = "pressroom-latex"
    symbols = MappingProxyType({"ndash": "--", "newblock": " ", "nbsp": "~"})

    def __init__(self, encoding=None, *, document_language: str = "english"):
        super().__init__(encoding)
        #: babel's name of the document's language: a title in it needs no switch
        self.document_language = document_language

    def format_tag(self, tag_name, text):
        if tag_name.startswith(LANGUAGE_TAG):
            name = tag_name[len(LANGUAGE_TAG):]
            if name == self.document_language:
                return text
            # babel's names are letters and hyphens (languages.py), so the name is no TeX but a name
            return rf"\foreignlanguage{{{name}}}{{{text}}}" if text else ""
        return super().format_tag(tag_name, text)

    def format_str(self, str_):
        return latex_escape(str_)

    def format_protected(self, text):
        return text

    def format_href(self, url, text, external=False):
        if not text:
            return ""
        safe = latex_url(url)
        if text == self.format_str(url):
            return rf"\url{{{safe}}}"
        return rf"\href{{{safe}}}{{{text}}}"


class MarkdownBackend(markdown.Backend):
    name = "pressroom-markdown"
    symbols = MappingProxyType({"ndash": "–", "newblock": " ", "nbsp": "\u00a0"})

    def format_str(self, str_):
        return markdown_escape(str_)

    def format_protected(self, text):
        return text

    def format_tag(self, tag_name, text):
        if tag_name.startswith(LANGUAGE_TAG):   # the notes as Markdown print titles as they are
            return text
        return super().format_tag(tag_name, text)

    def format_href(self, url, text, external=False):
        if not text:
            return ""
        if text == self.format_str(url):
            return f"<{url}>"
        return f"[{text}]({url})"


class TextBackend(plaintext.Backend):
    name = "pressroom-text"
    symbols = MappingProxyType({"ndash": "–", "newblock": " ", "nbsp": "\u00a0"})

    def format_protected(self, text):
        return text


class PandocBackend(plaintext.Backend):
    """Rich text as pandoc AST inlines (``Str``, ``Space``, ``Emph``, ``Strong``,
    ``Link``), so that every pandoc writer — Word, ODT, HTML, Markdown — keeps a
    note with its italics. A no-break space stays inside its ``Str``."""

    name = "pressroom-pandoc"
    RenderType = list
    symbols = MappingProxyType({"ndash": [{"t": "Str", "c": "–"}], "newblock": [{"t": "Space"}],
                                "nbsp": [{"t": "Str", "c": "\u00a0"}]})

    def format_str(self, str_):
        inlines: list = []
        for k, word in enumerate(str_.split(" ")):
            if k:
                inlines.append({"t": "Space"})
            if word:
                inlines.append({"t": "Str", "c": word})
        return inlines

    def format_protected(self, text):
        return text

    def format_tag(self, tag_name, text):
        kind = {"em": "Emph", "i": "Emph", "strong": "Strong", "b": "Strong",
                "sc": "SmallCaps"}.get(tag_name)
        return [{"t": kind, "c": text}] if kind else text

    def format_href(self, url, text, external=False):
        return [{"t": "Link", "c": [["", [], []], text or [{"t": "Str", "c": url}], [url, ""]]}]

    def render_sequence(self, rendered_list):
        out: list = []
        for inlines in rendered_list:
            for el in inlines:
                if el.get("t") == "Str" and out and out[-1].get("t") == "Str":
                    out[-1] = {"t": "Str", "c": out[-1]["c"] + el["c"]}   # one word, one Str
                else:
                    out.append(el)
        return out


BACKENDS = {"latex": LatexBackend, "markdown": MarkdownBackend, "text": TextBackend,
            "plain": TextBackend, "pandoc": PandocBackend}


def get_backend(fmt: str):
    """A backend instance for ``fmt`` ("latex", "markdown", "pandoc", "text")."""
    try:
        return BACKENDS[fmt]()
    except KeyError:
        raise ValueError(f"unknown output format {fmt!r}; use latex, markdown, pandoc or text") from None
