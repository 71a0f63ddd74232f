import pytest
import torch
import torchvision

from cnnwidget.data.synthetic import CLASSES, make_batch
from cnnwidget.engine.class_names import class_names
from cnnwidget.engine.predictions import Prediction, predictions
from cnnwidget.models.default_model import default_model
from tests.model_state import assert_same_state, model_state


@pytest.fixture(scope="module")
def net():
    return default_model()


def test_default_model_names_the_class_of_each_generated_picture(net):
    images, labels = make_batch(12, seed=5, labels=torch.arange(12))
    before = model_state(net)
    for image, label in zip(images, labels):
        top = predictions(net, image)
        assert len(top) == 5 and all(isinstance(p, Prediction) for p in top)
        assert top[0].index == int(label) and top[0].name == CLASSES[int(label)]
        probs = [p.probability for p in top]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
        assert top[0].probability > 0.5
        assert len({p.index for p in top}) == 5
    assert_same_state(before, model_state(net))


def test_torchvision_categories_name_the_outputs():
    model = torchvision.models.resnet18()
    model.cnnwidget_classes = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta["categories"]
    top = predictions(model, torch.rand(3, 64, 64), k=3)
    assert [p.name for p in top] == [model.cnnwidget_classes[p.index] for p in top]
    assert class_names(model, 1000)[207] == "golden retriever"


def test_timm_label_info_names_the_outputs():
    import timm
    model = timm.create_model("resnet18", pretrained=False)
    assert class_names(model, 1000)[207] == "golden retriever"


def test_names_fall_back_to_indices_for_a_bare_model():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    top = predictions(model, torch.rand(3, 32, 32), k=10)
    assert len(top) == 4 and {p.name for p in top} == {"0", "1", "2", "3"}
    assert abs(sum(p.probability for p in top) - 1) < 1e-5


def test_a_model_without_class_scores_gets_a_clear_error():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(0))
    with pytest.raises(ValueError, match="pass a classifier"):
        predictions(model, torch.rand(3, 32, 32))
    with pytest.raises(ValueError, match="k must be at least 1"):
        predictions(torch.nn.Flatten(), torch.rand(3, 8, 8), k=0)
