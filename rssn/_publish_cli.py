"""``rssn publish``: an ``rssn compose`` output as a Hugging Face Hub dataset.

Kept apart from ``rssn/cli.py`` and registered there with :func:`register`.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from trimaps._cliutil import console, err_console, fail, guard, progress

#: Exit code when the Hub cannot be reached or refuses the upload (input was fine).
EXIT_HUB = 1

HELP = """Publish a folder written by `rssn compose` as a Hugging Face dataset.

Validates OUT_DIR against its manifest, writes Parquet shards (image bytes
embedded, small row groups for the dataset viewer) and a dataset card to
--local (default OUT_DIR/hub), then, with --repo-id, uploads them with the
token the Hub client already knows (HF_TOKEN or `hf auth login`).

\b
Examples:
  rssn publish out/ --dry-run
  rssn publish out/ --repo-id me/rssn-comp1k --split-by fg-hash:0.1
  rssn publish out/ --repo-id me/rssn-comp1k --backgrounds bg/ --private
"""


def register(app: typer.Typer) -> None:
    """Add the ``publish`` command to the ``rssn`` app."""
    app.command("publish", help=HELP, no_args_is_help=True)(publish)


@guard
def publish(
    out_dir: Path = typer.Argument(..., help="Output folder of `rssn compose`."),
    repo_id: str | None = typer.Option(
        None, "--repo-id", help="Hub dataset repo, e.g. me/rssn-comp1k. Without it: local only."
    ),
    private: bool = typer.Option(False, "--private", help="Create the repo as private."),
    split_by: str = typer.Option(
        "none",
        "--split-by",
        help="none (all train), fg-hash:FRACTION (that fraction of foregrounds to test, "
        "by a hash of the foreground id), or field:NAME (a split named in each manifest row). "
        "Composites of one foreground always share a split.",
    ),
    local: Path | None = typer.Option(
        None, "--local", help="Where to write the dataset folder (default: OUT_DIR/hub)."
    ),
    backgrounds: Path | None = typer.Option(
        None,
        "--backgrounds",
        help="A `bgcurate curate` output (train/, val/) to publish as config 'backgrounds'.",
    ),
    license: str = typer.Option(
        "other", "--license", help="Hub license id for the card (e.g. cc-by-4.0)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Write and check the local folder, list the upload; no network."
    ),
) -> None:
    from rssn._publish import (
        HubError,
        PublishError,
        SplitRule,
        human_bytes,
        iter_upload_files,
        push,
        write_hub_folder,
    )

    missing = [m for m in ("datasets", "huggingface_hub", "pyarrow") if find_spec(m) is None]
    if missing:
        raise fail(f'rssn publish needs {", ".join(missing)}: pip install "mattekit[datasets]"')
    try:
        rule = SplitRule.parse(split_by)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if repo_id is not None and (repo_id.count("/") != 1 or not all(repo_id.split("/"))):
        raise fail(f"--repo-id {repo_id}: expected namespace/name, e.g. me/rssn-comp1k")

    with progress(transient=True) as bar:

        def start(description: str, total: int):
            task = bar.add_task(description, total=total)
            return lambda n: bar.advance(task, n)

        try:
            folder = write_hub_folder(
                out_dir,
                local,
                split_by=rule,
                backgrounds=backgrounds,
                license=license,
                repo_id=repo_id,
                progress=start,
            )
        except PublishError as exc:
            raise fail(str(exc)) from None

    table = Table(title=f"dataset folder {escape(str(folder.root))}")
    for col in ("config", "split", "rows", "row groups", "files", "image bytes"):
        table.add_column(col, justify="right" if col not in ("config", "split") else "left")
    for config, summaries in folder.configs.items():
        for s in summaries:
            table.add_row(
                config,
                s.name,
                str(s.num_examples),
                str(s.row_groups),
                str(len(s.files)),
                human_bytes(s.num_bytes),
            )
    console.print(table)

    if dry_run or repo_id is None:
        files = list(iter_upload_files(folder.root))
        target = f"datasets/{repo_id}" if repo_id else "(no --repo-id given)"
        visibility = " (private)" if private and repo_id else ""
        console.print(f"would upload {len(files)} files to {escape(target)}{visibility}:")
        for path, size in files:
            console.print(f"  {escape(path)}  {human_bytes(size)}", highlight=False)
        if repo_id is not None:
            from huggingface_hub import get_token

            found = "found" if get_token() else "none found: set HF_TOKEN or run `hf auth login`"
            console.print(f"Hub token: {found}")
        console.print("nothing uploaded" + (" (--dry-run)" if dry_run else ""))
        return

    try:
        url = push(folder.root, repo_id, private=private)
    except PublishError as exc:
        raise fail(str(exc)) from None
    except HubError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_HUB) from None
    console.print(f"published: {escape(url)}", highlight=False)
