"""The ``rssn`` command: RSSN composition (Li et al., IJCV 2022, Sec. 4)."""

from __future__ import annotations

import typer

from trimaps._cliutil import version_callback

app = typer.Typer(
    name="rssn",
    help="Compose matting training data with the RSSN route (resolution, sharpness, "
    "noise) of Li et al., 'Bridging Composite and Real', IJCV 2022.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=version_callback("rssn"),
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """RSSN composition."""


def main() -> None:
    app()


# `rssn publish` (issue 7) lives in rssn/_publish_cli.py.
from rssn._publish_cli import register as _register_publish  # noqa: E402

_register_publish(app)
