"""bulk-invite: send Qualiphy exam invites in bulk from patient spreadsheets, safely."""

from __future__ import annotations

__version__ = "0.1.0"
