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
from typing import TYPE_CHECKING

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).parent
# The newest version: what every open checks a database against. Alembic itself is imported only
# when a database is behind (most opens find it current and need none of it);
# tests/test_migrations.py checks this against the newest file in versions/.
HEAD = "0004"
log = structlog.get_logger("realise.database")


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest version, as Alembic reads it from versions/."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    """The version a database is at (None: new, or from before Alembic)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(connection: Connection) -> None:
    """Bring the database to the newest version, inside the caller's transaction."""
    before = current(connection)
    if before != HEAD:
        from alembic import command

        command.upgrade(_config(connection), "head")
        log.info("database_migrated", from_version=before or "none", to_version=HEAD)
