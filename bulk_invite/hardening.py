"""Process-wide safety checks made once at start-up, before any file is opened."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import UsageError


def require_defusedxml(environ: Mapping[str, str] | None = None) -> None:
    """Refuse to run without defusedxml, or with openpyxl told not to use it."""
    env = os.environ if environ is None else environ
    if importlib.util.find_spec("defusedxml") is None:
        raise UsageError(
            "The defusedxml package is missing, so spreadsheets could carry XML attacks: "
            "reinstall bulk-invite (pip install bulk-invite) to get it."
        )
    if env.get("OPENPYXL_DEFUSEDXML", "True") != "True":
        raise UsageError(
            "OPENPYXL_DEFUSEDXML is set to turn off XML attack protection: unset it "
            "(unset OPENPYXL_DEFUSEDXML) and run again."
        )


def harden(environ: Mapping[str, str] | None = None) -> None:
    """Owner-only permissions for every file created from here on, and the XML checks."""
    os.umask(0o077)
    require_defusedxml(environ)


_HIDDEN = "no details are shown because they could contain patient data"


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = getattr(args.thread, "name", "?")
    sys.stderr.write(
        f"bulk-invite: internal error in thread {name} ({args.exc_type.__name__}); {_HIDDEN}.\n"
    )


def _unraisable_hook(unraisable: Any) -> None:
    sys.stderr.write(
        f"bulk-invite: ignored internal error ({type(unraisable.exc_value).__name__}); {_HIDDEN}.\n"
    )


@contextlib.contextmanager
def quiet_background_errors(environ: Mapping[str, str] | None = None) -> Iterator[None]:
    """While active, an exception escaping a thread or a finalizer prints its type, never its
    message or traceback (``BULK_INVITE_TRACEBACK=1`` keeps Python's full reports)."""
    env = os.environ if environ is None else environ
    if env.get("BULK_INVITE_TRACEBACK") == "1":
        yield
        return
    saved = threading.excepthook, sys.unraisablehook
    threading.excepthook, sys.unraisablehook = _thread_hook, _unraisable_hook
    try:
        yield
    finally:
        threading.excepthook, sys.unraisablehook = saved
