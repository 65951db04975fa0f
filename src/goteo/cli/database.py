"""Whether the database is set up: what ``goteo migrate`` would apply, and the one-line error.

A command run before ``goteo migrate`` meets a missing table deep inside Django. Rather than
check before every command (most never need the check), the ``goteo`` group asks here when a
database error escapes a command: if migrations are missing, or the database cannot be
reached at all, that is said in one line; any other error is left to propagate.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

NOT_SET_UP = "the database is not set up: run `goteo migrate`"


def pending_migrations() -> list[tuple[str, str]]:
    """``(app, migration)`` for every migration ``goteo migrate`` would apply, in order."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [(migration.app_label, migration.name) for migration, _backwards in plan]


def database_label() -> str:
    """``the SQLite database /path/goteo.sqlite3`` or ``the PostgreSQL database goteo on host``."""
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"the SQLite database {config['NAME']}"
    where = f" on {config['HOST']}" if config.get("HOST") else ""
    return f"the PostgreSQL database {config['NAME']}{where}"


def unusable_reason() -> str | None:
    """Why commands cannot use the database (not set up, behind, unreachable), or None."""
    from django.db import DatabaseError, connection

    try:
        connection.close()  # a connection left in a failed transaction cannot be asked
        pending = pending_migrations()
    except DatabaseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"cannot use {database_label()}: {first}"
    if not pending:
        return None
    from django.db.migrations.recorder import MigrationRecorder

    if not MigrationRecorder(connection).applied_migrations():
        return NOT_SET_UP
    return f"the database needs {len(pending)} more migration(s): run `goteo migrate`"


def require_usable() -> None:
    """For long-running commands (worker, serve): refuse to start on an unusable database."""
    from django.db import connections

    from goteo.cli.output import fail

    reason = unusable_reason()
    # The check's connection must not outlive it: ``serve`` forks its web workers next, and
    # processes sharing one PostgreSQL connection garble each other's answers.
    connections.close_all()
    if reason is not None:
        fail(reason)


@contextmanager
def explained_database_errors() -> Iterator[None]:
    """A database error from a database that is not set up becomes that one-line error."""
    from django.db import DatabaseError

    from goteo.cli.output import fail

    try:
        yield
    except DatabaseError:
        reason = unusable_reason()
        if reason is None:
            raise
        fail(reason)
