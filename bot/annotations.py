"""Workflow commands: annotations on the run page when the token cannot write. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from hooks.sarif_read import ReportedEscape


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def warning(path: str, line: int, title: str, message: str) -> str:
    """`::warning file=...,line=...,title=...::message`, every part escaped."""
    return (
        f"::warning file={_property(path)},line={line},title={_property(title)}::{_data(message)}"
    )


def escape_warnings(escapes: Iterable[ReportedEscape]) -> list[str]:
    return [
        warning(
            e.path,
            e.line,
            "goescape: new heap escape",
            f"{e.compiler_message} in {e.display} (heap escapes {e.before} -> {e.after})",
        )
        for e in escapes
    ]
