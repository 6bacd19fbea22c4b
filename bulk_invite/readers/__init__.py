"""Format-specific readers behind ``bulk_invite.load.open_table``: sniffing, text, workbooks."""
