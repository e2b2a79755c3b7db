"""Schemathesis over the whole published schema, in process through the WSGI application (no network): every
operation with at least 100 generated requests, then the stateful run that follows the schema's links. Not
one answer may be a server error or break the schema (status, content type, body).

The caller is an unrestricted user with every scope (so every operation reaches its code), over the web
cast's register; the rate limit is lifted for the run."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from tests.api_support import token_for

APP = get_wsgi_application()
SCHEMA = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)
CHECKS = [checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance]
EXAMPLES = 100


@pytest.fixture
def bearer(web):
    # As Django's test client does: the WSGI handler must not close the test's database connection (which
    # holds the test's transaction) at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with override_settings(API_RATE_PER_MINUTE=10**9):
            yield {"Authorization": f"Bearer {token_for(web.users['root'], ('read', 'write', 'reveal'))}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_every_operation_answers_within_its_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)


@pytest.mark.django_db
def test_stateful_walks_along_the_links_stay_within_the_schema(bearer):
    machine = SCHEMA.as_state_machine()

    class Walk(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case):  # noqa: ANN001, ANN201
            return {"headers": bearer}

        def validate_response(self, response, case, additional_checks=(), **kwargs):  # noqa: ANN001, ANN201
            case.validate_response(response, checks=CHECKS)

    run_state_machine_as_test(Walk, settings=settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, stateful_step_count=6,
        suppress_health_check=list(HealthCheck)))
