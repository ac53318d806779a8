"""The OpenAI SDK's embeddings: base64 by default (decoded by the SDK), floats, dimensions."""

import base64
import struct

import pytest

MODEL = "text-embedding-fake"


def test_default_encoding_is_base64_and_decoded(oai, upstream_requests):
    raw = oai.embeddings.with_raw_response.create(model=MODEL, input="The food was delicious")
    assert raw.headers.get("x-request-id")
    wire = raw.http_response.json()
    # The SDK asked for base64 and got it: a string of little-endian float32s.
    assert upstream_requests()[0]["body"]["encoding_format"] == "base64"
    encoded = wire["data"][0]["embedding"]
    assert isinstance(encoded, str)
    packed = base64.b64decode(encoded)
    wire_vector = list(struct.unpack(f"<{len(packed) // 4}f", packed))
    result = raw.parse()
    assert result.object == "list"
    assert len(result.data) == 1 and result.data[0].index == 0
    vector = result.data[0].embedding
    assert len(vector) > 0 and all(isinstance(x, float) for x in vector)
    assert vector == pytest.approx(wire_vector)
    assert result.usage.prompt_tokens > 0
    assert result.usage.total_tokens == result.usage.prompt_tokens


def test_float_encoding_matches_base64(oai):
    text = "The food was delicious"
    floats = oai.embeddings.create(model=MODEL, input=text, encoding_format="float")
    decoded = oai.embeddings.create(model=MODEL, input=text)
    assert floats.data[0].embedding == pytest.approx(decoded.data[0].embedding, rel=1e-6, abs=1e-7)


def test_array_input_and_dimensions(oai):
    result = oai.embeddings.create(model=MODEL, input=["one", "two", "three"], dimensions=8, encoding_format="float")
    assert [d.index for d in result.data] == [0, 1, 2]
    assert all(len(d.embedding) == 8 for d in result.data)
    decoded = oai.embeddings.create(model=MODEL, input=["one", "two", "three"], dimensions=8)
    for a, b in zip(result.data, decoded.data):
        assert a.embedding == pytest.approx(b.embedding, rel=1e-6, abs=1e-7)
