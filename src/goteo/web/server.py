"""Serve the Django app with gunicorn, a production-grade WSGI server."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from goteo.web.wsgi import application

        return application


def run_server(bind: str, workers: int) -> None:
    _Gunicorn(
        {
            "bind": bind,
            "workers": workers,
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": "warning",
            "timeout": 30,
            "graceful_timeout": 10,
        }
    ).run()
