"""Start-up safety checks: umask and defusedxml."""

from __future__ import annotations

import os

import pytest

from bulk_invite.errors import UsageError
from bulk_invite.hardening import harden, require_defusedxml


def test_defusedxml_is_required_and_present() -> None:
    require_defusedxml({})


def test_openpyxl_defusedxml_turned_off_is_refused() -> None:
    with pytest.raises(UsageError, match="OPENPYXL_DEFUSEDXML"):
        require_defusedxml({"OPENPYXL_DEFUSEDXML": "False"})


def test_harden_sets_owner_only_umask() -> None:
    old = os.umask(0o022)
    try:
        harden({})
        assert os.umask(0o022) == 0o077
    finally:
        os.umask(old)
