"""Where per-item work runs: this machine (``local``) or a Ray cluster (``ray``).

``rssn compose`` and ``bgcurate curate`` cut their work into picklable items
(one foreground and its K recipes; one image to scan) and hand a module-level
function plus the items to an :class:`Engine`. The engine runs ``fn(item)``
somewhere and yields ``(index, result)`` as results come back, in completion
order. The caller owns everything that must not depend on where or in which
order the work ran: it writes outputs atomically and assembles the manifest
in a fixed order (sorted ids), so the bytes a run leaves behind are the same
on either engine and for any number of workers.

Engines
-------
``local``
    ``workers <= 1`` runs in this process; more uses a ``spawn`` process pool
    (numba, which pymatting uses, aborts under ``fork``), with at most
    ``2 * workers`` items in flight so memory does not grow with the run.
``ray``
    One Ray task per item (Ray Core tasks rather than Ray Data: the items are
    coarse, seconds to minutes each, and their results are small records, so a
    task per item with ``ray.wait`` streaming completions is the simplest thing
    that schedules, retries and reports them). Ray is imported only when this
    engine is made, so ``import rssn`` / ``import bgcurate`` never import it and
    the local engine works without Ray installed.

    - ``address=None`` starts a private local Ray instance with ``workers``
      CPUs (``0`` = all cores) and stops it at the end; ``address="auto"``,
      ``"HOST:6379"`` or ``"ray://HOST:10001"`` joins an existing cluster
      (``ray start --head`` / ``ray start --address ...``) and uses all of
      its CPUs.
    - The driver's own ``trimaps``, ``rssn`` and ``bgcurate`` packages are
      shipped to the workers (Ray's ``runtime_env`` ``py_modules``), so the
      cluster runs the same code version as the driver; third-party packages
      (NumPy, OpenCV, pymatting, bm3d, ultralytics) must be installed on every
      node.
    - A worker process that dies (killed, out of memory, node lost) has its
      task rerun up to ``max_retries`` times (Ray's ``max_retries``); an
      ``OSError`` raised by the task (a shared file system hiccup) is retried
      too (``retry_exceptions``). Any other exception is a property of the
      input (say, a truncated image): it is not retried and reaches the
      caller as the original exception, so ``guard`` prints one line.
    - If the driver itself dies, in-flight tasks are lost with it; the
      commands then resume from what is on disk (their per-item completion
      records), so a rerun of the same command finishes the job.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sized
from pathlib import Path
from typing import Any

from trimaps._cliutil import UsageError

__all__ = [
    "ENGINES",
    "Engine",
    "EngineError",
    "LocalEngine",
    "RayEngine",
    "local_path",
    "make_engine",
    "ray_runtime_env",
]

#: ``--engine`` choices.
ENGINES = ("local", "ray")

#: Packages of this project shipped to Ray workers (those importable here).
SHIPPED_PACKAGES = ("trimaps", "rssn", "bgcurate")


class EngineError(UsageError):
    """The engine cannot run the work: Ray missing, no cluster at ``--address``,
    or an item whose worker died more often than the retries allow.

    A ``UsageError``, so the commands print it as one line (exit code 2).
    """


def _call(initializer: Callable[[], None] | None, fn: Callable[[Any], Any], item: Any) -> Any:
    if initializer is not None:
        initializer()
    return fn(item)


class Engine:
    """Runs ``fn(item)`` for every item; see the module docstring.

    Use as a context manager (or call :meth:`close`) so pools and private Ray
    instances are shut down.
    """

    name = "engine"

    def imap_unordered(
        self, fn: Callable[[Any], Any], items: Iterable[Any]
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(i, fn(item_i))`` for every item, in completion order.

        ``fn`` must be a module-level function (or a ``functools.partial`` of
        one) and the items picklable: they cross process and machine
        boundaries. ``items`` is consumed lazily, at most ``2 x`` the parallelism
        ahead of the results, so a generator that reads files keeps memory flat.
        An exception raised by ``fn`` stops the run and is raised here; items
        still in flight are cancelled.
        """
        return self._stream(fn, items, ordered=False)

    def imap(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(item)`` for every item, in item order (else as :meth:`imap_unordered`)."""
        return (result for _, result in self._stream(fn, items, ordered=True))

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """``[fn(item) for item in items]``, run on this engine."""
        return list(self.imap(fn, items))

    def _stream(self, fn, items, *, ordered: bool) -> Iterator[tuple[int, Any]]:
        raise NotImplementedError

    def describe(self) -> str:
        """One line for the command's output: where the work runs."""
        return self.name

    def close(self) -> None:
        """Release pools and any Ray instance this engine started."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalEngine(Engine):
    """In this process (``workers <= 1``) or a ``spawn`` process pool."""

    name = "local"

    def __init__(self, workers: int = 1, *, initializer: Callable[[], None] | None = None):
        self.workers = max(int(workers), 1)
        self.initializer = initializer

    def describe(self) -> str:
        n = self.workers
        return f"local, {n} process{'es' if n > 1 else ''}" if n > 1 else "local, in process"

    def _stream(self, fn, items, *, ordered):
        small = isinstance(items, Sized) and len(items) <= 1  # a pool would only cost time
        if self.workers <= 1 or small:
            if self.initializer is not None:
                self.initializer()
            for i, item in enumerate(items):
                yield i, fn(item)
            return
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from multiprocessing import get_context

        ctx = get_context("spawn")  # numba + fork aborts; spawn is safe everywhere
        pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=self.initializer)
        pending: dict = {}  # future -> index, in submission order

        def finished():
            if ordered:
                fut = next(iter(pending))
                return [(pending.pop(fut), fut.result())]
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            return [(pending.pop(fut), fut.result()) for fut in done]

        try:
            for i, item in enumerate(items):
                pending[pool.submit(fn, item)] = i
                if len(pending) >= 2 * self.workers:  # bounded: memory does not grow
                    yield from finished()
            while pending:
                yield from finished()
        finally:
            # normal end: everything is done; an error or a closed generator: drop the rest
            pool.shutdown(wait=not pending, cancel_futures=True)


def ray_runtime_env() -> dict:
    """The ``runtime_env`` that ships this driver's mattekit packages to Ray workers."""
    import importlib.util

    modules = []
    for name in SHIPPED_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            modules.append(os.fspath(Path(next(iter(spec.submodule_search_locations)))))
    env: dict = {"py_modules": modules}
    if "NUMBA_CACHE_DIR" in os.environ:  # a warm numba cache saves 50 s per worker
        env["env_vars"] = {"NUMBA_CACHE_DIR": os.environ["NUMBA_CACHE_DIR"]}
    return env


class RayEngine(Engine):
    """One Ray task per item; completions stream back through ``ray.wait``.

    Parameters
    ----------
    workers : int
        CPUs of the private local Ray instance started when ``address`` is
        None (``0``: all cores). Ignored with ``address``: the cluster's CPUs
        set the parallelism.
    address : str, optional
        An existing cluster: ``"auto"``, ``"HOST:6379"`` or ``"ray://HOST:10001"``.
    max_retries : int
        Reruns of an item whose worker died (Ray's ``max_retries``).
    initializer : callable, optional
        Run in the worker before each item (must be cheap and idempotent:
        Ray workers are reused).
    num_cpus : float
        CPUs reserved per task (raise it for steps that use several threads).
    memory : int, optional
        Bytes of memory reserved per task (BM3D needs about 1 KiB per pixel).

    Notes
    -----
    Ray is started or joined at the first item, not here. If Ray is already
    initialised in this process (a notebook, a test fixture), that instance is
    used as it is, with its own ``runtime_env``, and is not shut down by
    :meth:`close`.
    """

    name = "ray"

    def __init__(
        self,
        workers: int = 0,
        *,
        address: str | None = None,
        max_retries: int = 3,
        initializer: Callable[[], None] | None = None,
        num_cpus: float = 1,
        memory: int | None = None,
    ):
        try:
            import ray
        except ImportError:
            raise EngineError(
                "--engine ray needs Ray: pip install 'mattekit[ray]' (or use --engine local)"
            ) from None
        self._ray = ray
        self.address = address
        self.workers = workers
        self.max_retries = int(max_retries)
        self.initializer = initializer
        self._owns = False
        self._task = None
        self._options: dict = {
            "max_retries": self.max_retries,
            "retry_exceptions": [OSError],
            "num_cpus": num_cpus,
        }
        if memory:
            self._options["memory"] = int(memory)

    def _connect(self) -> None:
        """Start or join Ray at first use (a rerun with nothing to do starts nothing)."""
        if self._task is not None:
            return
        ray = self._ray
        if not ray.is_initialized():
            import logging

            kwargs: dict = {
                "runtime_env": ray_runtime_env(),
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.WARNING,
                "configure_logging": True,
            }
            _check_reachable(self.address)
            if self.address is None:
                workers = self.workers
                kwargs["num_cpus"] = int(workers) if workers and workers > 0 else None
            try:
                ray.init(address=self.address, **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                where = f"--address {self.address}" if self.address else "a local Ray instance"
                raise EngineError(f"{where}: cannot start or join Ray ({first})") from None
            self._owns = True
        self._task = ray.remote(_call).options(**self._options)

    def cluster_cpus(self) -> int:
        self._connect()
        return max(int(self._ray.cluster_resources().get("CPU", 1)), 1)

    def describe(self) -> str:
        self._connect()
        nodes = sum(1 for n in self._ray.nodes() if n.get("Alive"))
        where = self.address or "local instance"
        return f"ray ({where}), {self.cluster_cpus()} CPUs on {nodes} node{'s' * (nodes != 1)}"

    def _stream(self, fn, items, *, ordered):
        queue = enumerate(items)
        first = next(queue, None)
        if first is None:  # nothing to do: do not start Ray for it
            return
        queue = itertools.chain([first], queue)
        self._connect()
        ray = self._ray
        window = 2 * self.cluster_cpus()
        fn_ref = ray.put(fn)  # shipped once, not with every task
        init_ref = ray.put(self.initializer)
        pending: dict = {}  # ObjectRef -> index, in submission order
        try:
            for i, item in queue:
                pending[self._task.remote(init_ref, fn_ref, item)] = i
                if len(pending) >= window:
                    break
            while pending:
                if ordered:
                    ready = [next(iter(pending))]
                else:
                    ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    i = pending.pop(ref)
                    yield i, self._get(ref, i)
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending[self._task.remote(init_ref, fn_ref, nxt[1])] = nxt[0]
        finally:
            for ref in pending:  # an error or a closed generator: stop the rest
                ray.cancel(ref)

    def _get(self, ref, i: int):
        ray = self._ray
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            # the item's own exception (a bad file...): raised as itself, for one clear line
            if isinstance(exc.cause, BaseException):
                raise exc.cause from None
            raise
        except ray.exceptions.RayError as exc:
            # WorkerCrashedError, NodeDiedError, ObjectLostError...: retries spent
            raise EngineError(
                f"item {i}: {type(exc).__name__} after {self.max_retries} retries; "
                "rerun the same command to resume"
            ) from None

    def close(self) -> None:
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()
        self._owns = False
        self._task = None


def _check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """Fail fast on a ``HOST:PORT`` nobody listens on (``ray.init`` would retry for minutes)."""
    if address is None or "://" in address or address == "auto" or ":" not in address:
        return
    import socket

    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise EngineError(
            f"--address {address}: no Ray cluster answers there ({reason}); "
            "start one with `ray start --head`"
        ) from None


def make_engine(
    engine: str = "local",
    *,
    workers: int = 1,
    address: str | None = None,
    max_retries: int = 3,
    initializer: Callable[[], None] | None = None,
    memory: int | None = None,
) -> Engine:
    """The engine a command's ``--engine/--workers/--address`` options name."""
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "local":
        if address is not None:
            raise UsageError("--address names a Ray cluster; it needs --engine ray")
        return LocalEngine(workers, initializer=initializer)
    return RayEngine(
        workers, address=address, max_retries=max_retries, initializer=initializer, memory=memory
    )


def local_path(target: str | os.PathLike) -> Path:
    """An output location as a local path: a path, or a ``file://`` URL.

    Outputs are written by temporary name + rename, which is atomic on a POSIX
    file system, and the per-item completion records are read back to resume.
    Shared across a cluster this means a file system mounted at the same path
    on every node: NFS, Lustre, CephFS, EFS, or an object store behind a FUSE
    mount that can rename (gcsfuse, s3fs; not mountpoint-s3, which cannot).
    Other fsspec URLs (``s3://``, ``gs://``, ...) are refused with a clear
    message rather than half supported (see docs/scale.md).
    """
    text = os.fspath(target)
    if "://" not in text:
        return Path(text)
    protocol = text.split("://", 1)[0].lower()
    if protocol in ("file", "local"):
        from fsspec.core import url_to_fs  # fsspec comes with ray[data] and datasets

        return Path(url_to_fs(text)[1])
    raise UsageError(
        f"{text}: {protocol}:// output is not supported; write to a local or shared "
        "folder (a path or file:// URL), e.g. the object store mounted with gcsfuse or s3fs"
    )
