"""``pressroom verify`` (``build.py verify``): rebuild from scratch and compare with the manifest.

The manuscript is built again in a temporary folder (no auxiliary files, no
doit state: a cold build), and the new manifest is set against the one in
the build folder. The answer is "identical", or which output differs and
which input or tool version changed since the recorded build.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import PressroomError
from .manifest import compare, read_manifest

if TYPE_CHECKING:
    from .config import Settings
    from .errors import Warnings


@dataclasses.dataclass(frozen=True)
class Verdict:
    identical: bool
    differences: list[str]

    def lines(self) -> list[str]:
        if self.identical:
            return ["identical: every output has the sha256 the manifest records"] + (
                ["changed without effect on the outputs:"] + [f"  {d}" for d in self.differences]
                if self.differences else [])
        outputs = [d for d in self.differences if d.startswith("output ")]
        causes = [d for d in self.differences if not d.startswith("output ")]
        return (["different:"] + [f"  {d}" for d in outputs]
                + (["changed since the recorded build:"] + [f"  {d}" for d in causes] if causes
                   else ["no input or tool version changed: the build is not reproducible"]))


def verify(settings: Settings, warnings: Warnings,
           run_tasks: Callable[[Settings, Warnings], list[str]]) -> Verdict:
    """Build ``settings`` from scratch in a temporary folder and compare the manifests."""
    recorded = read_manifest(settings.out_dir)
    if recorded is None:
        raise PressroomError(f"no manifest in {settings.out_dir}",
                             hint="build first (the same PATH and --out), then verify")
    with tempfile.TemporaryDirectory(prefix="pressroom-verify-") as tmp:
        fresh_settings = dataclasses.replace(settings, out_dir=Path(tmp).resolve())
        run_tasks(fresh_settings, warnings)
        fresh = read_manifest(fresh_settings.out_dir)
    if fresh is None:
        raise PressroomError("the rebuild wrote no manifest", hint="run again with --debug -v")
    differences = compare(recorded, fresh)
    identical = not any(d.startswith("output ") for d in differences)
    return Verdict(identical, differences)
