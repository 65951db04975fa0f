"""Serve the Django app with gunicorn, a production-grade WSGI server."""

from __future__ import annotations

import gc
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
        from goteo.web.ops.wsgi import application

        return application


def _settle(worker: Any) -> None:
    """Once a worker has loaded the app (and the views, which Django imports on the first
    request otherwise), move everything it holds out of the garbage collector's sight: the
    full collections that a busy request triggers then scan only what requests allocate, not
    Django's hundreds of thousands of long-lived objects."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    gc.collect()
    gc.freeze()


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
            "post_worker_init": _settle,
        }
    ).run()
