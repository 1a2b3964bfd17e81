"""Batch errors. ``api/errors.py`` maps each to one HTTP status."""

from __future__ import annotations

from rewriter.errors import RealiseError


class BatchNotFound(RealiseError):
    """No batch has this id."""


class BatchConflict(RealiseError):
    """The batch is in a state where the asked-for change makes no sense (retrying a running batch)."""


class BatchInputError(RealiseError):
    """The submitted backlog cannot be read as items; ``field`` names the row, column or header."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnsupportedFormat(BatchInputError):
    """Not a format we read (a spreadsheet workbook, a PDF, binary data)."""


class BatchTooLarge(BatchInputError):
    """More items than one batch may hold."""
