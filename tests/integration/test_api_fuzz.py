"""schemathesis against a real ``goteo serve``: every operation of ``GET /api/v1/openapi.json``
called with generated input, valid and invalid, with an API key of each scope.

No 5xx; every response has a documented status, content type and schema; an operation that
needs a key refuses a request without one; and the server's log holds no traceback.
``GOTEO_FUZZ_EXAMPLES`` sets the examples per operation (docs/security.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import given
from schemathesis import GenerationMode, checks
from tests.conftest import fresh_database, goteo_environment
from tests.integration.fuzzing import fuzz_settings
from tests.integration.procs import (
    ONE_SEND_CAMPAIGN,
    free_port,
    goteo,
    goteo_json,
    wait_until_healthy,
)

from goteo.contacts.api_scopes import SCOPES


@dataclass(frozen=True)
class Server:
    url: str
    keys: dict[str, str]  # scope -> a key holding only that scope
    log: Path  # the server's stderr: Django's log and gunicorn's


def _post_event(url: str, key: str, event: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{url}/api/v1/events",
        data=json.dumps(event).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``goteo serve`` over a database with a sent message, an event, a conversion and one
    API key per scope; its log at INFO goes to a file."""
    folder = tmp_path_factory.mktemp("api-fuzz")
    with fresh_database(folder) as database:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = goteo_environment(folder, database) | {
            "GOTEO_BASE_URL": url,
            "GOTEO_LOG_LEVEL": "INFO",
            "GOTEO_API_KEY": "",
        }
        goteo(env, "migrate")
        (folder / "blast.yaml").write_text(ONE_SEND_CAMPAIGN, encoding="utf-8")
        goteo(env, "campaign", "apply", str(folder / "blast.yaml"))
        goteo(env, "contacts", "add", "ana@example.com", "--subscribe", "news")
        goteo(env, "worker", "--until-idle")
        keys = {
            scope: goteo_json(env, "api-key", "create", "--name", scope, "--scope", scope)["key"]
            for scope in SCOPES
        }
        log = folder / "server.log"
        with log.open("w") as err, open(os.devnull, "w") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "goteo",
                    "serve",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                ],
                env=env,
                stdout=out,
                stderr=err,
            )
        try:
            wait_until_healthy(url, process)
            event = {"name": "purchase", "email": "ana@example.com"}
            _post_event(url, keys["events:write"], event | {"properties": {"value": 12.5}})
            yield Server(url, keys, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def operations(server: Server) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    # Query parameters an operation does not name are ignored, as in most HTTP APIs.
    schema.config.generation.update(allow_extra_parameters=False)
    # A URL over the server's 4 KB is refused too: 414, documented on every operation.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "414"]
    found = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(found) >= 10, found
    return found


# A request the schema allows may still be refused with 400 by a rule it does not express (an
# address whose domain cannot receive mail, a time zone name): every other check runs.
NOT_CHECKED = [checks.positive_data_acceptance]
# A batch of events is answered 200 with one result per item, an invalid item's errors among
# them (docs/events-api.md): an invalid item is refused there, not by the status.
PER_ITEM = {("POST", "/api/v1/events")}
FUZZ = fuzz_settings(15)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_documented(server: Server, mode: GenerationMode) -> None:
    """With the key of the operation's scope: valid input (positive) and invalid (negative)."""
    for operation in operations(server):
        scope = operation.definition.raw.get("x-goteo-scope")
        headers = {"Authorization": f"Bearer {server.keys[scope]}"} if scope else {}

        fuzz(operation, mode, headers)


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    excluded = list(NOT_CHECKED)
    if (operation.method.upper(), operation.path) in PER_ITEM:
        excluded.append(checks.negative_data_rejection)

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        case.call_and_validate(headers=headers, timeout=30, excluded_checks=excluded)

    call()


def test_the_server_log_of_the_fuzz_run_holds_no_traceback(server: Server) -> None:
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert "Not Found: /api/v1/" in log or "Bad Request: /api/v1/" in log  # it logs, at INFO
    assert "Traceback" not in log
    assert "Internal Server Error" not in log and "[ERROR]" not in log
