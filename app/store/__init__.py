"""Persistence: engines and migrations, the group-commit writer, prepared statements and the event log."""
