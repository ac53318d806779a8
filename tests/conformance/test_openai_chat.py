"""The OpenAI SDK's chat completions against an OpenAI-kind upstream (passthrough)."""

from fake_upstream import ANSWER, ANSWER_PIECES, OPENAI_USAGE

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}]


def assert_openai_usage(usage):
    assert usage.prompt_tokens == OPENAI_USAGE["prompt_tokens"]
    assert usage.completion_tokens == OPENAI_USAGE["completion_tokens"]
    assert usage.total_tokens == OPENAI_USAGE["total_tokens"]
    assert usage.prompt_tokens_details.cached_tokens == OPENAI_USAGE["cached_tokens"]


def test_non_streamed_completion(oai, upstream_requests):
    completion = oai.chat.completions.create(model="gpt-fake", messages=MESSAGES, temperature=0.2, seed=7)
    assert completion.object == "chat.completion"
    # Passthrough: the provider's answer comes back as it was sent, with the upstream's model name.
    assert completion.model == "gpt-4o-mini-2024-07-18"
    assert len(completion.choices) == 1
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == ANSWER
    assert choice.message.tool_calls is None
    assert choice.finish_reason == "stop"
    assert_openai_usage(completion.usage)
    sent = upstream_requests()
    assert [r["path"] for r in sent] == ["/v1/chat/completions"]
    assert sent[0]["body"]["model"] == "gpt-4o-mini-2024-07-18"
    assert sent[0]["body"]["messages"] == MESSAGES
    assert sent[0]["body"]["temperature"] == 0.2 and sent[0]["body"]["seed"] == 7


def test_raw_response_carries_request_id_and_route(oai):
    raw = oai.chat.completions.with_raw_response.create(model="gpt-fake", messages=MESSAGES)
    assert raw.status_code == 200
    assert raw.headers.get("x-request-id")
    assert raw.headers["x-keel-route"] == "fake-openai/gpt-4o-mini-2024-07-18"
    assert raw.parse().choices[0].message.content == ANSWER


def test_streaming_with_usage_in_the_final_chunk(oai, upstream_requests):
    stream = oai.chat.completions.create(
        model="gpt-fake", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert pieces == ANSWER_PIECES
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    # The usage chunk comes last, with no choices; no other chunk carries usage.
    final = chunks[-1]
    assert final.choices == []
    assert_openai_usage(final.usage)
    assert all(c.usage is None for c in chunks[:-1])
    assert upstream_requests()[0]["body"]["stream_options"] == {"include_usage": True}


def test_streaming_without_usage_has_no_usage_chunk(oai, upstream_requests):
    chunks = list(oai.chat.completions.create(model="gpt-fake", messages=MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == ANSWER
    assert all(len(c.choices) == 1 for c in chunks)
    assert all(c.usage is None for c in chunks)
    # Keel still asks the upstream for usage, to record it.
    assert upstream_requests()[0]["body"]["stream_options"] == {"include_usage": True}


def test_stream_helper_assembles_the_completion(oai):
    with oai.chat.completions.stream(
        model="gpt-fake", messages=MESSAGES, stream_options={"include_usage": True}
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "content.delta" and e.delta]
        final = stream.get_final_completion()
    assert deltas == ANSWER_PIECES
    assert final.choices[0].message.content == ANSWER
    assert final.choices[0].finish_reason == "stop"
    assert_openai_usage(final.usage)


def test_streaming_raw_response_carries_request_id(oai):
    raw = oai.chat.completions.with_raw_response.create(model="gpt-fake", messages=MESSAGES, stream=True)
    assert raw.headers.get("x-request-id")
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert "".join(c.choices[0].delta.content or "" for c in raw.parse()) == ANSWER
