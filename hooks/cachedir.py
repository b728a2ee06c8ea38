"""Where goescape's cache lives: `$GOESCAPE_CACHE_DIR`, else `$XDG_CACHE_HOME/goescape`,
else `~/.cache/goescape`.

With os.path alone: prestart.py and direct.py ask before the run imports anything else.
cache.py keeps its entries there, and the two keep their records beside them
(`write_record`).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

ENV_DIR = "GOESCAPE_CACHE_DIR"
# Bump when the entry layout or the meaning of a key part changes (cache.py).
FORMAT = 1
# Temporary files of a write in progress; cache.py removes those a killed run left.
TMP_PREFIX = ".tmp-"


def top(environ: Mapping[str, str]) -> str:
    override = environ.get(ENV_DIR, "")
    if override:
        return override
    xdg = environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "goescape")
    return os.path.join(os.path.expanduser("~"), ".cache", "goescape")


def entries(environ: Mapping[str, str]) -> str:
    """The directory of the entries and records of this cache format."""
    return os.path.join(top(environ), f"v{FORMAT}")


def write_record(path: str, text: str) -> bool:
    """Write `text` to `path` whole or not at all: concurrent runs read a whole record or
    none. False (nothing written) when the file system says no."""
    import tempfile

    folder = os.path.dirname(path)
    tmp = ""
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=folder)
        with open(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(tmp, path)
    except OSError:
        if tmp:
            import contextlib

            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False
    return True
