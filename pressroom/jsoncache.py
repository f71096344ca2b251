"""The private caches of a build folder (``.convert-cache.json``,
``.check-cache.json``): one JSON object each, read leniently, written atomically.

A cache that cannot be read, is not a JSON object or was made for another
``identity`` (what its entries depend on besides their own keys) reads as
empty: the work is done again, never wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

from .tools import write_text_atomic


def load(path: Path, identity: str | None = None) -> dict:
    """The cache's entries, or ``{}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("identity") != identity:
        return {}
    data.pop("identity", None)
    return data


def save(path: Path, entries: dict, identity: str | None = None) -> None:
    """Write the cache (only the entries given: stale ones are dropped)."""
    data = {"identity": identity, **entries} if identity is not None else entries
    write_text_atomic(path, json.dumps(data, ensure_ascii=False) + "\n")
