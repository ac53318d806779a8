"""The Anthropic SDK's messages against an Anthropic-kind upstream (passthrough)."""

from fake_upstream import ANSWER, ANSWER_PIECES, ANTHROPIC_USAGE

MESSAGES = [{"role": "user", "content": "Say hello"}]


def assert_anthropic_usage(usage):
    assert usage.input_tokens == ANTHROPIC_USAGE["input_tokens"]
    assert usage.output_tokens == ANTHROPIC_USAGE["output_tokens"]
    assert usage.cache_read_input_tokens == ANTHROPIC_USAGE["cache_read_input_tokens"]
    assert usage.cache_creation_input_tokens == ANTHROPIC_USAGE["cache_creation_input_tokens"]


def test_non_streamed_message(claude, upstream_requests):
    message = claude.messages.create(model="claude-fake", max_tokens=64, system="Be brief.", messages=MESSAGES)
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.model == "claude-3-5-haiku-20241022"
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == ANSWER
    assert message.stop_reason == "end_turn"
    assert message.stop_sequence is None
    assert_anthropic_usage(message.usage)
    sent = upstream_requests()
    assert [r["path"] for r in sent] == ["/v1/messages"]
    assert sent[0]["body"] == {"max_tokens": 64, "messages": MESSAGES, "model": "claude-3-5-haiku-20241022", "system": "Be brief."}


def test_raw_response_carries_request_id_and_route(claude):
    raw = claude.messages.with_raw_response.create(model="claude-fake", max_tokens=64, messages=MESSAGES)
    assert raw.headers.get("x-request-id")
    assert raw.headers["x-keel-route"] == "fake-anthropic/claude-3-5-haiku-20241022"
    assert raw.parse().content[0].text == ANSWER


def test_stream_helper(claude):
    with claude.messages.stream(model="claude-fake", max_tokens=64, messages=MESSAGES) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert pieces == ANSWER_PIECES
    assert final.content[0].text == ANSWER
    assert final.stop_reason == "end_turn"
    assert_anthropic_usage(final.usage)


def test_raw_stream_events(claude):
    events = list(claude.messages.create(model="claude-fake", max_tokens=64, messages=MESSAGES, stream=True))
    assert [e.type for e in events] == [
        "message_start", "content_block_start",
        "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop",
    ]
    assert events[0].message.usage.input_tokens == ANTHROPIC_USAGE["input_tokens"]
    assert [e.delta.text for e in events if e.type == "content_block_delta"] == ANSWER_PIECES
    assert events[-2].delta.stop_reason == "end_turn"
    assert events[-2].usage.output_tokens == ANTHROPIC_USAGE["output_tokens"]
