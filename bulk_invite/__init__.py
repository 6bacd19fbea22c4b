"""bulk-invite: send Qualiphy exam invites in bulk from patient spreadsheets, safely.

The library API, for orchestrators::

    from bulk_invite import run, Settings
    summary = run(Path("patients.xlsx"), Settings(exams=(1822,)), command="check")
    summary.exit_code, summary.counts
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "BulkInviteError",
    "RunSummary",
    "Secret",
    "Settings",
    "Status",
    "__version__",
    "load_api_key",
    "run",
]

# Names resolve on first use, so `bulk-invite --help` does not pay for pandas-free but still
# sizeable imports (requests, xlsxwriter, calamine) it never needs.
_LAZY = {
    "run": ("pipeline", "run"),
    "Settings": ("settings", "Settings"),
    "RunSummary": ("models", "RunSummary"),
    "Status": ("models", "Status"),
    "BulkInviteError": ("errors", "BulkInviteError"),
    "Secret": ("secret", "Secret"),
    "load_api_key": ("secret", "load_api_key"),
}

if TYPE_CHECKING:
    from .errors import BulkInviteError
    from .models import RunSummary, Status
    from .pipeline import run
    from .secret import Secret, load_api_key
    from .settings import Settings


def __getattr__(name: str) -> Any:
    """Import the public names lazily."""
    if name not in _LAZY:
        raise AttributeError(f"module 'bulk_invite' has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attribute)
    globals()[name] = value
    return value
