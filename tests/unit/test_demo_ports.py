"""``goteo demo`` on a port that something else holds: one line saying which, nothing started."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from goteo.cli import main


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("option", ["--port", "--smtp-port"])
def test_a_taken_port_is_refused_in_one_line_naming_the_option(option: str, tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        other = "--smtp-port" if option == "--port" else "--port"
        args = [option, str(taken), other, str(free_port()), "--data-dir", str(tmp_path / "demo")]
        result = CliRunner().invoke(main, ["demo", *args, "--for", "1"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"port {taken} on 127.0.0.1 is not free" in result.output
    assert f"choose another with {option}" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "demo").exists()  # refused before anything was made
