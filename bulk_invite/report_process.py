"""A helper process that writes a large results workbook while the main process checks rows.

xlsxwriter is pure Python and writing the workbook costs about as much as reading and checking
the rows, so on a machine with a spare core the two halves run side by side. The helper is a plain
``python -m bulk_invite.report_process`` child (not :mod:`multiprocessing`, which would re-run the
caller's main module) fed pickled batches of rows on its stdin; it answers once, on stdout, when
the workbook is closed. Its stderr is discarded, as a traceback could quote patient data. When the
helper cannot start, the caller writes the workbook itself: the result is the same file.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from .errors import OutputError
from .models import RowResult

#: Rows held back before a helper starts: smaller runs are written in-process.
HELPER_AFTER_ROWS = 1_000
#: Rows per message to the helper.
BATCH_ROWS = 1_000
# Batches queued for the pipe: enough to ride out the helper's start-up, bounded for memory.
_QUEUED_BATCHES = 16

Row = tuple[tuple[str, ...], int, RowResult]
SummaryItems = Sequence[tuple[str, str | int | float | bool | None]]


class Helper:
    """The parent's handle on a running helper: send rows, then finish or kill."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc
        self._queue: queue.Queue[bytes | None] = queue.Queue(_QUEUED_BATCHES)
        self._broken = False
        # Pipe writes block while the helper is busy; a thread keeps the checker running.
        self._pump = threading.Thread(target=self._drain, name="results-writer-pipe", daemon=True)
        self._pump.start()

    @classmethod
    def start(cls, target: Path, scratch: Path, headers: Sequence[str]) -> Helper | None:
        """Start a helper writing to ``target``, or None when no helper process can run here."""
        if not sys.executable:
            return None
        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bulk_invite.report_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        except OSError:
            return None
        helper = cls(proc)
        helper._put(("open", str(target), str(scratch), tuple(headers)))
        return helper

    def send(self, rows: list[Row]) -> None:
        """Queue a batch of rows (blocks only while the queue is full)."""
        self._put(("rows", rows))

    def finish(self, items: SummaryItems, name: str) -> None:
        """Send the summary, wait for the helper to close the workbook; OutputError if it failed."""
        self._put(("close", list(items)))
        self._queue.put(None)
        self._pump.join()
        assert self._proc.stdout is not None
        try:
            answer = pickle.load(self._proc.stdout)
        except (EOFError, pickle.UnpicklingError, OSError):
            answer = ("error", "the results writer process stopped")
        finally:
            self._proc.stdout.close()
            self._proc.wait()
        if answer[0] != "ok":
            raise OutputError(f"cannot write {name}: {answer[1]}")

    def kill(self) -> None:
        """Stop the helper at once (the workbook is abandoned)."""
        self._broken = True
        self._proc.kill()
        self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def _put(self, message: tuple[Any, ...]) -> None:
        if not self._broken:
            self._queue.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def _drain(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        while (data := self._queue.get()) is not None:
            if self._broken:
                continue
            try:
                stdin.write(data)
            except OSError:
                # The helper died; finish() reads why (or that it stopped). Keep emptying the queue.
                self._broken = True
        with contextlib.suppress(OSError):
            stdin.close()


def serve(source: IO[bytes], answer: IO[bytes]) -> int:
    """The helper's side: open, add rows, close; answer ``("ok",)`` or ``("error", reason)``."""
    from xlsxwriter.exceptions import XlsxWriterException

    from .report import _Book

    book: _Book | None = None
    try:
        while True:
            message = pickle.load(source)
            if message[0] == "open":
                book = _Book(message[1], message[2], message[3])
            elif message[0] == "rows" and book is not None:
                add = book.add
                for cells, number, result in message[1]:
                    add(cells, number, result)
            elif message[0] == "close" and book is not None:
                book.close(message[1])
                reply: tuple[str, ...] = ("ok",)
                break
    except XlsxWriterException as exc:
        reply = ("error", type(exc).__name__)
    except OSError as exc:
        reply = ("error", str(exc.strerror or type(exc).__name__))
    except EOFError:
        return 1  # the parent went away: nothing to answer
    except Exception as exc:
        reply = ("error", type(exc).__name__)
    pickle.dump(reply, answer)
    answer.flush()
    return 0 if reply[0] == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(serve(sys.stdin.buffer, sys.stdout.buffer))
