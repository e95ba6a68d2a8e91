"""The local engine and the option plumbing shared by ``--engine local|ray``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import subprocess_env

from trimaps._cliutil import UsageError
from trimaps._engine import EngineError, LocalEngine, local_path, make_engine


def square(x: int) -> int:
    return x * x


def fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"item {x} is bad")
    return x


def pid_and_env(_x: int) -> tuple[int, str | None]:
    return os.getpid(), os.environ.get("MATTEKIT_TEST_INIT")


def _set_env() -> None:
    os.environ["MATTEKIT_TEST_INIT"] = "ran"


@pytest.mark.parametrize("workers", [1, 2])
def test_local_engine_yields_every_item_once_and_map_keeps_order(workers):
    items = list(range(7))
    with LocalEngine(workers) as engine:
        seen = sorted(engine.imap_unordered(square, items))
        assert seen == [(i, i * i) for i in items]
        assert engine.map(square, items) == [i * i for i in items]


def test_local_engine_with_two_workers_uses_other_processes_and_runs_the_initializer():
    with LocalEngine(2, initializer=_set_env) as engine:
        results = engine.map(pid_and_env, range(6))
    assert {env for _, env in results} == {"ran"}
    assert os.getpid() not in {pid for pid, _ in results}


@pytest.mark.parametrize("workers", [1, 2])
def test_an_exception_in_an_item_reaches_the_caller_unchanged(workers):
    with LocalEngine(workers) as engine, pytest.raises(ValueError, match="item 3 is bad"):
        engine.map(fails_on_three, range(6))


def test_make_engine_checks_its_options():
    assert isinstance(make_engine("local", workers=2), LocalEngine)
    with pytest.raises(UsageError, match="--engine must be one of local, ray"):
        make_engine("dask")
    with pytest.raises(UsageError, match=r"--address .* needs --engine ray"):
        make_engine("local", address="auto")


def test_ray_missing_is_one_clear_error():
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from trimaps._engine import make_engine, EngineError\n"
        "try:\n    make_engine('ray')\n"
        "except EngineError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "--engine ray needs Ray: pip install 'mattekit[ray]' (or use --engine local)"
    )
    assert issubclass(EngineError, UsageError)  # printed by guard as one line, exit 2


@pytest.mark.parametrize("package", ["trimaps", "rssn", "bgcurate"])
def test_importing_the_packages_does_not_import_ray(package):
    code = f"import sys, {package}; print('ray' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_local_path_accepts_paths_and_file_urls_and_refuses_object_stores(tmp_path):
    assert local_path(tmp_path / "out") == tmp_path / "out"
    assert local_path("relative/out") == Path("relative/out")
    assert local_path(f"file://{tmp_path}/out") == tmp_path / "out"
    with pytest.raises(UsageError, match=r"^s3://bucket/set: s3:// output is not supported"):
        local_path("s3://bucket/set")


def sleep_first(x: int) -> int:
    import time

    if x == 0:
        time.sleep(0.5)  # the first item finishes last
    return x


@pytest.mark.parametrize("workers", [1, 2])
def test_imap_keeps_item_order_and_reads_the_items_lazily(workers):
    consumed = []

    def items():
        for i in range(20):
            consumed.append(i)
            yield i

    with LocalEngine(workers) as engine:
        results = engine.imap(sleep_first, items())
        assert next(results) == 0
        assert len(consumed) <= 2 * workers  # a window, not the whole input
        assert list(results) == list(range(1, 20))


def test_the_commands_refuse_address_without_ray_and_object_store_outputs(tmp_path):
    from typer.testing import CliRunner

    from bgcurate.cli import app as bgcurate_app
    from rssn.cli import app as rssn_app

    runner = CliRunner()
    fg, bg = tmp_path / "fg", tmp_path / "bg"
    compose = ["compose", "--fg", str(fg), "--bg", str(bg), "--k", "1", "--quiet"]
    cases = [
        (rssn_app, [*compose, "--out", str(tmp_path / "o"), "--address", "auto"],
         "--address names a Ray cluster; it needs --engine ray"),
        (rssn_app, [*compose, "--out", "s3://bucket/set"],
         "s3://bucket/set: s3:// output is not supported"),
        (bgcurate_app, ["curate", str(bg), "--out", str(tmp_path / "o"), "--address", "auto"],
         "--address names a Ray cluster; it needs --engine ray"),
    ]  # fmt: skip
    for app, args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert message in " ".join(result.output.split())
        assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_an_address_where_no_cluster_listens_is_one_clear_error_not_a_hang():
    import ray

    assert not ray.is_initialized()
    with (
        make_engine("ray", address="127.0.0.1:1") as engine,
        pytest.raises(
            EngineError, match=r"^--address 127\.0\.0\.1:1: no Ray cluster answers there"
        ),
    ):
        engine.map(square, [1])
    assert not ray.is_initialized()
