"""Batch rewriting of whole backlogs: formats, a crash-safe SQLite store, a runner, exports."""
