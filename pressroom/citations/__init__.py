"""Citation engine: .bib loading, the Chicago notes style, the note
sequencer and the Pandoc filter.

Public API::

    load_bibliography(paths) -> Bibliography           # bibliography.py
    Style(options=ChicagoOptions(...))                 # chicago.py (pybtex style)
    process(doc, *, source, bibliography, fmt, options, warn) -> dict
                                                       # pandoc_filter.py
    list_notes(markdown_path, *, bibliography=None) -> list[str]   # notes.py
"""

from .bibliography import Bibliography, load_bibliography, parse_bibtex
from .chicago import ChicagoOptions, Style
from .notes import list_notes
from .pandoc_filter import process

__all__ = ["Bibliography", "ChicagoOptions", "Style", "list_notes",
           "load_bibliography", "parse_bibtex", "process"]
