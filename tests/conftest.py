"""Suite-wide fixtures: which database, fresh databases for subprocess tests, the environment."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Speed lives in the benchmarks: no per-example deadline, and no failure for slow data
# generation, so a loaded machine (or the suite's own parallel workers) cannot fail a property.
hypothesis_settings.register_profile(
    "goteo", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("goteo")

POSTGRES_ADMIN_URL = os.environ.get(
    "GOTEO_TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def on_postgres() -> bool:
    return os.environ.get("GOTEO_TEST_DB") == "postgres"


def pytest_configure(config: pytest.Config) -> None:
    if not on_postgres():
        return
    import psycopg

    try:
        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=5).close()
    except psycopg.Error as exc:
        reason = f"PostgreSQL is unreachable at {POSTGRES_ADMIN_URL}: {exc}".strip()
        if os.environ.get("CI") == "true":
            pytest.exit(f"FAILED: {reason} (required when CI=true)", returncode=1)
        pytest.exit(f"skipping the PostgreSQL run: {reason}", returncode=0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [item.nodeid for item in items if starts_processes(item) and not is_slow(item)]
    if unmarked:
        raise pytest.UsageError(
            "these tests start goteo processes (the goteo_env fixture) but are not marked"
            " @pytest.mark.slow, so `make test-fast` would run them: " + ", ".join(unmarked)
        )
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: run with GOTEO_TEST_DB=postgres")
    for item in items:
        if "postgres" in item.keywords and not on_postgres():
            item.add_marker(skip_pg)


def starts_processes(item: pytest.Item) -> bool:
    return "goteo_env" in getattr(item, "fixturenames", ())


def is_slow(item: pytest.Item) -> bool:
    return item.get_closest_marker("slow") is not None


@contextmanager
def fresh_database(folder: Path) -> Iterator[str]:
    """A fresh, empty database (an SQLite file in ``folder``, or a PostgreSQL database)."""
    if not on_postgres():
        yield f"sqlite:///{folder / 'goteo.sqlite3'}"
        return
    import psycopg

    name = f"goteo_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def goteo_environment(folder: Path, database_url: str) -> dict[str, str]:
    """Environment for a ``goteo`` subprocess: its own data folder and database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOTEO_")}
    env.update(
        GOTEO_DATA_DIR=str(folder / "data"),
        GOTEO_DATABASE_URL=database_url,
        GOTEO_SECRET_KEY="goteo-test-secret",
        GOTEO_FROM="Goteo Tests <news@goteo.example.com>",
        GOTEO_BASE_URL="http://127.0.0.1:9",
        GOTEO_EMAIL_URL="console:",
        GOTEO_POSTAL_ADDRESS="Goteo Tests, 1 Example Street, Barcelona",
        GOTEO_WEBHOOK_ALLOW="127.0.0.1/32,::1/128",
        DJANGO_SETTINGS_MODULE="goteo.settings",
    )
    return env


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for processes started by a test (SQLite file or PostgreSQL)."""
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def goteo_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """Environment for a ``goteo`` subprocess: its own data folder and database."""
    return goteo_environment(tmp_path, database_url)
