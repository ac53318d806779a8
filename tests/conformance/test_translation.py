"""Cross directions: the OpenAI SDK to an Anthropic-kind upstream, the Anthropic SDK to an
OpenAI-kind upstream. Keel translates requests, answers, streams and tool calls."""

import json

import anthropic
import openai
import pytest

from fake_upstream import (
    ANSWER, ANSWER_PIECES, ANTHROPIC_TOOL_USE_IDS, ANTHROPIC_TOOLS, ANTHROPIC_USAGE, OPENAI_TOOL_CALL_IDS,
    OPENAI_TOOLS, OPENAI_USAGE, TOOL_ARGUMENTS, WEATHER_SCHEMA,
)

MESSAGES = [{"role": "user", "content": "What is the weather in Paris?"}]

# Anthropic usage as OpenAI reports it: prompt tokens include cache reads and writes.
ANTHROPIC_AS_OPENAI_PROMPT = (
    ANTHROPIC_USAGE["input_tokens"] + ANTHROPIC_USAGE["cache_read_input_tokens"] + ANTHROPIC_USAGE["cache_creation_input_tokens"]
)
# OpenAI usage as Anthropic reports it: input tokens exclude the cached ones.
OPENAI_AS_ANTHROPIC_INPUT = OPENAI_USAGE["prompt_tokens"] - OPENAI_USAGE["cached_tokens"]


# --- OpenAI SDK -> Anthropic upstream -------------------------------------------------------------

def test_openai_sdk_to_anthropic_text(oai, upstream_requests):
    completion = oai.chat.completions.create(
        model="claude-fake", messages=[{"role": "system", "content": "Be brief."}] + MESSAGES, max_tokens=100
    )
    assert completion.object == "chat.completion"
    assert completion.model == "claude-fake"
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == ANTHROPIC_AS_OPENAI_PROMPT
    assert completion.usage.completion_tokens == ANTHROPIC_USAGE["output_tokens"]
    assert completion.usage.total_tokens == ANTHROPIC_AS_OPENAI_PROMPT + ANTHROPIC_USAGE["output_tokens"]
    assert completion.usage.prompt_tokens_details.cached_tokens == ANTHROPIC_USAGE["cache_read_input_tokens"]
    sent = upstream_requests()
    assert [r["path"] for r in sent] == ["/v1/messages"]
    body = sent[0]["body"]
    assert body["model"] == "claude-3-5-haiku-20241022"
    assert body["max_tokens"] == 100
    assert body["messages"] == [{"role": "user", "content": MESSAGES[0]["content"]}] or body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": MESSAGES[0]["content"]}]}
    ]
    system = body["system"]
    assert system == "Be brief." or [b["text"] for b in system] == ["Be brief."]


def test_openai_sdk_to_anthropic_streaming_with_usage(oai):
    chunks = list(oai.chat.completions.create(
        model="claude-fake", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    ))
    assert [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content] == ANSWER_PIECES
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    final = chunks[-1]
    assert final.choices == []
    assert final.usage.prompt_tokens == ANTHROPIC_AS_OPENAI_PROMPT
    assert final.usage.completion_tokens == ANTHROPIC_USAGE["output_tokens"]
    assert final.usage.prompt_tokens_details.cached_tokens == ANTHROPIC_USAGE["cache_read_input_tokens"]
    assert all(c.usage is None for c in chunks[:-1])


def test_openai_sdk_to_anthropic_streamed_tool_calls(oai, upstream_requests):
    with oai.chat.completions.stream(model="claude-two-tools", messages=MESSAGES, tools=OPENAI_TOOLS, max_tokens=256) as stream:
        events = list(stream)
        final = stream.get_final_completion()
    done = [e for e in events if e.type == "tool_calls.function.arguments.done"]
    assert [(e.index, e.name, json.loads(e.arguments)) for e in done] == [
        (0, "get_weather", TOOL_ARGUMENTS[0]), (1, "get_time", TOOL_ARGUMENTS[1])
    ]
    assert len([e for e in events if e.type == "tool_calls.function.arguments.delta"]) > 2
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in choice.message.tool_calls] == [
        (ANTHROPIC_TOOL_USE_IDS[0], "get_weather", TOOL_ARGUMENTS[0]),
        (ANTHROPIC_TOOL_USE_IDS[1], "get_time", TOOL_ARGUMENTS[1]),
    ]
    tools = upstream_requests()[0]["body"]["tools"]
    assert [(t["name"], t["input_schema"]) for t in tools] == [("get_weather", WEATHER_SCHEMA), ("get_time", WEATHER_SCHEMA)]


def test_openai_sdk_to_anthropic_non_streamed_tool_call(oai):
    completion = oai.chat.completions.create(model="claude-fake", messages=MESSAGES, tools=OPENAI_TOOLS, max_tokens=256)
    calls = completion.choices[0].message.tool_calls
    assert completion.choices[0].finish_reason == "tool_calls"
    assert [(c.id, c.type, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        (ANTHROPIC_TOOL_USE_IDS[0], "function", "get_weather", TOOL_ARGUMENTS[0])
    ]


def test_openai_sdk_tool_results_reach_anthropic(oai, upstream_requests):
    messages = MESSAGES + [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": ANTHROPIC_TOOL_USE_IDS[0], "type": "function",
             "function": {"name": "get_weather", "arguments": json.dumps(TOOL_ARGUMENTS[0])}}]},
        {"role": "tool", "tool_call_id": ANTHROPIC_TOOL_USE_IDS[0], "content": "18°C, sunny"},
    ]
    completion = oai.chat.completions.create(model="claude-fake", messages=messages, tools=OPENAI_TOOLS, max_tokens=256)
    assert completion.choices[0].message.content == ANSWER
    sent = upstream_requests()[0]["body"]["messages"]
    assert sent[1]["role"] == "assistant"
    assert [(b["type"], b["id"], b["name"], b["input"]) for b in sent[1]["content"]] == [
        ("tool_use", ANTHROPIC_TOOL_USE_IDS[0], "get_weather", TOOL_ARGUMENTS[0])
    ]
    assert sent[2]["role"] == "user"
    result = sent[2]["content"][0]
    assert (result["type"], result["tool_use_id"]) == ("tool_result", ANTHROPIC_TOOL_USE_IDS[0])
    content = result["content"]
    assert content == "18°C, sunny" or [b["text"] for b in content] == ["18°C, sunny"]


# --- Anthropic SDK -> OpenAI upstream -------------------------------------------------------------

def test_anthropic_sdk_to_openai_text(claude, upstream_requests):
    message = claude.messages.create(model="gpt-fake", max_tokens=100, system="Be brief.", messages=MESSAGES)
    assert message.type == "message"
    assert message.model == "gpt-fake"
    assert message.content[0].text == ANSWER
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == OPENAI_AS_ANTHROPIC_INPUT
    assert message.usage.cache_read_input_tokens == OPENAI_USAGE["cached_tokens"]
    assert message.usage.output_tokens == OPENAI_USAGE["completion_tokens"]
    sent = upstream_requests()
    assert [r["path"] for r in sent] == ["/v1/chat/completions"]
    body = sent[0]["body"]
    assert body["model"] == "gpt-4o-mini-2024-07-18"
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["messages"][1]["role"] == "user"


def test_anthropic_sdk_to_openai_streaming(claude, upstream_requests):
    with claude.messages.stream(model="gpt-fake", max_tokens=100, messages=MESSAGES) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert pieces == ANSWER_PIECES
    assert final.content[0].text == ANSWER
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == OPENAI_USAGE["completion_tokens"]
    assert final.usage.input_tokens == OPENAI_AS_ANTHROPIC_INPUT
    assert final.usage.cache_read_input_tokens == OPENAI_USAGE["cached_tokens"]
    assert upstream_requests()[0]["body"]["stream_options"] == {"include_usage": True}


def test_anthropic_sdk_to_openai_streamed_tool_use(claude, upstream_requests):
    with claude.messages.stream(model="gpt-two-tools", max_tokens=256, messages=MESSAGES, tools=ANTHROPIC_TOOLS) as stream:
        events = list(stream)
        final = stream.get_final_message()
    assert len([e for e in events if e.type == "input_json" and e.partial_json]) > 2
    assert final.stop_reason == "tool_use"
    assert [(b.type, b.id, b.name, b.input) for b in final.content] == [
        ("tool_use", OPENAI_TOOL_CALL_IDS[0], "get_weather", TOOL_ARGUMENTS[0]),
        ("tool_use", OPENAI_TOOL_CALL_IDS[1], "get_time", TOOL_ARGUMENTS[1]),
    ]
    tools = upstream_requests()[0]["body"]["tools"]
    assert [(t["type"], t["function"]["name"], t["function"]["parameters"]) for t in tools] == [
        ("function", "get_weather", WEATHER_SCHEMA), ("function", "get_time", WEATHER_SCHEMA)
    ]


def test_anthropic_sdk_to_openai_non_streamed_tool_use(claude):
    message = claude.messages.create(model="gpt-fake", max_tokens=256, messages=MESSAGES, tools=ANTHROPIC_TOOLS)
    assert message.stop_reason == "tool_use"
    assert [(b.type, b.id, b.name, b.input) for b in message.content] == [
        ("tool_use", OPENAI_TOOL_CALL_IDS[0], "get_weather", TOOL_ARGUMENTS[0])
    ]


def test_anthropic_sdk_tool_results_reach_openai(claude, upstream_requests):
    messages = MESSAGES + [
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": OPENAI_TOOL_CALL_IDS[0], "name": "get_weather", "input": TOOL_ARGUMENTS[0]}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": OPENAI_TOOL_CALL_IDS[0], "content": "18°C, sunny"}]},
    ]
    message = claude.messages.create(model="gpt-fake", max_tokens=256, messages=messages, tools=ANTHROPIC_TOOLS)
    assert message.content[0].text == ANSWER
    sent = upstream_requests()[0]["body"]["messages"]
    call = sent[1]["tool_calls"][0]
    assert (sent[1]["role"], call["id"], call["function"]["name"], json.loads(call["function"]["arguments"])) == (
        "assistant", OPENAI_TOOL_CALL_IDS[0], "get_weather", TOOL_ARGUMENTS[0]
    )
    assert sent[2]["role"] == "tool" and sent[2]["tool_call_id"] == OPENAI_TOOL_CALL_IDS[0]
    content = sent[2]["content"]
    assert content == "18°C, sunny" or [p["text"] for p in content] == ["18°C, sunny"]


def test_cross_direction_errors_keep_the_client_shape(oai, claude):
    # An Anthropic upstream's 429 reaches an OpenAI client as an OpenAI rate-limit error …
    with pytest.raises(openai.RateLimitError) as e:
        oai.chat.completions.create(model="claude-429", messages=MESSAGES, max_tokens=16)
    assert e.value.status_code == 429
    assert "per-minute rate limit" in e.value.message
    # … and an OpenAI upstream's 429 reaches an Anthropic client in Anthropic's shape.
    with pytest.raises(anthropic.RateLimitError) as e2:
        claude.messages.create(model="gpt-429", max_tokens=16, messages=MESSAGES)
    assert e2.value.body["type"] == "error"
    assert e2.value.body["error"]["type"] == "rate_limit_error"
