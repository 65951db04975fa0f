"""Settings for the test suite: a throw-away data folder, SQLite or PostgreSQL by GOTEO_TEST_DB."""

import os
import tempfile

os.environ["GOTEO_DATA_DIR"] = tempfile.mkdtemp(prefix="goteo-test-")
os.environ.setdefault("GOTEO_EMAIL_URL", "memory:")
os.environ.setdefault("GOTEO_SECRET_KEY", "goteo-test-secret")
os.environ.setdefault("GOTEO_FROM", "Goteo Tests <news@goteo.example.com>")
os.environ.setdefault("GOTEO_BASE_URL", "http://testserver")
os.environ.setdefault("GOTEO_API_KEY", "test-api-key")
os.environ.setdefault("GOTEO_POSTAL_ADDRESS", "Goteo Tests, 1 Example Street, Barcelona")
# The webhook receivers of the tests listen on loopback (test_webhook_ssrf.py empties this).
os.environ.setdefault("GOTEO_WEBHOOK_ALLOW", "127.0.0.1/32,::1/128")
if os.environ.get("GOTEO_TEST_DB") == "postgres":
    os.environ["GOTEO_DATABASE_URL"] = os.environ.get(
        "GOTEO_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/goteo"
    )
else:
    os.environ.pop("GOTEO_DATABASE_URL", None)

from goteo.settings import *  # noqa: F403
