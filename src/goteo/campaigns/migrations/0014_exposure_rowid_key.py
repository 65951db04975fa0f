"""On SQLite, the exposure ledger's key without ``AUTOINCREMENT``.

Django declares every SQLite key ``integer PRIMARY KEY AUTOINCREMENT``, which makes each insert
also write the table's row in ``sqlite_sequence``: one more B-tree page for every message sent.
The ledger never needs a key that is not reused after a delete (nothing refers to an exposure
by its id), so its table is rebuilt with a plain ``integer PRIMARY KEY`` (SQLite's rowid, the
next one being the largest plus one). PostgreSQL is left as it is. A later Django migration
that rebuilds this table on SQLite brings ``AUTOINCREMENT`` back: it would have to do this again.
"""

from typing import Any

from django.db import migrations

TABLE = "goteo_exposure"


def _rebuild(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [TABLE])
        (ddl,) = cursor.fetchone()
        if "AUTOINCREMENT" not in ddl:
            return
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL",
            [TABLE],
        )
        indexes = [row[0] for row in cursor.fetchall()]
        new = f"{TABLE}__rowid"
        cursor.execute(ddl.replace(f'"{TABLE}"', f'"{new}"', 1).replace(" AUTOINCREMENT", "", 1))
        cursor.execute(f'INSERT INTO "{new}" SELECT * FROM "{TABLE}"')
        cursor.execute(f'DROP TABLE "{TABLE}"')
        cursor.execute(f'ALTER TABLE "{new}" RENAME TO "{TABLE}"')
        for sql in indexes:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0013_campaign_test_seeds"),
    ]

    operations = [migrations.RunPython(_rebuild, migrations.RunPython.noop, elidable=False)]
