"""Property: through the API, as on the web, whatever roles a user holds and whatever they ask or write, no
answer holds a household outside their areas (or, for a helper, outside their own pairs) and nothing outside
them changes. The oracle is the web property's (tests/test_web_access_property.py): worked out from the cast's
table and code prefixes, never through jingzhun.access."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jingzhun.plans.models import HelpPlan
from jingzhun.registry.models import Household, Member
from jingzhun.teams.models import Visit
from tests.api_support import api_for
from tests.test_web_access_property import AREAS, make_user, oracle, users
from tests.web_cast import HOUSEHOLDS, numbers_in

pytestmark = pytest.mark.django_db

asks = st.lists(st.one_of(
    st.tuples(st.just("list"), st.sampled_from(["", *AREAS])),
    st.tuples(st.just("detail"), st.sampled_from(list(HOUSEHOLDS))),
    st.tuples(st.just("search"), st.sampled_from(list(HOUSEHOLDS))),
    st.tuples(st.just("reveal"), st.sampled_from(list(HOUSEHOLDS))),
    st.tuples(st.just("visits"), st.sampled_from(list(HOUSEHOLDS))),
    st.tuples(st.just("visit"), st.sampled_from(list(HOUSEHOLDS))),
    st.tuples(st.just("plan"), st.sampled_from(list(HOUSEHOLDS))),
    st.tuples(st.just("dashboard"), st.sampled_from(AREAS)),
), min_size=1, max_size=6)


def ask(api, web, kind: str, target: str):  # noqa: ANN001, ANN201
    h = Household.objects.get(number=target) if target in HOUSEHOLDS else None
    if kind == "list":
        return api.get("/households", area=target, limit=200)
    if kind == "detail":
        return api.get(f"/households/{h.pk}")
    if kind == "search":
        return api.post("/households/search", {"resident_id": web.resident_id(target)})
    if kind == "reveal":
        return api.post(f"/members/{Member.objects.get(household=h, position=1).pk}/reveal")
    if kind == "visits":
        return api.get(f"/households/{h.pk}/visits")
    if kind == "visit":
        return api.post("/visits", {"household_number": target, "visited_at": "2024-05-06T09:30:00+08:00",
                                    "notes": "走访"})
    if kind == "plan":
        return api.client.put(f"/api/v1/households/{h.pk}/plans/2024", {"goal": "目标"},
                              content_type="application/json", headers=api.headers)
    return api.get("/dashboard", area=target)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(who=users, requests=asks)
def test_no_api_answer_holds_or_changes_a_household_outside_the_users_scope(web, who, requests):
    roles, paired, reveal = who
    user = make_user(roles, paired, reveal)
    allowed = oracle(roles, paired)
    outside = set(HOUSEHOLDS) - allowed
    outside_ids = {r["resident_id"] for n in outside for r in web.rows[n]}
    api = api_for(user, "read", "write", "reveal")
    for kind, target in requests:
        response = ask(api, web, kind, target)
        body = response.content.decode()
        if kind in ("detail", "reveal", "visits", "plan") and target in outside:
            assert response.status_code in (403, 404), (kind, target, response.status_code)
        if kind in ("visit", "plan") and target in outside:
            assert not Visit.objects.filter(household__number=target).exists()
            assert not HelpPlan.objects.filter(household__number=target, drafted_by=user).exists()
        assert response.status_code < 500, (kind, target, body)
        # A refused write names the household asked for (the user's own input), nothing else outside.
        shown = numbers_in(body) - ({target} if kind == "visit" else set())
        assert not (shown & outside), (kind, target, shown & outside)
        assert not any(rid in body for rid in outside_ids), (kind, target)
