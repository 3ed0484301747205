"""Engines: where the per-partition work runs.

An engine maps a function over partition indices and folds the results with a merge function, in
partition order, so the result never depends on how many workers there are or which one ran what:

* :class:`LocalEngine` (``engine="stream"``): one partition at a time in this process; memory holds one
  partition plus the running aggregate, so files larger than memory stream through (pyarrow batches);
* :class:`DaskEngine` (``engine="dask"``): the same functions on a Dask cluster, a ``LocalCluster`` when no
  scheduler address is given. Dask is imported only here, only when this engine is used.

>>> with make_engine("dask", n_workers=2) as engine:
...     total = engine.map_fold(partial(count_rows, dataset), len(dataset), operator.add)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, Self, TypeVar

import numpy as np

from .._optional import require
from ..errors import ParameterError
from ..progress import NO_PROGRESS, ProgressCallback

__all__ = ["ENGINES", "DaskEngine", "Engine", "LocalEngine", "fresh_seed", "make_engine", "partition_rng"]

logger = logging.getLogger(__name__)

ENGINES = ("stream", "dask")
T = TypeVar("T")


def partition_rng(seed: int, stage: int, index: int) -> np.random.Generator:
    """The random stream of partition ``index`` in ``stage``: the same child of ``seed`` on every worker.

    Equal to ``SeedSequence(seed).spawn(...)`` children keyed by (stage, index), so no worker count or
    scheduling order changes it.
    """
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(stage), int(index))))


def _apply(fn: Callable[[int], T], i: int) -> T:
    return fn(i)


def fresh_seed() -> int:
    """A random 63-bit seed from the operating system (when the user gave none)."""
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))


class Engine(Protocol):
    """What the distributed algorithms need from an engine."""

    n_workers: int

    def map_fold(
        self,
        fn: Callable[[int], T],
        n: int,
        merge: Callable[[T, T], T],
        progress: ProgressCallback | None = None,
        task: str = "partitions",
    ) -> T:
        """``merge(...merge(merge(fn(0), fn(1)), fn(2))..., fn(n - 1))``; ``progress`` advances per partition."""
        ...

    def map(
        self, fn: Callable[[int], T], n: int, progress: ProgressCallback | None = None, task: str = "partitions"
    ) -> list[T]:
        """``[fn(0), ..., fn(n - 1)]`` (keep results small)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class LocalEngine:
    """Runs partitions one after another in this process (the streaming single-machine path)."""

    n_workers = 1

    def map_fold(
        self,
        fn: Callable[[int], T],
        n: int,
        merge: Callable[[T, T], T],
        progress: ProgressCallback | None = None,
        task: str = "partitions",
    ) -> T:
        progress = progress or NO_PROGRESS
        progress.start(task, n)
        acc = fn(0)
        progress.advance(task)
        for i in range(1, n):
            acc = merge(acc, fn(i))
            progress.advance(task)
        progress.end(task)
        return acc

    def map(
        self, fn: Callable[[int], T], n: int, progress: ProgressCallback | None = None, task: str = "partitions"
    ) -> list[T]:
        progress = progress or NO_PROGRESS
        progress.start(task, n)
        out = []
        for i in range(n):
            out.append(fn(i))
            progress.advance(task)
        progress.end(task)
        return out

    def close(self) -> None:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskEngine:
    """Runs partitions as tasks on a Dask cluster.

    Parameters
    ----------
    scheduler : address of a running scheduler (``tcp://host:8786``); ``None`` starts a ``LocalCluster``.
    n_workers, memory_limit : size of that local cluster (one thread per worker process).
    client : an existing ``distributed.Client`` to use as is (not closed by :meth:`close`).
    """

    def __init__(
        self,
        *,
        scheduler: str | None = None,
        n_workers: int = 2,
        memory_limit: str | int = "2GB",
        client: Any = None,
    ) -> None:
        self.scheduler = scheduler
        self.n_workers = n_workers
        self.memory_limit = memory_limit
        self.client = client
        self._owned: list[Any] = []

    def _client(self) -> Any:
        if self.client is not None:
            return self.client
        distributed = require("distributed", extra="dask", purpose="--engine dask")
        if self.scheduler:
            try:
                self.client = distributed.Client(self.scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise ParameterError(
                    f"cannot reach the Dask scheduler at {self.scheduler!r} ({type(exc).__name__}); "
                    "check the address (tcp://host:8786) and that the scheduler is running"
                ) from None
        else:
            if isinstance(self.n_workers, bool) or not isinstance(self.n_workers, int) or self.n_workers < 1:
                raise ParameterError(f"n_workers must be a positive integer, not {self.n_workers!r}")
            cluster = distributed.LocalCluster(
                n_workers=self.n_workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=self.memory_limit,
                dashboard_address=":0",  # any free port: no clash with a running cluster
            )
            self.client = distributed.Client(cluster)
            self._owned = [self.client, cluster]
        info = self.client.scheduler_info()
        self.n_workers = len(info.get("workers", {})) or self.n_workers
        logger.debug("dask engine with %d workers at %s", self.n_workers, self.client.scheduler.address)
        return self.client

    def _futures(self, fn: Callable[[int], T], n: int) -> list[Any]:
        client = self._client()
        # the function carries the shared state (transformer, sketches): send it to every worker once
        shared = client.scatter(fn, broadcast=True, hash=False)
        return list(client.map(_apply, [shared] * n, list(range(n)), pure=False))

    def _watch(self, futures: list[Any], progress: ProgressCallback | None, task: str) -> None:
        progress = progress or NO_PROGRESS
        progress.start(task, len(futures))
        distributed = require("distributed", extra="dask", purpose="--engine dask")
        for _ in distributed.as_completed(futures):
            progress.advance(task)
        progress.end(task)

    def map_fold(
        self,
        fn: Callable[[int], T],
        n: int,
        merge: Callable[[T, T], T],
        progress: ProgressCallback | None = None,
        task: str = "partitions",
    ) -> T:
        client = self._client()
        futures = self._futures(fn, n)
        acc = futures[0]
        for f in futures[1:]:  # a left fold in partition order: the same sums whatever the worker count
            acc = client.submit(merge, acc, f, pure=False)
        self._watch(futures, progress, task)
        return acc.result()  # type: ignore[no-any-return]

    def map(
        self, fn: Callable[[int], T], n: int, progress: ProgressCallback | None = None, task: str = "partitions"
    ) -> list[T]:
        client = self._client()
        futures = self._futures(fn, n)
        self._watch(futures, progress, task)
        return list(client.gather(futures))

    def run_on_workers(self, fn: Callable[[], Any]) -> dict[str, Any]:
        """``fn()`` on every worker (used by the benchmark to read worker memory)."""
        return dict(self._client().run(fn))

    def close(self) -> None:
        for obj in self._owned:
            try:
                obj.close()
            except Exception:  # pragma: no cover - shutdown noise
                logger.debug("closing %r failed", obj)
        self._owned = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_engine(
    engine: str | Engine = "stream",
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    memory_limit: str | int = "2GB",
) -> Engine:
    """An engine from its name (``"stream"`` or ``"dask"``), or ``engine`` itself if it already is one."""
    if not isinstance(engine, str):
        return engine
    if engine == "stream":
        if scheduler:
            raise ParameterError("--scheduler needs --engine dask; the stream engine runs in this process")
        return LocalEngine()
    if engine == "dask":
        require("distributed", extra="dask", purpose="--engine dask")
        return DaskEngine(scheduler=scheduler, n_workers=n_workers, memory_limit=memory_limit)
    raise ParameterError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
