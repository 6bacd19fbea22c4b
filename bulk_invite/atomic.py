"""Owner-only output files that appear complete or not at all.

Results and summaries hold patient data, and a half-written workbook looks valid to a person in a
hurry: so every output is written to a temporary file beside its target (same filesystem, so the
final rename is atomic), created 0600 whatever the umask, fsynced, then renamed over the target.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import OutputError

#: Permissions of every output file: owner read/write only.
OUTPUT_MODE = 0o600


class AtomicFile:
    """A temporary file beside ``target`` that replaces it on :meth:`commit`, or vanishes."""

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        directory = self.target.parent
        if not directory.is_dir():
            raise OutputError(f"cannot write {self.target}: folder {directory} does not exist")
        if self.target.is_dir():
            raise OutputError(f"cannot write {self.target}: it is a folder")
        try:
            fd, name = tempfile.mkstemp(
                dir=directory, prefix="." + self.target.name, suffix=".tmp"
            )
        except OSError as exc:
            raise OutputError(f"cannot write in {directory}: {exc.strerror}") from exc
        self.temp_path = Path(name)
        self.file: BinaryIO = os.fdopen(fd, "w+b")
        self._done = False
        try:
            # mkstemp already gives 0600, but say so explicitly in case a platform differs.
            os.fchmod(fd, OUTPUT_MODE)
        except OSError:
            self.discard()
            raise

    def commit(self) -> Path:
        """Fsync the file, rename it onto the target, fsync the folder; return the target."""
        if self._done:
            raise RuntimeError("atomic file already committed or discarded")
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            os.fchmod(self.file.fileno(), OUTPUT_MODE)
            self.file.close()
            os.replace(self.temp_path, self.target)
        except OSError as exc:
            self.discard()
            raise OutputError(f"cannot write {self.target}: {exc.strerror or exc}") from exc
        self._done = True
        _fsync_directory(self.target.parent)
        return self.target

    def discard(self) -> None:
        """Close and remove the temporary file; the target is left as it was."""
        if self._done:
            return
        self._done = True
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.temp_path.unlink()


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[BinaryIO]:
    """Yield a binary file that becomes ``target`` (mode 0600) if the block ends without error."""
    atomic = AtomicFile(target)
    try:
        yield atomic.file
    except BaseException:
        atomic.discard()
        raise
    atomic.commit()


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; some platforms cannot open folders, which is fine."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
