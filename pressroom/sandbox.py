"""``--safe``: TeX confined by the operating system (bubblewrap), not only by TeX's own settings.

kpathsea's ``openin_any=p`` does not cover XeTeX's picture primitives
(``\\XeTeXpicfile``, ``\\XeTeXpdffile``), absolute graphics paths or Lua's own
``io.open``; under ``--safe`` the TeX engines, latexmk and xdvipdfmx therefore
run inside a bubblewrap sandbox (:class:`Sandbox`, given to
:func:`pressroom.tools.run`) in which only these are visible:

- read-only: ``/usr`` (the programs, their libraries, the TeX tree in
  ``/usr/share/texlive`` and ``/usr/share/texmf``, the fonts), ``/lib*``,
  ``/etc/texmf``, ``/etc/fonts``, ``/etc/ld.so.*``, ``/var/lib/texmf`` (formats,
  ``ls-R``), ``/var/cache/fontconfig``; a TeX Live installed outside ``/usr``
  (the engine's own tree); the uncompressed copy of the engine's format
  (texformat.py);
- the build folder, read-only but for its ``tex/`` (where TeX writes its
  auxiliary files and the PDF; so TeX cannot touch pressroom's caches or the
  outputs of the other stages), and an empty ``/tmp`` of its own;
- a minimal ``/dev`` and a ``/proc`` of its own process namespace.

Nothing else: no home folder, no other manuscript, no manuscript folder (the
figures are copied into the build folder first). Every namespace is new: no
network (only a loopback device), no other process, no user namespaces inside,
no capabilities even for root. The environment is a short list (``PATH``,
the locale, TeX's settings), so no secret in pressroom's environment reaches
TeX. Where bubblewrap is missing or cannot create its namespaces (user
namespaces disabled), ``--safe`` refuses to build (:func:`require`).

Pandoc's citeproc (``citations: csl``) runs in the same kind of sandbox, with
the manuscript folder read-only instead of the build folder: a CSL style may
name a "parent" style by path or URL, which pandoc would read or fetch.

LuaLaTeX also runs with ``--nosocket`` and shell escape off, and with the Lua
functions of LuaTeX's ``--safer`` that escape a sandbox removed before the
document starts (:data:`LUA_LOCKDOWN`). ``--safer`` itself cannot be used:
luaotfload, which LuaLaTeX loads for every document, refuses to run under it.
"""

from __future__ import annotations

import functools
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import PressroomError
from .tools import Limits, run

#: The bubblewrap program (Debian package bubblewrap; build.py's set-up installs it).
BWRAP = "bwrap"
#: New namespaces of every kind (network, processes, IPC, UTS, cgroup, user), none inside,
#: the sandboxed program in a session of its own, and gone when bubblewrap goes.
_ISOLATION = ("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
              "--new-session", "--cap-drop", "ALL")
#: Read-only, when they exist: what the TeX engines, latexmk (Perl) and xdvipdfmx read.
_READ_ONLY = ("/usr", "/etc/texmf", "/etc/fonts", "/etc/ld.so.cache", "/etc/ld.so.conf",
              "/etc/ld.so.conf.d", "/var/lib/texmf", "/var/cache/fontconfig")
#: The top-level folders that are (on a merged-/usr system) links into /usr.
_LINKED = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: The environment variables that reach the sandbox from pressroom's own (besides TeX's).
_KEPT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")

_HINT_INSTALL = ("--safe runs TeX inside bubblewrap: install it (Debian package bubblewrap; "
                 "`python3 build.py` sets it up), or build without --safe only manuscripts you trust")
_HINT_NAMESPACES = ("bubblewrap needs unprivileged user namespaces: enable them "
                    "(sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0; "
                    "in a container, allow them, e.g. Docker's --security-opt seccomp=unconfined), "
                    "or build without --safe only manuscripts you trust")


class SandboxUnavailable(PressroomError):
    """``--safe`` cannot confine TeX here (bubblewrap missing, or no user namespaces)."""


@dataclass(frozen=True)
class Sandbox:
    """A bubblewrap sandbox in which only the system's programs, the TeX tree and ``folder`` exist.

    ``folder``: where the program runs, read-only; ``writable``: the folders in it the program
    may write (TeX: the build folder's ``tex/``, so that it cannot touch pressroom's caches
    beside it); ``also``: more paths it may read (the program's own folder, when it is outside
    /usr, is one of them).
    """

    folder: Path
    writable: tuple[Path, ...] = ()
    also: tuple[Path, ...] = ()

    def wrap(self, args: list[str]) -> list[str]:
        """``args`` as a command run inside the sandbox, in ``folder``."""
        folder = str(self.folder.resolve())
        binds: list[str] = []
        for path in _LINKED:
            if os.path.islink(path):
                binds += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                binds += ["--ro-bind", path, path]
        for path in (*_READ_ONLY, *_tex_trees(args[0]), *map(str, self.also)):
            binds += ["--ro-bind-try", path, path]
        own = ["--ro-bind", folder, folder]
        for path in self.writable:
            own += ["--bind", str(path.resolve()), str(path.resolve())]
        # the empty /tmp first: a program or folder under /tmp (a checkout there, its venv's pandoc)
        # is bound over it, not hidden by it
        return [BWRAP, *_ISOLATION, "--tmpfs", "/tmp", *binds, "--dev", "/dev", "--proc", "/proc",
                *own, "--chdir", folder, "--", *args]

    def environment(self, tex: dict[str, str]) -> dict[str, str]:
        """The whole environment of the sandboxed program: a few of pressroom's variables and
        ``tex`` (TeX's settings). HOME is the sandbox's empty /tmp (no TEXMFHOME of the user's,
        no pandoc data folder); LuaLaTeX's font cache stays in the build folder, for the next build."""
        env = {k: os.environ[k] for k in _KEPT if k in os.environ}
        env.setdefault("PATH", "/usr/bin:/bin")
        env.update(tex)
        env["HOME"] = "/tmp"
        if self.writable:
            env["TEXMFVAR"] = str(self.writable[0].resolve() / "texmf-var")
        return env


def _tex_trees(program: str) -> list[str]:
    """A program installed outside /usr (a TeX Live in /opt/texlive/2024; pandoc in the venv):
    its tree, the folder holding its bin/ (``<root>/bin/<platform>/xelatex``), else its own folder."""
    found = shutil.which(program)
    if found is None:
        return []
    real = Path(found).resolve()
    if real.is_relative_to("/usr"):
        return []
    for parent in real.parents:
        if parent.name == "bin":
            return [str(parent.parent)]
    return [str(real.parent)]


@functools.cache
def _probe() -> tuple[bool, str]:
    """Whether bubblewrap can make its sandbox here, and if not, why (in its words)."""
    if shutil.which(BWRAP) is None:
        return False, "bubblewrap (bwrap) is not installed"
    result = run([BWRAP, *_ISOLATION, "--ro-bind", "/", "/", "--", "true"], what=BWRAP,
                 limits=Limits(time=30, memory=512), check=False)
    if result.returncode == 0:
        return True, ""
    said = (result.stderr or result.stdout).decode("utf-8", "replace").strip().splitlines()
    detail = said[-1] if said else f"exit {result.returncode}"
    return False, f"bubblewrap cannot create its sandbox here ({detail})"


def require(manuscript: Path) -> None:
    """Refuse ``--safe`` where TeX cannot be confined: one error naming the manuscript, with a hint."""
    ok, why = _probe()
    if not ok:
        hint = _HINT_INSTALL if "not installed" in why else _HINT_NAMESPACES
        raise SandboxUnavailable(f"--safe cannot confine TeX: {why}", file=manuscript, hint=hint)


#: Lua run before the document under ``--safe`` (LuaLaTeX): what LuaTeX's ``--safer`` takes
#: away, except the file functions luaotfload needs for its font cache (which the sandbox
#: confines to the build folder). Written without TeX's special characters (no backslash,
#: percent, hash or tilde), so that ``\\directlua`` passes it to Lua as it is.
LUA_LOCKDOWN = " ".join(line.strip() for line in """
local function drop(t, names) if t then for _, n in ipairs(names) do t[n] = nil end end end
drop(os, {"execute", "exec", "spawn", "setenv", "tmpdir", "kpsepopen"})
drop(io, {"popen"})
drop(lfs, {"chdir", "lock", "unlock", "lock_dir", "touch", "rmdir", "link"})
drop(package, {"loadlib", "cpath"})
if package.searchers then package.searchers[4] = nil package.searchers[3] = nil end
if package.loaders then package.loaders[4] = nil package.loaders[3] = nil end
drop(package.loaded, {"debug", "ffi", "socket", "mime"})
drop(package.preload, {"debug", "ffi", "socket", "mime"})
debug = nil ffi = nil socket = nil mime = nil
""".strip().splitlines())


def lua_preamble() -> str:
    """The line the render stage puts first in a LuaLaTeX ``.tex`` under ``--safe``."""
    return f"\\directlua{{{LUA_LOCKDOWN}}}%\n"
