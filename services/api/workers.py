"""A pool of extraction processes, each holding its own extractor (engine loaded once).

Tesseract is CPU-bound and holds the GIL in places, so extraction runs in separate processes,
one per core by default; the event loop only waits on pipes (from a few threads), so one slow
image never blocks other requests. A task that runs past its time limit gets its process killed
and replaced, which a `ProcessPoolExecutor` cannot do; a process that dies is replaced too.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Awaitable, Callable, Optional, Sequence

from services.backends import make_extractor
from services.core.config import Settings
from services.domain.results import ExtractionOutcome
from services.domain.schema import ErrorCode

log = logging.getLogger(__name__)

# spawn, not fork: the parent runs threads (uvicorn, database pools) that fork would copy
# in an undefined state.
_CONTEXT = multiprocessing.get_context("spawn")


class PoolError(RuntimeError):
    """The pool cannot extract: it failed to start, or every worker is gone."""


class ExtractorCrashed(RuntimeError):
    """The extractor raised instead of returning an outcome (a programming error)."""


def _worker_main(conn: Connection, spec: str, settings: Settings) -> None:
    # One OpenMP thread per Tesseract call: the parallelism is the processes.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    # Ctrl-C reaches the whole process group; the parent shuts the workers down in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        extractor = make_extractor(spec, settings)
    except BaseException:  # noqa: BLE001 - reported to the parent, which refuses to start
        conn.send(("failed", traceback.format_exc(limit=8)))
        return
    conn.send(("ready", getattr(extractor, "name", spec)))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        images, thumb = message
        try:
            outcome = extractor.extract(images, thumb=thumb)
        except Exception:  # noqa: BLE001 - sent back; the request then fails with a 500
            conn.send(("error", traceback.format_exc(limit=8)))
            continue
        conn.send(("ok", outcome))


@dataclass(eq=False)  # identity: workers live in a set
class _Worker:
    process: Any  # multiprocessing.Process of the spawn context
    conn: Connection
    name: str = ""

    def kill(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


class WorkerPool:
    def __init__(self, spec: str, settings: Settings, *, size: int, task_timeout: float,
                 start_timeout: float = 180.0) -> None:
        self.spec = spec
        self.settings = settings
        self.size = max(1, size)
        self.task_timeout = task_timeout
        self.start_timeout = start_timeout
        self.extractor_name = spec
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: set[_Worker] = set()
        # Threads only wait on pipes; one per worker is enough, plus one for replacements.
        self._io = ThreadPoolExecutor(max_workers=self.size + 1, thread_name_prefix="extract-io")
        self._closing = False
        self._replacing = 0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def alive(self) -> int:
        return len(self._workers)

    def _spawn(self) -> _Worker:
        parent, child = _CONTEXT.Pipe(duplex=True)
        process = _CONTEXT.Process(target=_worker_main, args=(child, self.spec, self.settings),
                                   name="extract-worker", daemon=True)
        process.start()
        child.close()
        return _Worker(process=process, conn=parent)

    def _start_one(self) -> _Worker:
        """Start a worker and wait until its extractor is loaded (blocking; run in a thread)."""
        worker = self._spawn()
        try:
            if not worker.conn.poll(self.start_timeout):
                raise PoolError(f"the extractor {self.spec!r} did not load within {self.start_timeout:g} s")
            status, payload = worker.conn.recv()
        except (EOFError, OSError) as exc:
            worker.kill()
            raise PoolError(f"the worker for {self.spec!r} exited while loading the extractor") from exc
        except PoolError:
            worker.kill()
            raise
        if status != "ready":
            worker.kill()
            raise PoolError(f"the extractor {self.spec!r} failed to load:\n{payload}")
        worker.name = str(payload)
        return worker

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        results = await asyncio.gather(*(loop.run_in_executor(self._io, self._start_one) for _ in range(self.size)),
                                       return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        for result in results:
            if isinstance(result, _Worker):
                if errors:
                    result.kill()
                else:
                    self._workers.add(result)
                    self._idle.put_nowait(result)
                    self.extractor_name = result.name
        if errors:
            raise errors[0]
        log.info("%d extraction worker(s) (%s) ready in %.1f s", self.size, self.extractor_name,
                 time.monotonic() - started)

    async def extract(self, images: Sequence[bytes], *, thumb: bool,
                      on_start: Optional[Callable[[], Awaitable[Any]]] = None) -> ExtractionOutcome:
        """Run one extraction in a free worker. Over the time limit, or if the worker dies, the
        answer is a code 3 outcome (the image could not be read) and the worker is replaced.

        `on_start` runs once a worker is free, just before the images are handed to it."""
        if self._closing:
            raise PoolError("the server is shutting down")
        if not self._workers and not self._replacing:
            raise PoolError("no extraction worker is running")
        worker = await self._idle.get()
        loop = asyncio.get_running_loop()
        healthy = False
        try:
            if on_start is not None:
                try:
                    await on_start()
                except BaseException:
                    healthy = True  # the worker was not used
                    raise
            await loop.run_in_executor(self._io, worker.conn.send, (list(images), thumb))
            ready = await loop.run_in_executor(self._io, worker.conn.poll, self.task_timeout)
            if not ready:
                log.warning("extraction exceeded %.0f s; restarting its worker", self.task_timeout)
                return ExtractionOutcome(
                    error=ErrorCode.BAD_IMAGE, engine=worker.name,
                    detail=f"the image could not be read within the time limit ({self.task_timeout:g} s)",
                )
            status, payload = await loop.run_in_executor(self._io, worker.conn.recv)
            healthy = True
        except (EOFError, OSError) as exc:
            log.error("an extraction worker died (%s); restarting it", type(exc).__name__)
            return ExtractionOutcome(error=ErrorCode.BAD_IMAGE, engine=worker.name,
                                     detail="the extraction of this image failed (the worker stopped)")
        finally:
            # A worker whose task did not end cleanly (time limit, death, cancellation) is in an
            # unknown state: replace it rather than hand it the next task.
            if healthy:
                self._idle.put_nowait(worker)
            else:
                self._replace(worker)
        if status == "error":
            raise ExtractorCrashed(payload)
        return payload

    def _replace(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        self._replacing += 1
        loop = asyncio.get_running_loop()

        async def replace() -> None:
            try:
                await loop.run_in_executor(self._io, worker.kill)
                if self._closing:
                    return
                for attempt in range(3):
                    try:
                        fresh = await loop.run_in_executor(self._io, self._start_one)
                    except PoolError as exc:
                        log.error("could not restart an extraction worker (try %d): %s", attempt + 1, exc)
                        await asyncio.sleep(2 ** attempt)
                        continue
                    if self._closing:
                        fresh.kill()
                        return
                    self._workers.add(fresh)
                    self._idle.put_nowait(fresh)
                    return
            finally:
                self._replacing -= 1

        task = loop.create_task(replace())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        self._closing = True
        loop = asyncio.get_running_loop()
        workers = list(self._workers)
        self._workers.clear()

        def stop(worker: _Worker) -> None:
            try:
                worker.conn.send(None)
            except OSError:
                pass
            worker.process.join(timeout=5)
            worker.kill()

        await asyncio.gather(*(loop.run_in_executor(self._io, stop, w) for w in workers))
        for task in list(self._tasks):
            await task
        self._io.shutdown(wait=False, cancel_futures=True)
