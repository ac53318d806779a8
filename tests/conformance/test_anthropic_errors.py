"""Keel's errors as the Anthropic SDK's exception classes."""

import anthropic
import pytest

from conftest import KEEL_BASE_URL
from fake_upstream import ANSWER_PIECES

MESSAGES = [{"role": "user", "content": "Say hello"}]


def error_type(e):
    assert e.body["type"] == "error"
    return e.body["error"]["type"]


def test_wrong_key_is_an_authentication_error():
    with anthropic.Anthropic(base_url=KEEL_BASE_URL, api_key="sk-not-the-right-key", max_retries=0) as client:
        with pytest.raises(anthropic.AuthenticationError) as e:
            client.messages.create(model="claude-fake", max_tokens=16, messages=MESSAGES)
    assert e.value.status_code == 401
    assert error_type(e.value) == "authentication_error"
    assert "sk-not-the-right-key" not in e.value.response.text


def test_unknown_model_is_not_found(claude):
    with pytest.raises(anthropic.NotFoundError) as e:
        claude.messages.create(model="no-such-model", max_tokens=16, messages=MESSAGES)
    assert e.value.status_code == 404
    assert error_type(e.value) == "not_found_error"
    assert e.value.response.headers.get("x-request-id")


def test_malformed_request_is_a_bad_request(claude, upstream_requests):
    with pytest.raises(anthropic.BadRequestError) as e:
        claude.messages.create(model="claude-fake", max_tokens=16, messages=MESSAGES, extra_body={"stream": "yes"})
    assert e.value.status_code == 400
    assert error_type(e.value) == "invalid_request_error"
    assert upstream_requests() == []


def test_upstream_bad_request_keeps_its_message(claude):
    with pytest.raises(anthropic.BadRequestError) as e:
        claude.messages.create(model="claude-400", max_tokens=16, messages=MESSAGES)
    assert error_type(e.value) == "invalid_request_error"
    assert "at least one message is required" in e.value.message


def test_oversized_body_is_413(claude):
    with pytest.raises(anthropic.APIStatusError) as e:
        claude.messages.create(model="claude-fake", max_tokens=16, messages=[{"role": "user", "content": "x" * 100_000}])
    assert e.value.status_code == 413
    assert error_type(e.value) == "request_too_large"


def test_upstream_503_is_a_server_error(claude):
    with pytest.raises(anthropic.InternalServerError) as e:
        claude.messages.create(model="claude-503", max_tokens=16, messages=MESSAGES)
    assert e.value.status_code == 502
    assert e.value.body["type"] == "error"


def test_upstream_overloaded_is_an_overloaded_error(claude):
    with pytest.raises(anthropic.OverloadedError) as e:
        claude.messages.create(model="claude-529", max_tokens=16, messages=MESSAGES)
    assert e.value.status_code == 529
    assert error_type(e.value) == "overloaded_error"


def test_upstream_429_is_a_rate_limit_error(claude):
    with pytest.raises(anthropic.RateLimitError) as e:
        claude.messages.create(model="claude-429", max_tokens=16, messages=MESSAGES)
    assert error_type(e.value) == "rate_limit_error"
    assert e.value.response.headers["retry-after"] == "2"


def test_cut_stream_raises_after_the_text_received(claude):
    received = []
    with pytest.raises(anthropic.APIStatusError) as e:
        with claude.messages.stream(model="claude-cut", max_tokens=16, messages=MESSAGES) as stream:
            for text in stream.text_stream:
                received.append(text)
    assert received == ANSWER_PIECES[:1]
    assert e.value.body["type"] == "error"
    assert "ended" in e.value.body["error"]["message"]
