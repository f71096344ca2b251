"""pressroom: Markdown + BibTeX in, submission-ready and draft PDFs out."""

__version__ = "0.1.0"
