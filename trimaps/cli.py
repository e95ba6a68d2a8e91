"""The ``trimaps`` command."""

from __future__ import annotations

import typer

from trimaps._cliutil import version_callback

app = typer.Typer(
    name="trimaps",
    help="Trimaps and matting targets from alpha mattes.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=version_callback("trimaps"),
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """Trimaps and matting targets."""


def main() -> None:
    app()
