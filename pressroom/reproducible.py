"""Dates from the sources, never from the clock.

The build date that goes into TeX (``SOURCE_DATE_EPOCH``), the PDF metadata
and the draft stamp is, in order of preference:

1. the manuscript's ``version-date`` when it is a full date;
2. the time of the last git commit touching the manuscript;
3. a fixed epoch (2000-01-01), with a warning.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .errors import LimitExceeded, ToolError
from .tools import DEFAULT_LIMITS, Limits, operand, run

if TYPE_CHECKING:
    from .errors import Warnings
    from .manuscript import Manuscript

FIXED_EPOCH = 946684800  # 2000-01-01T00:00:00Z
_FULL_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%B %d %Y", "%d %b %Y", "%b %d, %Y",
                      "%Y年%m月%d日", "%Y년 %m월 %d일")   # Chinese and Japanese; Korean
#: a date written with the CJK year, month and day signs: 2026年3月, 2026年3月14日, 2026년 3월 14일
_CJK_DATE = re.compile(r"^(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월](?:\s*(\d{1,2})\s*[日일])?$")


def numeric_date(text: str) -> str:
    """A date written with CJK signs in digits and hyphens (2026年3月 -> 2026-03), which any font
    prints (the draft stamp's DejaVu Sans has no CJK); any other text as it is."""
    found = _CJK_DATE.match(" ".join(str(text).split()))
    if not found:
        return str(text)
    year, month, day = found.groups()
    return f"{year}-{int(month):02d}" + (f"-{int(day):02d}" if day else "")


def parse_full_date(text: str) -> datetime | None:
    text = " ".join(str(text).split())
    for fmt in _FULL_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


#: The manuscript's folder may be a repository the manuscript's author made, with a
#: ``.git/config`` of their choosing: nothing in it may make ``git log`` run a program
#: (``gpg.program`` runs for a signed commit when ``log.showSignature`` is set).
_GIT_SAFE = ("-c", "log.showSignature=false", "-c", "core.fsmonitor=false")


def git_commit_epoch(manuscript: Manuscript, limits: Limits = DEFAULT_LIMITS) -> int | None:
    """The time of the last commit touching the manuscript; None without git or history."""
    try:
        result = run(["git", *_GIT_SAFE, "log", "--no-show-signature", "-1", "--format=%ct", "--",
                      operand(manuscript.path.name)],
                     cwd=manuscript.folder, limits=limits, stage="settings", file=manuscript.path,
                     check=False)
    except LimitExceeded:
        raise
    except ToolError:          # no git: the date comes from elsewhere
        return None
    out = result.stdout.decode("utf-8", "replace").strip()
    return int(out) if result.returncode == 0 and out.isdigit() else None


def source_date(manuscript: Manuscript, warnings: Warnings,
                limits: Limits = DEFAULT_LIMITS) -> tuple[int, str]:
    """(epoch seconds, where it came from)."""
    version_date = manuscript.get("version-date")
    if version_date:
        parsed = parse_full_date(str(version_date))
        if parsed:
            return int(parsed.timestamp()), "version-date"
    epoch = git_commit_epoch(manuscript, limits)
    if epoch is not None:
        return epoch, "git"
    warnings.warn("no full `version-date` and no git history: dates in the PDF use the fixed "
                  "date 2000-01-01 (set `version-date: YYYY-MM-DD` to choose one)",
                  file=manuscript.path)
    return FIXED_EPOCH, "fixed"
