"""The Anthropic SDK's model listing."""

import anthropic
import pytest

from test_openai_models import CONFIGURED


def test_list_models(claude):
    page = claude.models.list()
    models = list(page)
    assert {m.id for m in models} == CONFIGURED
    assert all(m.type == "model" and m.display_name for m in models)
    assert page.first_id == models[0].id and page.last_id == models[-1].id
    assert page.has_more is False


def test_retrieve_a_model(claude):
    model = claude.models.retrieve("gpt-fake")
    assert model.id == "gpt-fake"
    assert model.type == "model"


def test_retrieve_an_unknown_model(claude):
    with pytest.raises(anthropic.NotFoundError) as e:
        claude.models.retrieve("no-such-model")
    assert e.value.status_code == 404
    assert e.value.body["error"]["type"] == "not_found_error"
