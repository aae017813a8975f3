"""Worker processes for long line-based inputs: bounded, ordered, and never outliving the run.

Batches are checked in a process pool with a bounded number in flight (memory stays flat) and
their results yielded in input order (output is the same whatever the number of jobs). The pool
starts only when a second batch turns up. A worker that fails or dies is reported as a finding
for its batch and the run goes on in this process; workers end with the main process (SIGTERM,
SIGHUP, SIGINT, or the main process killed outright).
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from completion_validator.errors import Finding

if TYPE_CHECKING:
    import threading
    from concurrent.futures import Future, ProcessPoolExecutor

Result = TypeVar("Result")
_PR_SET_PDEATHSIG = 1


def available_cpus() -> int:
    """The cores this process may use: the most workers worth starting."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _worker_started(main_process: int) -> None:
    """In each worker: die with the main process, and leave Ctrl-C to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for number in (signal.SIGTERM, signal.SIGHUP):  # the main process's handlers came along with fork
        signal.signal(number, signal.SIG_DFL)
    try:  # Linux: the kernel sends SIGTERM when the main process dies, even by SIGKILL
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # another platform: the pool's own shutdown still ends them
        pass
    if os.getppid() != main_process:  # it died between our fork and the line above: no signal will come
        os._exit(1)


class Workers:
    """`map` over batches, in this process (jobs = 1) or in worker processes."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._broken = False

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self._pool is None:
            return
        if kind is None or issubclass(kind, BrokenPipeError):
            # Done, or the reader of our output went away (`| head`): an orderly end. The batches
            # in flight (a few thousand lines at most) finish and the rest are cancelled; a worker
            # terminated while it sends its result would leave the pool's manager thread waiting
            # for the rest of that message, and the interpreter's exit waits for that thread.
            self._pool.shutdown(cancel_futures=True)
        else:  # interrupted or failed: do not wait for the batches in flight
            self._stop_pool()

    def _stop_pool(self) -> None:
        assert self._pool is not None
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        manager = getattr(self._pool, "_executor_manager_thread", None)
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        # Join the pool's manager thread now that nothing is left to wait for: left running, it
        # races the interpreter's exit hook (CPython 3.11), which then writes to a pipe it closed.
        if manager is not None:
            _join_once_started(manager, timeout=10)
        self._pool = None

    def map(
        self,
        check: Callable[..., Result],
        batches: Iterator[Any],
        failed: Callable[[Any, str], Result],
        *args: object,
    ) -> Iterator[Result]:
        """`check(batch, *args)` for each batch, in order; `failed(batch, why)` for a batch whose worker failed."""
        first = next(batches, None)
        if first is None:
            return
        if self.jobs <= 1 or self._broken:
            yield check(first, *args)
            for batch in batches:
                yield check(batch, *args)
            return
        in_flight: list[tuple[Any, Future[Result]]] = []
        for batch in itertools.chain([first], batches):
            future = None if self._broken else self._submit(check, batch, *args)
            if future is None:  # a worker died: finish what was sent, then go on in this process
                while in_flight:
                    yield self._result(*in_flight.pop(0), failed, check, args)
                yield check(batch, *args)
                continue
            in_flight.append((batch, future))
            if len(in_flight) >= 2 * self.jobs:  # bounded: a huge file never piles up in memory
                yield self._result(*in_flight.pop(0), failed, check, args)
        for batch, future in in_flight:
            yield self._result(batch, future, failed, check, args)

    def _submit(self, check: Callable[..., Result], batch: Any, *args: object) -> Future[Result] | None:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self._start().submit(check, batch, *args)
        except BrokenProcessPool:
            self._break()
            return None

    @property
    def broken(self) -> bool:
        """Whether a worker process died (the rest of the run goes on in this process)."""
        return self._broken

    def _break(self) -> None:
        if self._pool is not None:
            self._stop_pool()
        self._broken = True  # the rest of the run goes on in this process

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor  # only a long line-based input needs it

            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs, initializer=_worker_started, initargs=(os.getpid(),)
            )
        return self._pool

    def _result(
        self,
        batch: Any,
        future: Future[Result],
        failed: Callable[[Any, str], Result],
        check: Callable[..., Result] | None = None,
        args: tuple[object, ...] = (),
    ) -> Result:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return future.result()
        except BrokenProcessPool:
            self._break()
            if check is not None:  # checked once more, here: a worker killed for the memory of others
                try:
                    return check(batch, *args)
                except Exception as failure:  # a bug of ours on these lines: said once, the run goes on
                    where = "".join(__import__("traceback").format_exception_only(failure)).strip()
                    return failed(
                        batch, f"a worker process died while checking these lines, and so did this one: {where}"
                    )
            return failed(batch, "a worker process died while checking these lines")
        except Exception as failure:
            where = "".join(__import__("traceback").format_exception_only(failure)).strip()
            return failed(batch, f"a worker failed while checking these lines: {where}")


def _join_once_started(thread: threading.Thread, timeout: float) -> None:
    """Join `thread`, which may not have started yet: Ctrl-C can land while the pool starts it.

    `Thread.start` waits for the new thread to say it runs, and an interrupt during that wait
    leaves a thread that `join` refuses ("cannot join thread before it is started"): wait a
    little for it to start. One that never will (interrupted before `start`) is given up on.
    """
    deadline = time.monotonic() + timeout
    for _ in range(100):
        try:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        except RuntimeError:  # not started yet
            time.sleep(0.01)
        else:
            return


def internal_problem(message: str, document: int | None = None, line: int | None = None) -> Finding:
    """The finding that stands for work that could not be done (a bug, or a worker that died)."""
    return Finding(None, "internal", message, document=document, line=line, column=None if line is None else 1)
