"""The one place external tools run: output captured, failures made readable."""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from .errors import ToolError


@functools.cache
def pandoc_path() -> str:
    """The pandoc that pypandoc-binary ships: the same version on every machine.

    Taken from beside the package, not from ``pypandoc.get_pandoc_path()``:
    that one runs every pandoc it can find to ask its version (80 ms) and takes
    the newest, so a pandoc on PATH would replace the pinned one.
    """
    spec = importlib.util.find_spec("pypandoc")
    exe = Path(spec.origin).parent / "files" / "pandoc" if spec and spec.origin else None
    if exe is None or not exe.is_file():
        raise ToolError("the pandoc of pypandoc-binary is missing",
                        hint="run `python3 build.py` once to set up (requirements.lock pins pypandoc-binary)")
    return str(exe)


def run(args: Sequence[str | os.PathLike], *, cwd: Path | None = None,
        env: dict[str, str] | None = None, input: bytes | None = None,
        what: str | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run a tool; on failure raise ToolError with the tail of its error output."""
    name = what or Path(str(args[0])).name
    try:
        result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, input=input,
                                capture_output=True, timeout=timeout)
    except FileNotFoundError:
        raise ToolError(f"{name} is not installed", hint="run `python3 build.py` once to set up") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{name} did not finish within {timeout:.0f} s") from None
    if result.returncode != 0:
        err = (result.stderr or result.stdout).decode("utf-8", "replace").strip()
        tail = "\n".join(err.splitlines()[-15:])
        raise ToolError(f"{name} failed (exit {result.returncode}):\n{tail}")
    return result


def run_pandoc(args: Sequence[str | os.PathLike], *, cwd: Path | None = None,
               input: bytes | None = None) -> bytes:
    return run([pandoc_path(), *args], cwd=cwd, input=input, what="pandoc").stdout


@contextmanager
def atomic_write(target: Path, mode: str = "wb") -> Iterator:
    """Write to a temporary file beside ``target``, then rename it into place.

    A failure or Ctrl-C while writing leaves the previous ``target`` untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_text_atomic(target: Path, text: str) -> Path:
    with atomic_write(target, "w") as fh:
        fh.write(text)
    return target


def write_bytes_atomic(target: Path, data: bytes) -> Path:
    with atomic_write(target, "wb") as fh:
        fh.write(data)
    return target
