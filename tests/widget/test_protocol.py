import numpy as np
import pytest

from cnnwidget.widget import protocol


def test_grid_round_trip_is_within_one_quantization_step():
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(16, 9, 11)).astype(np.float32) * np.arange(1, 17)[:, None, None]
    payload, shape = protocol.encode_grid(acts)
    assert shape == {"channels": 16, "height": 9, "width": 11}
    assert len(payload) == 16 * 16 + 16 * 9 * 11
    stats, approx = protocol.decode_grid(payload, **shape)
    span = acts.max(axis=(1, 2)) - acts.min(axis=(1, 2))
    assert (np.abs(approx - acts).max(axis=(1, 2)) <= span / 255 * 0.51 + 1e-5).all()
    np.testing.assert_allclose(stats[:, 2], acts.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    assert (stats[:, 3] == acts.reshape(16, -1).argmax(axis=1)).all()


def test_constant_and_non_finite_channels_encode_safely():
    acts = np.zeros((3, 4, 4), dtype=np.float32)
    acts[1] = 5.0
    acts[2, 0, 0] = np.nan
    acts[2, 1, 1] = np.inf
    payload, shape = protocol.encode_grid(acts)
    stats, approx = protocol.decode_grid(payload, **shape)
    assert np.isfinite(stats).all() and np.isfinite(approx).all()
    assert stats[1, 0] == stats[1, 1] == 5.0


def test_huge_layers_are_downsampled_below_the_limit():
    acts = np.ones((64, 320, 320), dtype=np.float32)
    _, shape = protocol.encode_grid(acts)
    assert shape["channels"] * shape["height"] * shape["width"] <= protocol.MAX_GRID_VALUES
    assert shape["height"] == 160


@pytest.mark.parametrize(
    "content, buffers, match",
    [
        ("not a dict", [], "JSON object"),
        ({"type": "launch_missiles"}, [], "unknown message type"),
        ({"type": "upload"}, [b"x"], "str field 'name'"),
        ({"type": "upload", "name": "a.png"}, [], "without its file data"),
        ({"type": "upload", "name": "a.png"}, [b"0" * (protocol.MAX_UPLOAD_BYTES + 1)], "limited to 20 MB"),
        ({"type": "sample", "name": 3}, [], "str field 'name'"),
    ],
)
def test_bad_browser_messages_are_refused_with_a_reason(content, buffers, match):
    with pytest.raises(protocol.ProtocolError, match=match):
        protocol.parse_browser_message(content, buffers)
