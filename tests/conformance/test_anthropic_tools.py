"""The Anthropic SDK's tool use against an Anthropic-kind upstream, streamed and not."""

from fake_upstream import ANSWER, ANTHROPIC_TOOL_USE_IDS, ANTHROPIC_TOOLS, FRAGMENT_LENGTH, TOOL_ARGUMENTS_TEXT, TOOL_ARGUMENTS

MESSAGES = [{"role": "user", "content": "What is the weather in Paris?"}]


def tool_uses(message):
    return [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"]


def test_non_streamed_tool_use(claude, upstream_requests):
    message = claude.messages.create(model="claude-fake", max_tokens=256, messages=MESSAGES, tools=ANTHROPIC_TOOLS)
    assert message.stop_reason == "tool_use"
    assert tool_uses(message) == [(ANTHROPIC_TOOL_USE_IDS[0], "get_weather", TOOL_ARGUMENTS[0])]
    assert upstream_requests()[0]["body"]["tools"] == ANTHROPIC_TOOLS


def test_two_tool_uses_in_one_turn(claude):
    message = claude.messages.create(model="claude-two-tools", max_tokens=256, messages=MESSAGES, tools=ANTHROPIC_TOOLS)
    assert message.stop_reason == "tool_use"
    assert tool_uses(message) == [
        (ANTHROPIC_TOOL_USE_IDS[0], "get_weather", TOOL_ARGUMENTS[0]),
        (ANTHROPIC_TOOL_USE_IDS[1], "get_time", TOOL_ARGUMENTS[1]),
    ]


def test_tool_choice_forces_a_tool_and_none_disables_tools(claude):
    forced = claude.messages.create(
        model="claude-fake", max_tokens=256, messages=MESSAGES, tools=ANTHROPIC_TOOLS,
        tool_choice={"type": "tool", "name": "get_time"},
    )
    assert [name for _, name, _ in tool_uses(forced)] == ["get_time"]
    plain = claude.messages.create(
        model="claude-fake", max_tokens=256, messages=MESSAGES, tools=ANTHROPIC_TOOLS, tool_choice={"type": "none"}
    )
    assert plain.content[0].text == ANSWER
    assert plain.stop_reason == "end_turn"


def test_streamed_tool_use(claude):
    with claude.messages.stream(model="claude-fake", max_tokens=256, messages=MESSAGES, tools=ANTHROPIC_TOOLS) as stream:
        events = list(stream)
        final = stream.get_final_message()
    partials = [e.partial_json for e in events if e.type == "input_json"]
    assert "".join(partials) == TOOL_ARGUMENTS_TEXT[0]
    assert len([p for p in partials if p]) == -(-len(TOOL_ARGUMENTS_TEXT[0]) // FRAGMENT_LENGTH)
    assert final.stop_reason == "tool_use"
    assert tool_uses(final) == [(ANTHROPIC_TOOL_USE_IDS[0], "get_weather", TOOL_ARGUMENTS[0])]
    assert final.usage.output_tokens == 4


def test_streamed_two_tool_uses(claude):
    with claude.messages.stream(model="claude-two-tools", max_tokens=256, messages=MESSAGES, tools=ANTHROPIC_TOOLS) as stream:
        blocks = [e.content_block for e in stream if e.type == "content_block_stop"]
        final = stream.get_final_message()
    assert [(b.id, b.name, b.input) for b in blocks] == tool_uses(final) == [
        (ANTHROPIC_TOOL_USE_IDS[0], "get_weather", TOOL_ARGUMENTS[0]),
        (ANTHROPIC_TOOL_USE_IDS[1], "get_time", TOOL_ARGUMENTS[1]),
    ]


def test_tool_results_are_answered_with_text(claude, upstream_requests):
    messages = MESSAGES + [
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": ANTHROPIC_TOOL_USE_IDS[0], "name": "get_weather", "input": TOOL_ARGUMENTS[0]}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": ANTHROPIC_TOOL_USE_IDS[0], "content": "18°C, sunny"}]},
    ]
    message = claude.messages.create(model="claude-fake", max_tokens=256, messages=messages, tools=ANTHROPIC_TOOLS)
    assert message.content[0].text == ANSWER
    assert upstream_requests()[0]["body"]["messages"] == messages
