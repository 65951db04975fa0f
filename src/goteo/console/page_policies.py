"""The Content-Security-Policy of the pages that show messages or forms in a frame.

A frame given by ``srcdoc`` inherits its page's policy, so the policy covers the message
too, on top of the frame's ``sandbox`` (no ``allow-scripts``, no ``allow-same-origin``).
Styles and pictures load as a mail client would show them; nothing else does.
"""

from __future__ import annotations

from django.http import HttpResponse

_REST = (
    "object-src 'none'; base-uri 'none'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https: http:; frame-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
NO_SCRIPTS = f"default-src 'none'; script-src 'none'; {_REST}"
# A page whose own button needs the app's script file (the copy button), and nothing else.
OWN_SCRIPTS = f"default-src 'none'; script-src 'self'; {_REST}"


def framed(response: HttpResponse, policy: str = NO_SCRIPTS) -> HttpResponse:
    response["Content-Security-Policy"] = policy
    return response
