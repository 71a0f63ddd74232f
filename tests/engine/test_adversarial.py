import threading

import pytest
import torch

import cnnwidget
from cnnwidget.engine.adversarial import adversarial
from cnnwidget.engine.cancellable_forward import Cancelled
from cnnwidget.engine.predictions import predictions
from cnnwidget.models.default_model import default_model
from tests.model_state import assert_same_state, model_state

EPS = 8 / 255


@pytest.fixture(scope="module")
def net():
    return default_model()


def test_every_sample_photo_is_made_to_say_its_least_likely_class(net):
    net.train()
    before = model_state(net)
    normalize = net.cnnwidget_preprocess.normalize
    outcomes = {}
    for name, path in cnnwidget.samples().items():
        ranked = predictions(net, path, k=12)
        target = ranked[-1].index  # the class the model believes least: the hardest target
        adv = adversarial(net, path, target, eps=EPS)
        assert adv.reached and 1 <= adv.steps <= 40, (name, adv.steps)
        assert adv.perturbation.abs().max() <= EPS + 1e-6
        assert 0 <= adv.pixels.min() and adv.pixels.max() <= 1
        assert adv.predictions[0].index == target and adv.before[0].index == ranked[0].index
        saved = predictions(net, adv.image, k=1)[0]  # the 8-bit picture, read back as a user would
        assert saved.index == target, (name, saved)
        with torch.no_grad():  # checked independently of the attack's own bookkeeping
            net.eval()
            assert int(net(normalize(adv.pixels[None])).argmax()) == target
            net.train()
        outcomes[name] = adv.steps
    print("steps per photo:", outcomes)
    assert len(outcomes) == 6
    assert_same_state(before, model_state(net))


def test_the_perturbation_picture_states_its_amplification(net):
    photo = cnnwidget.samples()["chelsea"]
    adv = adversarial(net, photo, 11, eps=EPS, steps=3, stop_when_reached=False)
    assert adv.steps == 3
    picture, gain = adv.perturbation_image()
    assert picture.size == adv.image.size == (128, 128)
    assert gain == pytest.approx(0.5 / float(adv.perturbation.abs().max()))
    assert gain >= 0.5 / EPS - 1e-3


def test_cancel_and_errors_leave_the_model_as_found(net):
    net.train()
    before = model_state(net)
    cancel = threading.Event()
    seen = []

    def stop(step, total):
        seen.append((step, total))
        cancel.set()

    with pytest.raises(Cancelled):
        adversarial(net, cnnwidget.samples()["coffee"], 11, cancel=cancel, callback=stop, stop_when_reached=False)
    assert seen == [(1, 40)]
    with pytest.raises(ValueError, match="target class 12 is out of range.*use 0..11"):
        adversarial(net, cnnwidget.samples()["coffee"], 12)
    with pytest.raises(ValueError, match=r"give a number in \(0, 1\], e.g. 8/255"):
        adversarial(net, cnnwidget.samples()["coffee"], 1, eps=8)
    assert_same_state(before, model_state(net))
