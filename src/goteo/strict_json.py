"""JSON request bodies read strictly, so that what is accepted can be stored on every database.

Refused (``JsonRefused``, naming where): a body that is not UTF-8 JSON; ``NaN`` and
``Infinity`` (not JSON numbers); nesting deeper than ``MAX_DEPTH``; text holding a lone
surrogate (``"\\ud800"``), which no database can store as UTF-8.

A NUL character (``"\\u0000"``), which PostgreSQL cannot store either, is left to the field
checks of each endpoint (``goteo.contacts.control_chars``): they name the field it is in, and
refuse only the one item of a batch that holds it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 32


class JsonRefused(ValueError):
    """The body cannot be taken; the message says where and why."""


def _no_constant(name: str) -> Any:
    raise JsonRefused(f"body: {name} is not a JSON number")


def loads(body: bytes) -> Any:
    """The body as JSON, or JsonRefused."""
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise JsonRefused("body: not UTF-8") from None
    except RecursionError:
        raise JsonRefused("body: nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"body: not JSON ({exc.msg} at line {exc.lineno})") from None
    for path, text in _texts(document, "$", 0):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise JsonRefused(f"{path}: holds a lone surrogate") from None
    return document


def _texts(value: Any, path: str, depth: int) -> Iterator[tuple[str, str]]:
    if depth > MAX_DEPTH:
        raise JsonRefused(f"{path}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{path} (a key)", key
            yield from _texts(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]", depth + 1)
