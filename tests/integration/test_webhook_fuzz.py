"""Every provider webhook, fuzzed: mutated payloads, any JSON, any bytes, every content type, odd
signature timestamps (``nan``, ``inf``, huge), with correct and with forged credentials.

Never a 5xx. A forged request is refused with a 4xx and changes nothing; a request the server
refuses changes nothing either, whoever signed it. The log of the whole run holds no traceback.
``GOTEO_FUZZ_EXAMPLES`` sets the examples per provider and case (docs/security.md).
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from hypothesis import given
from tests.integration.bounce_helpers import campaign, sent_delivery, webhook_state
from tests.integration.fuzzing import Records, assert_no_traceback, fuzz_settings
from tests.integration.webhook_fuzz_requests import genuine, requests
from tests.integration.webhook_requests import (
    FORGED_RECIPIENT,
    RECIPIENT,
    Request,
    anymail_settings,
)

from goteo.channels.email.webhook_providers import PROVIDERS

FUZZ = fuzz_settings(50)


@pytest.fixture
def contacts() -> None:
    """Two contacts with one sent message each: what a forgery would like to suppress."""
    delivery = sent_delivery(RECIPIENT, campaign())
    sent_delivery(FORGED_RECIPIENT, delivery.campaign)


def post(request: Request) -> int:
    client = Client(raise_request_exception=False)
    response = client.generic(
        "POST", request.path, request.body, request.content_type, headers=request.headers
    )
    return int(response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("esp", sorted(PROVIDERS))
def test_forged_requests_are_refused_and_change_nothing(
    esp: str, contacts: None, log: Records
) -> None:
    @FUZZ
    @given(request=requests(esp, authentic=False))
    def forged(request: Request) -> None:
        before = webhook_state()
        status = post(request)
        assert 400 <= status < 500, (status, request)
        assert webhook_state() == before

    with override_settings(ANYMAIL=anymail_settings(), GOTEO_WEBHOOK_MAX_AGE=300):
        forged()
    assert_no_traceback(log)


@pytest.mark.django_db
@pytest.mark.parametrize("esp", sorted(PROVIDERS))
def test_authenticated_but_malformed_requests_never_fail_the_server(
    esp: str, contacts: None, log: Records
) -> None:
    """Signed with the right keys, so anything the body says may be taken; but a body the
    server refuses changes nothing, and no body makes it fail."""

    statuses: set[int] = set()

    @FUZZ
    @given(request=requests(esp, authentic=True))
    def signed(request: Request) -> None:
        before = webhook_state()
        status = post(request)
        statuses.add(status)
        assert status < 500, (status, request)
        if status >= 400:
            assert webhook_state() == before

    with override_settings(ANYMAIL=anymail_settings(), GOTEO_WEBHOOK_MAX_AGE=300):
        # The genuine payload first, so the parser is known to be reachable whatever the draw.
        statuses.add(post(genuine(esp)))
        signed()
    assert {200, 400} <= statuses, "the fuzz reached both the parser and the refusals"
    assert_no_traceback(log)
