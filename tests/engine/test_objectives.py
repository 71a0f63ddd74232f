"""Objectives: the shorthand, composition, and per-image values."""

import pytest
import torch

from cnnwidget.engine import objectives as obj
from cnnwidget.engine.objectives import ObjectiveError


def _acts():
    t = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    return {"layer3.1": t}


def test_channel_is_mean_of_the_channel_per_image():
    acts = _acts()
    value = obj.parse("layer3.1:2")(acts)
    assert value.shape == (2,)
    assert torch.allclose(value, acts["layer3.1"][:, 2].mean(dim=(1, 2)))


def test_neuron_reads_one_position():
    acts = _acts()
    value = obj.parse("layer3.1:1@2,3")(acts)
    assert torch.equal(value, acts["layer3.1"][:, 1, 2, 3])


def test_neuron_defaults_to_the_centre():
    acts = _acts()
    assert torch.equal(obj.neuron("layer3.1", 0)(acts), acts["layer3.1"][:, 0, 2, 2])


def test_whole_layer_is_mean_square():
    acts = _acts()
    value = obj.parse("layer3.1")(acts)
    assert torch.allclose(value, acts["layer3.1"].pow(2).mean(dim=(1, 2, 3)))


def test_negative_prefix_negates():
    acts = _acts()
    assert torch.equal(obj.parse("-layer3.1:2")(acts), -obj.parse("layer3.1:2")(acts))


def test_composition_with_plus_minus_and_scalars():
    acts = _acts()
    a, b = obj.channel("layer3.1", 0), obj.channel("layer3.1", 1)
    combined = 2 * a - b / 4 + 0.5 * a
    expected = 2.5 * a(acts) - 0.25 * b(acts)
    assert torch.allclose(combined(acts), expected)
    assert combined.layers == ("layer3.1",)
    assert torch.allclose(sum([a, b])(acts), a(acts) + b(acts))


def test_strings_compose_with_objectives():
    acts = _acts()
    combined = obj.channel("layer3.1", 0) + "layer3.1:1"
    assert torch.allclose(combined(acts), obj.channel("layer3.1", 0)(acts) + obj.channel("layer3.1", 1)(acts))


def test_multiplying_two_objectives_is_refused():
    with pytest.raises(ObjectiveError, match="add them"):
        obj.channel("a", 0) * obj.channel("a", 1)


def test_direction_projects_on_a_unit_vector():
    acts = _acts()
    value = obj.direction("layer3.1", [0.0, 3.0, 4.0])(acts)
    t = acts["layer3.1"]
    expected = (0.6 * t[:, 1] + 0.8 * t[:, 2]).mean(dim=(1, 2))
    assert torch.allclose(value, expected)


def test_direction_with_wrong_length_names_the_fix():
    with pytest.raises(ObjectiveError, match="one number per channel"):
        obj.direction("layer3.1", [1.0, 2.0])(_acts())


def test_diversity_is_higher_for_different_images():
    same = {"l": torch.ones(3, 2, 4, 4)}
    different = {"l": torch.rand(3, 2, 4, 4, generator=torch.Generator().manual_seed(0))}
    different["l"][0, 0] = 0
    different["l"][1, 1] = 0
    assert torch.allclose(obj.diversity("l")(same), torch.full((3,), -1.0))
    assert (obj.diversity("l")(different) > -1.0).all()
    assert torch.equal(obj.diversity("l")({"l": torch.ones(1, 2, 4, 4)}), torch.zeros(1))


@pytest.mark.parametrize("text", ["", "layer3.1:x", "layer3.1:5@7", ":5", "a b:1"])
def test_malformed_shorthand_shows_the_forms(text):
    with pytest.raises(ObjectiveError, match="layer:channel"):
        obj.parse(text)


def test_check_names_the_valid_channel_range():
    with pytest.raises(ObjectiveError, match=r"has 3 channels; use 0\.\.2"):
        obj.parse("layer3.1:3").check({"layer3.1": (3, 4, 4)})
    with pytest.raises(ObjectiveError, match="rows 0..3"):
        obj.parse("layer3.1:0@9,0").check({"layer3.1": (3, 4, 4)})
    obj.parse("layer3.1:2@3,3").check({"layer3.1": (3, 4, 4)})


def test_layer_objective_is_exposed_as_layer():
    assert obj.layer is obj.layer_objective
    assert obj.layer("x").layers == ("x",)


def test_class_objectives_read_the_model_output_of_any_shape():
    scores = torch.tensor([[1.0, 3.0, -2.0], [0.5, 0.0, 4.0]])
    logit = obj.parse("logits:1")
    assert logit.layers == (obj.OUTPUT,) and logit.name == "logits:1"
    assert torch.equal(logit({obj.OUTPUT: scores}), scores[:, 1])
    assert torch.allclose(obj.parse("probs:2")({obj.OUTPUT: scores}), torch.log_softmax(scores, 1)[:, 2])
    maps = scores[:, :, None, None].expand(2, 3, 5, 5)  # a score map per class averages to the score
    assert torch.allclose(obj.class_logit(1)({obj.OUTPUT: maps}), scores[:, 1])
    assert torch.equal(obj.parse("-logits:0")({obj.OUTPUT: scores}), -scores[:, 0])


def test_class_objectives_check_the_class_index_and_the_shorthand():
    with pytest.raises(ObjectiveError, match="class 12 is out of range: the model has 12 outputs; use 0..11"):
        obj.class_logit(12).check({obj.OUTPUT: (12, 1, 1)})
    with pytest.raises(ObjectiveError, match="'logits:207'"):
        obj.parse("logits")
    with pytest.raises(ObjectiveError, match="'logits:207'"):
        obj.parse("nonsense::")
