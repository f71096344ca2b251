"""Citation engine: .bib loading, the Chicago notes styles, the note
sequencer and the Pandoc filter.

Public API::

    load_bibliography(paths) -> Bibliography           # bibliography.py
    ChicagoOptions, style_options(name, overrides)     # options.py (no pybtex import)
    Style(options=ChicagoOptions(...))                 # chicago.py (pybtex style)
    process(doc, *, source, bibliography, fmt, options, warn) -> dict
                                                       # pandoc_filter.py
    list_notes(markdown_path, *, bibliography=None) -> list[str]   # notes.py
    BibliographyStyle, bibliography_list(style, bib, keys)  # reference_list.py (the list's forms)

The names are imported on first use, so that reading the settings of the
style (``options``) does not load pybtex: a build with nothing to do must
stay fast.
"""

from importlib import import_module

_WHERE = {"Bibliography": "bibliography", "load_bibliography": "bibliography",
          "parse_bibtex": "bibliography", "ChicagoOptions": "options",
          "style_options": "options", "Style": "chicago", "list_notes": "notes",
          "process": "pandoc_filter", "BibliographyStyle": "reference_list",
          "bibliography_list": "reference_list"}

__all__ = ["Bibliography", "BibliographyStyle", "ChicagoOptions", "Style", "bibliography_list", "list_notes",
           "load_bibliography", "parse_bibtex", "process", "style_options"]


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
