"""A bounded schemathesis run: requests generated from the app's OpenAPI schema, sent with
every role's token (and none), must never get a 500.

Bounded on purpose (a few examples per operation, derandomized, so the same requests run
every time): the suite's budget is minutes. For a longer hunt run it with
``RESCITY_FUZZ_EXAMPLES=200`` (see docs/community/security.md).
"""

from __future__ import annotations

import os
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from tests.community.casework import World

EXAMPLES = int(os.environ.get("RESCITY_FUZZ_EXAMPLES", "3"))
ROLES = ("anonymous", "admin", "grid", "dept", "pma", "res", "vol", "analyst", "plain")
# Starting an assessment runs a background job on an uploaded or configured extract: its
# inputs are covered by tests/assess_maps; generated uploads would only start jobs.
SKIP = {("POST", "/api/assess/jobs")}


def test_no_generated_request_gets_a_server_error(world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        op = result.ok()
        if (op.method.upper(), op.path) in SKIP:
            continue

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(), who=st.sampled_from(ROLES))
        def run(case: Any, who: str) -> None:
            headers = {} if who == "anonymous" else dict(world.h[who])
            try:
                response = case.call(headers=headers)
            except Exception as exc:  # the app raised: a 500 for a real client
                failures.append(f"{who} {case.method} {case.formatted_path}: {exc!r}"[:300])
                return
            if response.status_code >= 500:
                failures.append(f"{who} {case.method} {case.formatted_path} "
                                f"{case.query} {str(case.body)[:80]}: {response.status_code} "
                                f"{response.text[:120]}")

        run()
    assert failures == [], "\n".join(failures[:30])


@pytest.fixture(autouse=True)
def _quiet_hypothesis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPOTHESIS_NO_PLUGINS", "1")
