from __future__ import annotations

import os
import uuid

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.config import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    # Explicit settings: a developer's OPENAI_API_KEY must never leak into the tests.
    return Settings(engine="offline", db_path=str(tmp_path / "realise.db"), log_format="json")


@pytest.fixture
def client(settings):
    with TestClient(app=create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def postgres_server():
    """One throwaway PostgreSQL server for the session (tests/support/postgres.py); each test
    that needs a database takes a fresh one from :func:`postgres_url`."""
    from tests.support.postgres import SKIP_REASON, binaries, postgres_server

    if binaries() is None:
        if os.environ.get("CI"):
            pytest.fail(f"{SKIP_REASON} (.ci/run installs it; CI must not skip these tests)")
        pytest.skip(SKIP_REASON)
    with postgres_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """The URL of a new, empty database on the session's server."""
    return postgres_server.create_database(f"test_{uuid.uuid4().hex[:12]}")
