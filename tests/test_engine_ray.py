"""The Ray engine on a local Ray instance started by this module (2 CPUs, no network)."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest
import ray
from ray import cloudpickle

from trimaps._engine import EngineError, LocalEngine, RayEngine, make_engine, ray_runtime_env

# The work functions below live in this test module, which Ray workers cannot import:
# ship them by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

ENGINE_FILE = Path(__file__).resolve().parents[1] / "trimaps" / "_engine.py"


@pytest.fixture(scope="module")
def cluster():
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env=ray_runtime_env()
    )
    yield
    ray.shutdown()


@pytest.fixture
def engine(cluster):
    with RayEngine(max_retries=2) as eng:
        yield eng
    assert ray.is_initialized(), "an engine must not stop a Ray instance it did not start"


def cube(x: int) -> int:
    return x**3


def engine_source_digest(_x: int) -> str:
    import trimaps._engine

    return hashlib.sha256(Path(trimaps._engine.__file__).read_bytes()).hexdigest()


def exit_on_first_attempt(item: tuple[str, int]) -> tuple[int, int]:
    """Kill the worker process the first time an item runs; count attempts in files."""
    marker_dir, x = item
    attempts = Path(marker_dir) / f"{x}.attempts"
    with open(attempts, "a") as fh:
        fh.write("x")
    if attempts.read_text() == "x":
        os._exit(1)  # the worker dies mid-task, as on an OOM kill or a lost node
    return x, len(attempts.read_text())


def always_exit(_x: int) -> None:
    os._exit(1)


def bad_input(item: tuple[str, int]) -> int:
    marker_dir, x = item
    with open(Path(marker_dir) / f"{x}.attempts", "a") as fh:
        fh.write("x")
    raise ValueError(f"/data/{x}.png: truncated image file")


def flaky_io(item: tuple[str, int]) -> int:
    marker_dir, x = item
    attempts = Path(marker_dir) / f"{x}.attempts"
    with open(attempts, "a") as fh:
        fh.write("x")
    if attempts.read_text() == "x":
        raise OSError(f"/shared/out/{x}.png: stale file handle")
    return x


def test_results_are_those_of_the_local_engine_in_item_order(engine):
    items = list(range(10))
    assert engine.map(cube, items) == LocalEngine(1).map(cube, items)
    streamed = list(engine.imap_unordered(cube, items))
    assert sorted(i for i, _ in streamed) == items
    assert all(r == items[i] ** 3 for i, r in streamed)


def test_workers_run_the_drivers_code(engine):
    driver = hashlib.sha256(ENGINE_FILE.read_bytes()).hexdigest()
    assert set(engine.map(engine_source_digest, range(4))) == {driver}


def test_a_worker_killed_mid_task_is_retried_and_nothing_is_missing(engine, tmp_path):
    items = [(str(tmp_path), x) for x in range(4)]
    results = engine.map(exit_on_first_attempt, items)
    # every item ran twice: killed once, then completed on a fresh worker
    assert results == [(x, 2) for x in range(4)]


def test_a_worker_that_keeps_dying_is_one_clear_error(cluster):
    with RayEngine(max_retries=1) as eng, pytest.raises(EngineError, match="rerun the same"):
        eng.map(always_exit, [0])


def test_a_bad_input_is_raised_as_itself_and_not_retried(engine, tmp_path):
    with pytest.raises(ValueError, match=r"^/data/0\.png: truncated image file$"):
        engine.map(bad_input, [(str(tmp_path), 0)])
    assert (tmp_path / "0.attempts").read_text() == "x"


def test_an_os_error_is_retried(engine, tmp_path):
    assert engine.map(flaky_io, [(str(tmp_path), 5)]) == [5]
    assert (tmp_path / "5.attempts").read_text() == "xx"


def test_make_engine_joins_the_running_instance_and_describes_it(cluster):
    with make_engine("ray", workers=1) as eng:
        assert eng.describe() == "ray (local instance), 2 CPUs on 1 node"
        assert eng.map(cube, [2]) == [8]
    assert ray.is_initialized()


def wait_for_last(item: tuple[str, int]) -> int:
    """Item 0 returns only after item 3 has run: it finishes last, however loaded the machine."""
    import time

    marker_dir, x = item
    if x == 0:
        deadline = time.monotonic() + 60
        while not (Path(marker_dir) / "3.done").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    else:
        (Path(marker_dir) / f"{x}.done").touch()
    return x


def first_item_slow(x: int) -> int:
    import time

    if x == 0:
        time.sleep(0.5)
    return x


def test_imap_keeps_item_order_and_reads_the_items_lazily(engine, tmp_path):
    consumed = []

    def items():
        for i in range(12):
            consumed.append(i)
            yield i

    results = engine.imap(first_item_slow, items())
    assert next(results) == 0
    assert len(consumed) <= 2 * 2 + 1  # a window of twice the cluster's CPUs
    assert list(results) == list(range(1, 12))
    work = [(str(tmp_path), i) for i in range(4)]
    unordered = [i for i, _ in engine.imap_unordered(wait_for_last, work)]
    assert sorted(unordered) == [0, 1, 2, 3] and unordered[-1] == 0
