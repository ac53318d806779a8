"""The OpenAI SDK's tool calls against an OpenAI-kind upstream, streamed and not."""

import json

from fake_upstream import ANSWER, FRAGMENT_LENGTH, OPENAI_TOOL_CALL_IDS, OPENAI_TOOLS, TOOL_ARGUMENTS

MESSAGES = [{"role": "user", "content": "What is the weather in Paris?"}]


def test_non_streamed_tool_call(oai, upstream_requests):
    completion = oai.chat.completions.create(model="gpt-fake", messages=MESSAGES, tools=OPENAI_TOOLS)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert len(choice.message.tool_calls) == 1
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.id == OPENAI_TOOL_CALL_IDS[0]
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == TOOL_ARGUMENTS[0]
    assert upstream_requests()[0]["body"]["tools"] == OPENAI_TOOLS


def test_two_tool_calls_in_one_turn(oai):
    completion = oai.chat.completions.create(model="gpt-two-tools", messages=MESSAGES, tools=OPENAI_TOOLS)
    calls = completion.choices[0].message.tool_calls
    assert [c.id for c in calls] == OPENAI_TOOL_CALL_IDS
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    assert [json.loads(c.function.arguments) for c in calls] == TOOL_ARGUMENTS
    assert completion.choices[0].finish_reason == "tool_calls"


def test_tool_choice_forces_a_tool_and_none_disables_tools(oai):
    forced = oai.chat.completions.create(
        model="gpt-fake", messages=MESSAGES, tools=OPENAI_TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )
    assert [c.function.name for c in forced.choices[0].message.tool_calls] == ["get_time"]
    plain = oai.chat.completions.create(model="gpt-fake", messages=MESSAGES, tools=OPENAI_TOOLS, tool_choice="none")
    assert plain.choices[0].message.content == ANSWER
    assert plain.choices[0].message.tool_calls is None


def test_streamed_tool_call_arguments_are_reassembled(oai):
    with oai.chat.completions.stream(model="gpt-fake", messages=MESSAGES, tools=OPENAI_TOOLS) as stream:
        events = list(stream)
        final = stream.get_final_completion()
    deltas = [e for e in events if e.type == "tool_calls.function.arguments.delta"]
    done = [e for e in events if e.type == "tool_calls.function.arguments.done"]
    # The arguments arrive in several fragments and are put back together by the SDK.
    expected_fragments = -(-len(json.dumps(TOOL_ARGUMENTS[0], separators=(",", ":"))) // FRAGMENT_LENGTH)
    assert len([d for d in deltas if d.arguments_delta]) == expected_fragments
    assert [(e.index, e.name, json.loads(e.arguments)) for e in done] == [(0, "get_weather", TOOL_ARGUMENTS[0])]
    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls] == [
        (OPENAI_TOOL_CALL_IDS[0], "get_weather", TOOL_ARGUMENTS[0])
    ]


def test_streamed_two_tool_calls_in_one_turn(oai):
    with oai.chat.completions.stream(
        model="gpt-two-tools", messages=MESSAGES, tools=OPENAI_TOOLS, stream_options={"include_usage": True}
    ) as stream:
        done = [e for e in stream if e.type == "tool_calls.function.arguments.done"]
        final = stream.get_final_completion()
    assert [(e.index, e.name, json.loads(e.arguments)) for e in done] == [
        (0, "get_weather", TOOL_ARGUMENTS[0]), (1, "get_time", TOOL_ARGUMENTS[1])
    ]
    calls = final.choices[0].message.tool_calls
    assert [c.id for c in calls] == OPENAI_TOOL_CALL_IDS
    assert [json.loads(c.function.arguments) for c in calls] == TOOL_ARGUMENTS
    assert final.usage.completion_tokens == 4


def test_streamed_tool_call_wire_format(oai):
    chunks = list(oai.chat.completions.create(model="gpt-fake", messages=MESSAGES, tools=OPENAI_TOOLS, stream=True))
    fragments = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    first, rest = fragments[0], fragments[1:]
    assert (first.index, first.id, first.type, first.function.name) == (0, OPENAI_TOOL_CALL_IDS[0], "function", "get_weather")
    assert rest and all(f.index == 0 and f.id is None and f.function.name is None for f in rest)
    arguments = "".join(f.function.arguments or "" for f in fragments)
    assert json.loads(arguments) == TOOL_ARGUMENTS[0]


def test_tool_results_are_answered_with_text(oai, upstream_requests):
    messages = MESSAGES + [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": OPENAI_TOOL_CALL_IDS[0], "type": "function",
             "function": {"name": "get_weather", "arguments": json.dumps(TOOL_ARGUMENTS[0])}}]},
        {"role": "tool", "tool_call_id": OPENAI_TOOL_CALL_IDS[0], "content": "18°C, sunny"},
    ]
    completion = oai.chat.completions.create(model="gpt-fake", messages=messages, tools=OPENAI_TOOLS)
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert upstream_requests()[0]["body"]["messages"][-1] == messages[-1]
