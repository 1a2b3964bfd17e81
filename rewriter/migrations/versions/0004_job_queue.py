"""PostgreSQL only: the job queue's tables (Procrastinate) and the provider's global limit.

Revision ID: 0004
Revises: 0003

With a database URL, batch items are Procrastinate jobs (rewriter/batch/jobs.py); its schema is
created here, at the version of Procrastinate installed when the database was created. A later
Procrastinate release that changes its schema ships SQL migrations
(``procrastinate.schema.SchemaManager.get_migrations_path()``): each becomes a revision here.

``model_call_limit`` and ``model_call_slots`` are the limit every worker on every machine shares
(rewriter/batch/global_limit.py): one row per limit (its ceiling and its current AIMD value),
one row per model call in flight, held by the database session of the worker that made it,
so a slot whose worker died is free as soon as its session has gone.
A SQLite file has one runner, whose limit lives in its memory: nothing to create there.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Procrastinate finds the next job by asking, for each candidate, whether a job with the same
# lock is running or queued before it; its own indexes answer the second question by scanning,
# so with thousands of queued item jobs (each with a lock: rewriter/batch/jobs.py) every fetch
# read the whole queue. This index makes it a look-up.
_LOCK_INDEX = """
CREATE INDEX realise_jobs_by_lock ON procrastinate_jobs (lock, status, priority, id)
    WHERE lock IS NOT NULL AND status IN ('todo', 'doing');
"""

_LIMIT = """
CREATE TABLE model_call_limit (
    name TEXT PRIMARY KEY,
    ceiling INTEGER NOT NULL CHECK (ceiling >= 1),
    current DOUBLE PRECISION NOT NULL,
    hold_until DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE TABLE model_call_slots (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL REFERENCES model_call_limit (name),
    holder INTEGER NOT NULL  -- pg_backend_pid() of the worker's session that holds it
);
CREATE INDEX model_call_slots_by_name ON model_call_slots (name);

-- A slot, if fewer than the current limit are taken: its id, else NULL. The limit's row lock
-- makes takers queue, and each statement below sees what those before it committed, so the
-- count is never stale. Slots whose session has gone (a killed worker) are freed first.
CREATE FUNCTION realise_take_model_slot(limit_name TEXT, holder_pid INTEGER) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    allowed INTEGER;
    taken INTEGER;
    slot BIGINT;
BEGIN
    SELECT GREATEST(1, FLOOR(current))::INTEGER INTO allowed FROM model_call_limit WHERE name = limit_name FOR UPDATE;
    IF allowed IS NULL THEN
        RAISE EXCEPTION 'no model call limit named %', limit_name;
    END IF;
    SELECT COUNT(*) INTO taken FROM model_call_slots WHERE name = limit_name;
    IF taken >= allowed THEN
        DELETE FROM model_call_slots s WHERE s.name = limit_name
            AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = s.holder);
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        SELECT COUNT(*) INTO taken FROM model_call_slots WHERE name = limit_name;
        IF taken >= allowed THEN
            RETURN NULL;
        END IF;
    END IF;
    INSERT INTO model_call_slots (name, holder) VALUES (limit_name, holder_pid) RETURNING id INTO slot;
    RETURN slot;
END
$$;

-- Give a slot back; a successful call also raises the limit by 1/limit (additive increase).
-- Waiting takers on any machine hear of it on the channel realise_model_slots.
CREATE FUNCTION realise_give_model_slot(slot BIGINT, succeeded BOOLEAN) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
    limit_name TEXT;
BEGIN
    DELETE FROM model_call_slots WHERE id = slot RETURNING name INTO limit_name;
    IF limit_name IS NULL THEN
        RETURN;
    END IF;
    IF succeeded THEN
        UPDATE model_call_limit SET current = LEAST(ceiling, current + 1.0 / GREATEST(current, 1))
            WHERE name = limit_name AND current < ceiling;
    END IF;
    PERFORM pg_notify('realise_model_slots', limit_name);
END
$$;
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager  # here: a SQLite file never needs the queue

    driver = bind.connection.driver_connection
    # Executed as it is, without parameters: the scripts contain % signs and several statements.
    driver.execute(SchemaManager.get_schema())  # type: ignore[union-attr]
    driver.execute(_LOCK_INDEX)  # type: ignore[union-attr]
    driver.execute(_LIMIT)  # type: ignore[union-attr]
