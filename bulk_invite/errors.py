"""The one exception tree of bulk-invite.

Exceptions abort a whole run; a bad row is never an exception (it is an ``Issue`` or an outcome).

    BulkInviteError                 base: the CLI maps every subclass to an exit code
    ├── UsageError                  bad options or settings (exit 2)
    ├── InputFileError              the input file cannot be read as a patient list (exit 2)
    │   └── MissingColumnsError     required columns absent
    ├── SecretError                 the API key is missing or unsafely stored (exit 2)
    ├── JournalLockedError          another run holds the journal (exit 2)
    └── OutputError                 the results could not be written (exit 2)

A run that stops early (account error, API down, a long Retry-After, a signal) is not an
exception: it returns its summary with exit code 3 or 130, and its results are written.

Messages never contain patient data or the API key: they name files, columns and fields.
"""

from __future__ import annotations


class BulkInviteError(Exception):
    """Base of every error bulk-invite raises on purpose."""

    exit_code = 2


class UsageError(BulkInviteError):
    """The options or settings given cannot work together."""


class InputFileError(BulkInviteError):
    """The input file cannot be read as a patient list."""


class MissingColumnsError(InputFileError):
    """The input lacks one or more required columns."""


class SecretError(BulkInviteError):
    """The API key is missing, empty or stored where others can read it."""


class JournalLockedError(BulkInviteError):
    """Another run is using the same journal."""


class OutputError(BulkInviteError):
    """The results workbook or summary could not be written."""
