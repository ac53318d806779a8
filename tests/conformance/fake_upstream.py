"""What the fake upstream (Sources/KeelTestSupport/FakeProvider.swift) answers; keep in step with it."""

import json

# Every text answer, and how it is streamed.
ANSWER_PIECES = ["Hello", ", ", "world", "!"]
ANSWER = "".join(ANSWER_PIECES)

# OpenAI usage, as the fake reports it (non-streamed, and in the usage chunk of streams).
OPENAI_USAGE = {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16, "cached_tokens": 8}
# Anthropic usage, as the fake reports it.
ANTHROPIC_USAGE = {"input_tokens": 5, "output_tokens": 4, "cache_read_input_tokens": 7, "cache_creation_input_tokens": 2}

# The arguments of the first and second tool call of a turn.
TOOL_ARGUMENTS = [
    {"location": "Paris, France", "unit": "celsius", "days": 3},
    {"location": "Tokyo, Japan", "unit": "fahrenheit", "days": 1},
]
TOOL_ARGUMENTS_TEXT = [json.dumps(a, separators=(",", ":")) for a in TOOL_ARGUMENTS]
OPENAI_TOOL_CALL_IDS = ["call_fk1Xq7ZtB9sLmQ2wRv4yHn8c", "call_fk2Pd3JeW6uKaT5gXo1iMb7r"]
ANTHROPIC_TOOL_USE_IDS = ["toolu_01FkXq7ZtB9sLmQ2wRv4yHn8", "toolu_01FkPd3JeW6uKaT5gXo1iMb7"]
# How many characters of the arguments each streamed fragment carries.
FRAGMENT_LENGTH = 9

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "City and country"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer"},
    },
    "required": ["location"],
}

OPENAI_TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Weather forecast for a place", "parameters": WEATHER_SCHEMA}},
    {"type": "function", "function": {"name": "get_time", "description": "Local time in a place", "parameters": WEATHER_SCHEMA}},
]
ANTHROPIC_TOOLS = [
    {"name": "get_weather", "description": "Weather forecast for a place", "input_schema": WEATHER_SCHEMA},
    {"name": "get_time", "description": "Local time in a place", "input_schema": WEATHER_SCHEMA},
]
