"""Keel's errors as the OpenAI SDK's exception classes."""

import openai
import pytest

from conftest import KEEL_BASE_URL
from fake_upstream import ANSWER_PIECES

MESSAGES = [{"role": "user", "content": "Say hello"}]


def test_wrong_key_is_an_authentication_error():
    with openai.OpenAI(base_url=f"{KEEL_BASE_URL}/v1", api_key="sk-not-the-right-key", max_retries=0) as client:
        with pytest.raises(openai.AuthenticationError) as e:
            client.chat.completions.create(model="gpt-fake", messages=MESSAGES)
    assert e.value.status_code == 401
    assert e.value.code == "invalid_api_key"
    assert e.value.response.headers["x-should-retry"] == "false"
    assert "sk-not-the-right-key" not in e.value.response.text


def test_unknown_model_is_not_found(oai):
    with pytest.raises(openai.NotFoundError) as e:
        oai.chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert e.value.status_code == 404
    assert e.value.code == "model_not_found"
    assert e.value.response.headers.get("x-request-id")


def test_malformed_request_is_a_bad_request(oai, upstream_requests):
    with pytest.raises(openai.BadRequestError) as e:
        oai.chat.completions.create(model="gpt-fake", messages=MESSAGES, extra_body={"stream": "yes"})
    assert e.value.status_code == 400
    assert e.value.param == "stream"
    assert e.value.type == "invalid_request_error"
    assert upstream_requests() == []


def test_request_the_target_cannot_express_is_a_bad_request(oai, upstream_requests):
    # Anthropic has no `n`: refused rather than silently changed.
    with pytest.raises(openai.BadRequestError) as e:
        oai.chat.completions.create(model="claude-fake", messages=MESSAGES, n=3)
    assert e.value.status_code == 400
    assert upstream_requests() == []


def test_upstream_bad_request_keeps_its_message(oai):
    with pytest.raises(openai.BadRequestError) as e:
        oai.chat.completions.create(model="gpt-400", messages=MESSAGES)
    assert e.value.status_code == 400
    assert "Invalid value for 'messages'" in e.value.message


def test_oversized_body_is_413(oai, upstream_requests):
    # run.sh sets server.max_body_bytes to 64 KiB.
    with pytest.raises(openai.APIStatusError) as e:
        oai.chat.completions.create(model="gpt-fake", messages=[{"role": "user", "content": "x" * 100_000}])
    assert e.value.status_code == 413
    assert isinstance(e.value.body, dict) and e.value.type
    assert upstream_requests() == []


def test_upstream_503_is_a_server_error(oai):
    with pytest.raises(openai.InternalServerError) as e:
        oai.chat.completions.create(model="gpt-503", messages=MESSAGES)
    assert e.value.status_code == 502
    assert e.value.response.headers["x-keel-route"] == "fake-openai/status-503"


def test_upstream_503_before_a_stream_is_a_server_error(oai):
    with pytest.raises(openai.InternalServerError) as e:
        oai.chat.completions.create(model="gpt-503", messages=MESSAGES, stream=True)
    assert e.value.status_code == 502


def test_upstream_429_is_a_rate_limit_error_with_retry_after(oai):
    with pytest.raises(openai.RateLimitError) as e:
        oai.chat.completions.create(model="gpt-429", messages=MESSAGES)
    assert e.value.status_code == 429
    assert e.value.response.headers["retry-after"] == "2"
    assert e.value.code == "rate_limit_exceeded"


def test_cut_stream_raises_after_the_text_received(oai):
    received = []
    with pytest.raises(openai.APIError) as e:
        for chunk in oai.chat.completions.create(model="gpt-cut", messages=MESSAGES, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert received == ANSWER_PIECES[:1]
    assert "ended" in e.value.message
