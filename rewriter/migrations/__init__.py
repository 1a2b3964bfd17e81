"""The schema's versions, as Alembic migrations: ``versions/`` holds one file per change.

:func:`upgrade` runs on every open (rewriter/database.py), so a database is always at the
newest version its code expects. Databases from before Alembic (SQLite files whose version was
in ``PRAGMA user_version``: 0, 1 or 2) have no ``alembic_version`` table; the first migrations
create only what such a file lacks, so they upgrade in place with nothing lost.

A new change: ``alembic -c rewriter/migrations/alembic.ini revision -m "what changes"``, then
write its ``upgrade()`` for SQLite and PostgreSQL both (tests/test_migrations.py runs every
version on both).
"""

from __future__ import annotations

from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

HERE = Path(__file__).parent
log = structlog.get_logger("realise.database")


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest version."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    """The version a database is at (None: new, or from before Alembic)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> None:
    """Bring the database to the newest version, inside the caller's transaction."""
    before, newest = current(connection), head()
    if before != newest:
        command.upgrade(_config(connection), "head")
        log.info("database_migrated", from_version=before or "none", to_version=newest)
