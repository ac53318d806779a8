"""The OpenAI SDK's model listing."""

import openai
import pytest

CONFIGURED = {
    "gpt-fake", "gpt-two-tools", "gpt-503", "gpt-429", "gpt-400", "gpt-cut",
    "claude-fake", "claude-two-tools", "claude-503", "claude-529", "claude-429", "claude-400", "claude-cut",
    "text-embedding-fake",
}


def test_list_models(oai):
    models = list(oai.models.list())
    assert {m.id for m in models} == CONFIGURED
    assert len(models) == len(CONFIGURED)
    assert all(m.object == "model" and m.owned_by == "keel" and isinstance(m.created, int) for m in models)


def test_retrieve_a_model(oai):
    model = oai.models.retrieve("claude-fake")
    assert model.id == "claude-fake"
    assert model.object == "model"
    assert model.owned_by == "keel"


def test_retrieve_an_unknown_model(oai):
    with pytest.raises(openai.NotFoundError) as e:
        oai.models.retrieve("no-such-model")
    assert e.value.status_code == 404
    assert e.value.code == "model_not_found"
