"""Process-wide safety checks made once at start-up, before any file is opened."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping

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
