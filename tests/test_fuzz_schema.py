"""Property-based fuzzing of every route against the app's own OpenAPI schema (schemathesis).

Bounded: a fixed seed, a fixed number of examples per operation (≥ 1,000 cases in all),
no shrinking deadline surprises. Every response must conform to the schema and none may be
a server error.
"""

from __future__ import annotations

import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig

from api.app import create_app
from api.config import Settings

DB = tempfile.NamedTemporaryFile(prefix="realise-fuzz-", suffix=".db", delete=False).name
APP = create_app(Settings(engine="offline", db_path=DB, rate_limit="0", log_level="WARNING"))
# A schema-violating body larger than an operation's limit is refused with 413, which the schema
# documents; schemathesis's default rejection codes lack it, so the test failed whenever the
# generator happened to produce such a body (which depends on incidental process state).
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}})
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", APP, config=CONFIG)
EXAMPLES_PER_OPERATION = 400
OPERATIONS = {f"{op.method.upper()} {op.path}" for op in (result.ok() for result in schema.get_all_operations())}
cases_run: list[str] = []


@pytest.fixture(scope="module")
def count_of_cases():
    """After every operation has been fuzzed: at least a thousand cases ran in all.

    Checked in the module's teardown, not by a later test, so it holds whatever order the
    tests run in; when only some operations were selected (``-k``) there is nothing to sum.
    """
    yield
    operations = set(cases_run)
    if operations >= OPERATIONS:
        assert len(cases_run) >= 1000, f"{len(cases_run)} cases over {len(operations)} operations"
        print(f"schemathesis: {len(cases_run)} cases, zero server errors")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,  # a fixed seed: the same cases every run
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_server_errors_and_responses_match_the_schema(case, count_of_cases):
    # Positive-data acceptance is left out: some rules span fields (a span inside its text,
    # min <= max) and JSON Schema cannot say so; such requests are rightly refused with 422.
    response = case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
    assert response.status_code < 500, response.text
    cases_run.append(f"{case.method.upper()} {case.path}")
