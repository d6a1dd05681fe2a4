"""Fixtures of the serve tests that several files share."""

import pytest

from course_utils.serve import http as server

from fake_engine import KEY, QUICK, FakeEngine


@pytest.fixture(scope="module")
def fake():
    """A keyed server on FakeEngine (no model) with short read deadlines."""
    handle = server.start_server(FakeEngine(step_s=0.002), api_key=KEY, limits=QUICK)
    yield handle
    handle.stop()
