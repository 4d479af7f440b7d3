class BackupError(Exception):
    """A backup or a restore cannot go on; the message says why and what to do (the management
    commands print it as it is)."""
