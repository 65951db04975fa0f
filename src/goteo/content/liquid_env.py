"""The Liquid environments every campaign template is parsed and rendered with.

Templates are written by marketers and rendered for every contact, so the environment is
strict and bounded:

- printing a missing value prints nothing, or, for a campaign with ``strict: true``, raises
  unless it goes through ``default`` (``{{ contact.attributes.plan | default: "free" }}``);
  a test on a missing value (``{% if contact.attributes.vip %}``) is false and a loop over one
  runs zero times, so optional attributes stay usable;
- there is no ``include`` or ``render`` tag (templates cannot read other files);
- loops, output size and context depth are capped, so one template cannot stall a worker.

Two environments share these rules: one for HTML, which escapes every value it prints
(a contact's name is data, never markup), and one for plain text (subject, preheader, text).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from liquid import Environment, StrictUndefined, Undefined

# Tags that load other templates: campaigns are self-contained documents.
_LOADING_TAGS = ("include", "render")


class GoteoUndefined(StrictUndefined):
    """Raises when printed or used as a value; falsy in tests; gives way to ``default``."""

    force_liquid_default = True
    allowed_properties = frozenset(
        (
            *StrictUndefined.allowed_properties,
            *("__bool__", "__eq__", "__iter__", "__len__", "items", "__liquid__", "__class__"),
        )
    )

    def __bool__(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return other is False or other is None

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    __hash__ = StrictUndefined.__hash__


class GoteoEnvironment(Environment):
    """A sandboxed Liquid environment: no file access, bounded loops and output."""

    loop_iteration_limit: ClassVar[int | None] = 10_000
    output_stream_limit: ClassVar[int | None] = 2_000_000
    local_namespace_limit: ClassVar[int | None] = 1_000_000
    context_depth_limit: ClassVar[int] = 20

    def setup_tags_and_filters(self, *, extra: bool = False) -> None:
        super().setup_tags_and_filters(extra=extra)
        for name in _LOADING_TAGS:
            self.tags.pop(name, None)


def _make(*, autoescape: bool, strict: bool = True) -> GoteoEnvironment:
    undefined = GoteoUndefined if strict else Undefined
    return GoteoEnvironment(undefined=undefined, autoescape=autoescape, strict_filters=True)


#: For the HTML body: every printed value is HTML-escaped.
HTML_ENV = _make(autoescape=True)
#: For subject, preheader and text body: values are printed as they are.
TEXT_ENV = _make(autoescape=False)
#: The same for campaigns that are not strict: a missing value prints as nothing.
HTML_LENIENT_ENV = _make(autoescape=True, strict=False)
TEXT_LENIENT_ENV = _make(autoescape=False, strict=False)


def environment_for(field: str, *, strict: bool = True) -> GoteoEnvironment:
    """The environment for one template field: ``html`` is escaped, the others are not;
    ``strict``, a missing value raises when printed, else it prints as nothing."""
    if strict:
        return HTML_ENV if field == "html" else TEXT_ENV
    return HTML_LENIENT_ENV if field == "html" else TEXT_LENIENT_ENV
