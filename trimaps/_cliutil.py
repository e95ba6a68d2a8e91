"""Shared plumbing for the three command-line tools (typer + rich).

Errors about inputs reach the user as one line naming the file and the cause,
with exit code 2; progress bars show counts, elapsed time and an ETA.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum
from importlib.metadata import PackageNotFoundError, version

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from trimaps.io import ImageError

err_console = Console(stderr=True)
console = Console()

#: Exit code for bad input (a file, a folder or an option the user can fix).
EXIT_BAD_INPUT = 2


class EngineName(str, Enum):
    """``--engine`` of ``rssn compose`` and ``bgcurate curate`` (see trimaps._engine)."""

    local = "local"
    ray = "ray"


class UsageError(ValueError):
    """Bad input found by a command; printed as one line, exit code 2."""


def distribution_version() -> str:
    try:
        return version("mattekit")
    except PackageNotFoundError:  # running from a checkout that is not installed
        return "0+unknown"


def version_callback(tool: str) -> Callable[[bool], None]:
    def callback(value: bool) -> None:
        if value:
            console.print(f"{tool} (mattekit {distribution_version()})")
            raise typer.Exit()

    return callback


def progress(*, transient: bool = False, disable: bool | None = None) -> Progress:
    """A rich progress bar with a count, elapsed time and ETA, on stderr."""
    if disable is None:
        disable = False
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err_console,
        transient=transient,
        disable=disable,
    )


def fail(message: str) -> typer.Exit:
    """Print ``message`` as one error line and return the exit to raise."""
    # escape: file names and messages may hold [brackets] that rich would eat as markup
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def guard(func: Callable[..., None]) -> Callable[..., None]:
    """Decorator for commands: ``ImageError``/``UsageError`` become one line + exit 2."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ImageError, UsageError) as exc:
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            err_console.print("interrupted; rerun the same command to resume")
            sys.exit(130)

    return wrapper
