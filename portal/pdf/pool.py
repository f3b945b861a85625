"""批量打印 on worker processes: a batch laid out on every core of the server instead of one.

WeasyPrint lays pages out in pure Python, so one process lays out one page at a time (a 荣誉证书 takes
about 12 ms). `write` hands a batch to a pool of worker processes in parts: each worker lays its part
out chunk by chunk, reports each chunk on the pool's progress queue, and writes the part as one PDF;
the parts are joined in order with pypdf. Each part embeds its own font subset, so a batch has just
enough parts to keep every worker busy, each of at most `PART` documents (which bounds a worker's memory).

The pool is started on the first batch of a web process (spawned: workers inherit no Flask state,
database connection or Pango font map) and kept warm; it serves one batch at a time. Each web process
has its own pool: under a WSGI server with several worker processes, set PRINT_PROCESSES accordingly.
A worker that dies (killed, out of memory) fails the batch and the pool is replaced on the next one;
workers exit when the web process that started them is gone.
"""

from __future__ import annotations

import io
import itertools
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pypdf import PdfReader, PdfWriter

from portal.pdf import Source, join_pdf, layout, warm

#: The most documents one worker lays out and writes as one PDF.
PART = 100
#: How long the parent waits for a progress message before checking the parts again (seconds).
POLL = 0.2
#: How long the parent waits, after the last part, for progress messages still on their way (seconds).
SETTLE = 2.0

_lock = threading.Lock()  # one batch at a time on the pool
_pool: tuple[tuple[str, int], ProcessPoolExecutor, Any] | None = None
_tokens = itertools.count(1)

# In a worker: set once by `_start`.
_static_folder = ""
_progress: Any = None


def _start(static_folder: str, progress: Any) -> None:
    """Worker initialiser: remember the static folder and queue; parse the stylesheet and fonts now."""
    global _static_folder, _progress
    _static_folder, _progress = static_folder, progress
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    warm(static_folder)


def _exit_with_parent(parent: int) -> None:
    """In a worker: exit once the process that started the pool is gone (killed, out of memory).

    A killed parent never tells its workers; they would wait for work for ever.
    """
    while os.getppid() == parent:
        time.sleep(2)
    os._exit(0)


def _write_part(token: int, part: list[tuple[Source, int]]) -> tuple[bytes, int]:
    """In a worker: lay out a part's chunks (reporting each) and write them as one PDF; return it, pages."""
    images: dict[str, Any] = {}
    documents = []
    for source, count in part:
        documents.append(layout(source, _static_folder, images)[0])
        _progress.put((token, count))
    return join_pdf(documents)


def part_size(total: int, processes: int, chunk: int) -> int:
    """Return how many documents go in one part: enough parts for every worker, each at most PART.

    A whole number of chunks, so progress moves as steadily as in a single process.
    """
    share = -(-total // max(processes, 1))
    return max(chunk, min(PART, -(-share // chunk) * chunk))


def _executor(static_folder: str, processes: int) -> tuple[ProcessPoolExecutor, Any]:
    global _pool
    key = (static_folder, processes)
    # A pool broke while idle (a worker killed between batches) refuses every submit: replace it.
    # `_broken` is CPython's flag for that state.
    if _pool is not None and (_pool[0] != key or getattr(_pool[1], "_broken", False)):
        shutdown()
    if _pool is None:
        context = multiprocessing.get_context("spawn")
        progress = context.Queue()
        executor = ProcessPoolExecutor(
            processes, mp_context=context, initializer=_start, initargs=(static_folder, progress)
        )
        _pool = (key, executor, progress)
    return _pool[1], _pool[2]


def shutdown() -> None:
    """Stop the pool's workers (the next batch starts a new pool)."""
    global _pool
    if _pool is not None:
        _pool[1].shutdown(wait=False, cancel_futures=True)
        _pool = None


def write(
    parts: Iterable[list[tuple[Source, int]]],
    static_folder: str,
    processes: int,
    on_progress: Callable[[int], None],
) -> tuple[bytes, int]:
    """Lay out and write `parts` (each a list of (markup, documents in it)) on the pool, as one PDF.

    `on_progress(n)` is called in this thread each time a worker has laid out a chunk of n documents.
    Returns the PDF and its page count; a worker's exception is raised here.
    """
    with _lock:
        executor, progress = _executor(static_folder, processes)
        token = next(_tokens)
        futures: list[Future[tuple[bytes, int]]] = []
        expected = reported = 0

        def pump(timeout: float | None) -> None:
            """Pass on the progress messages of this batch (older batches' leftovers are dropped)."""
            nonlocal reported
            try:
                while True:
                    sender, count = progress.get(timeout=timeout) if timeout else progress.get_nowait()
                    if sender == token:
                        reported += count
                        on_progress(count)
                    timeout = None
            except queue.Empty:
                pass

        try:
            for part in parts:  # markup of the next part is built while workers lay out the previous
                futures.append(executor.submit(_write_part, token, part))
                expected += sum(count for _source, count in part)
                pump(None)
            while not all(f.done() for f in futures):
                pump(POLL)
            results = [f.result() for f in futures]
            settle = time.monotonic() + SETTLE  # a worker's messages travel apart from its result
            while reported < expected and time.monotonic() < settle:
                pump(POLL)
        except BrokenProcessPool:
            shutdown()
            raise
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    return merge([pdf for pdf, _pages in results]), sum(pages for _pdf, pages in results)


def merge(pdfs: list[bytes]) -> bytes:
    """Join PDFs in order into one file, which keeps the first one's catalogue and information
    (title, producer, language zh-CN)."""
    if len(pdfs) == 1:
        return pdfs[0]
    writer = PdfWriter(clone_from=io.BytesIO(pdfs[0]))
    for pdf in pdfs[1:]:
        writer.append(PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
