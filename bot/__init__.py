"""goescape-bot: review comments on the heap escapes a pull request introduces."""

# No `from __future__ import annotations` here: it would bind the name `annotations` in this
# package, hiding the submodule of that name from `from goescape.bot import annotations`.
import sys
from collections.abc import Sequence

# The modules the `bot` extra brings; without them goescape-bot says what to install.
EXTRA_MODULES = ("github", "requests")


def main(argv: Sequence[str] | None = None) -> int:
    """goescape-bot's entry point (the console script and `python -m goescape.bot`).

    The GitHub client is imported only when a run talks to GitHub (a dry run needs none), so
    the extra is missed there: before any request is made.
    """
    try:
        from .cli import main as run

        return run(argv)
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] not in EXTRA_MODULES:
            raise
        print(
            "goescape-bot: the bot needs the `bot` extra: pip install 'goescape[bot]'",
            file=sys.stderr,
        )
        return 2
