from __future__ import annotations

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
