"""Alembic's environment: the migrations run on the connection the caller opened, in its transaction."""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit(
        "realise migrates its database itself when it opens it; "
        "to upgrade one without starting the service, run `realise migrate`"
    )
context.configure(connection=connection)
context.run_migrations()
