"""``python -m bulk_invite``: the same as the ``bulk-invite`` command."""

from .cli import main

if __name__ == "__main__":
    main()
