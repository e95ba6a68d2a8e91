"""The ``bgcurate`` command: BG-20k-style background curation (Li et al., IJCV 2022, Sec. 4.1)."""

from __future__ import annotations

import typer

from trimaps._cliutil import version_callback

app = typer.Typer(
    name="bgcurate",
    help="Build a clean, high-resolution background set in the way BG-20k was built "
    "(Li et al., IJCV 2022, Sec. 4.1).",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=version_callback("bgcurate"),
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """Background curation."""


def main() -> None:
    app()
