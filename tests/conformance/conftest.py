"""Fixtures shared by the conformance tests.

run.sh starts the fake upstream and `keel serve`, then passes their addresses in the environment:
KEEL_BASE_URL (Keel, no path), KEEL_API_KEY (Keel's master key) and FAKE_UPSTREAM_URL.
"""

import json
import os
import urllib.request

import anthropic
import openai
import pytest

KEEL_BASE_URL = os.environ.get("KEEL_BASE_URL", "")
KEEL_API_KEY = os.environ.get("KEEL_API_KEY", "")
FAKE_UPSTREAM_URL = os.environ.get("FAKE_UPSTREAM_URL", "")


def pytest_configure(config):
    if not KEEL_BASE_URL or not KEEL_API_KEY or not FAKE_UPSTREAM_URL:
        raise pytest.UsageError("run the suite with tests/conformance/run.sh (KEEL_BASE_URL, KEEL_API_KEY and FAKE_UPSTREAM_URL are not set)")


@pytest.fixture
def oai():
    """The OpenAI SDK pointed at Keel, without retries (5xx answers are tested as they come)."""
    with openai.OpenAI(base_url=f"{KEEL_BASE_URL}/v1", api_key=KEEL_API_KEY, max_retries=0, timeout=15) as client:
        yield client


@pytest.fixture
def claude():
    """The Anthropic SDK pointed at Keel, without retries."""
    with anthropic.Anthropic(base_url=KEEL_BASE_URL, api_key=KEEL_API_KEY, max_retries=0, timeout=15) as client:
        yield client


@pytest.fixture
def upstream_requests():
    """Returns the requests the fake upstream received since the test started (path and JSON body)."""
    def received():
        with urllib.request.urlopen(f"{FAKE_UPSTREAM_URL}/fake/requests", timeout=5) as r:
            return json.load(r)["data"]

    already = len(received())
    return lambda: received()[already:]
