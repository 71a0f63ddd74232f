"""Dataset examples in the explorer: the selected unit's top crops from the user's own images.

``CNNExplorer(model, examples=DIR_or_index)`` reads an index made by
:func:`cnnwidget.dataset_examples`. Whenever a unit is selected, the trait
``unit_examples`` carries its top crops (best first) with their scores, a small
copy of each whole picture, and the unit's map over the picture as the model sees it
(all on one colour scale), which the panel shows on hover. Units of layers the
index lacks get an empty trait, and the panel hides.
"""

from __future__ import annotations

import base64
import io
import warnings

import traitlets
from PIL import Image

from .feature_host import FeatureHost

WHOLE_SIDE = 320
"""Longest side of the whole pictures sent for hover."""


class ExamplesFeature(FeatureHost):
    """Dataset examples beside the selected unit (mixed into :class:`~cnnwidget.CNNExplorer`).

    Follows ``selected`` itself (not through ``on_select``): a cleared selection clears ``unit_examples``.
    """

    unit_examples = traitlets.Dict(
        help="The selected unit's dataset examples: {layer, channel, examples: [{rank, score, label, name, "
             "crop, whole}]} with JPEG data URLs, best first ({} without an index or for a layer it lacks)."
    ).tag(sync=True)
    examples_layers = traitlets.List(traitlets.Unicode(), help="Layers the examples index covers.").tag(sync=True)

    def _init_examples(self, examples) -> None:
        self._examples_index = None
        if examples is not None:
            self.use_examples(examples)

    # ----- public API ---------------------------------------------------------------------------

    def use_examples(self, examples) -> None:
        """Show dataset examples from ``examples`` (a directory or an :class:`~cnnwidget.ExampleIndex`; ``None`` to stop)."""
        from ..dataset_examples import ExampleIndex

        if examples is None:
            self._examples_index, self.examples_layers, self.unit_examples = None, [], {}
            return
        index = examples if isinstance(examples, ExampleIndex) else ExampleIndex.open(examples)
        names = {name for name, _ in self.model.named_modules()}
        unknown = sorted(set(index.layers) - names)
        if unknown:
            warnings.warn(f"the dataset examples at {index.root} have layers this model lacks "
                          f"({', '.join(unknown)}); they were made for {index.settings.get('model')!r}", stacklevel=3)
        self._examples_index = index
        self.examples_layers = [name for name in index.layers if name in names]
        self._examples_show(tuple(self.selected))

    # ----- internals ----------------------------------------------------------------------------

    @traitlets.observe("selected")
    def _examples_follow_selection(self, change) -> None:
        if getattr(self, "_examples_index", None) is not None:
            self._examples_show(tuple(change["new"]))

    def _examples_show(self, selected: tuple) -> None:
        index = self._examples_index
        if len(selected) != 2 or selected[0] not in self.examples_layers:
            self.unit_examples = {}
            return
        layer, channel = selected[0], int(selected[1])
        if not 0 <= channel < index.layers[layer]["channels"]:
            self.unit_examples = {}
            return
        shown, pictures = [], []
        for example in index.top(layer, channel):
            crop = example.crop
            if crop is None:
                continue
            whole = example.image()
            pictures.append(whole)
            thumb = None
            if whole is not None:
                thumb = whole.copy()
                thumb.thumbnail((WHOLE_SIDE, WHOLE_SIDE))
            shown.append({"rank": example.rank, "score": example.score, "label": example.label,
                          "name": example.path or f"item {example.item}", "box": list(example.box or ()),
                          "size": list(example.size or ()), "crop": _data_url(crop),
                          "whole": _data_url(thumb) if thumb is not None else "", "map": ""})
        for entry, overlay in zip(shown, self._examples_unit_maps(layer, channel, pictures)):
            entry["map"] = overlay
        self.unit_examples = {"layer": layer, "channel": channel, "examples": shown}

    def _examples_unit_maps(self, layer: str, channel: int, pictures: list) -> list[str]:
        """The unit's map over each picture as the model sees it (one batched forward pass; one colour
        scale for all, 0 to the highest value), as JPEG data URLs; "" for a picture that is gone."""
        import cv2
        import numpy as np
        import torch

        from ..engine.activations import layer_outputs
        from ..engine.preprocessing import display_crop, input_tensor

        present = [p for p in pictures if p is not None]
        if not present:
            return ["" for _ in pictures]
        x = torch.cat([input_tensor(p, self._preprocess) for p in present])
        maps = layer_outputs(self.model, x, [layer])[layer][:, channel].float().cpu().numpy()
        top = max(float(maps.max()), 1e-12)
        overlays = iter(maps)
        out = []
        for picture in pictures:
            if picture is None:
                out.append("")
                continue
            view = np.asarray(display_crop(picture, self._preprocess).convert("RGB"))
            level = np.clip(next(overlays) / top, 0, 1)
            heat = cv2.applyColorMap((level * 255).astype(np.uint8), cv2.COLORMAP_VIRIDIS)[..., ::-1]
            heat = cv2.resize(heat, (view.shape[1], view.shape[0]), interpolation=cv2.INTER_NEAREST)
            out.append(_data_url(Image.fromarray((0.45 * view + 0.55 * heat).astype(np.uint8))))
        return out


def _data_url(picture: Image.Image) -> str:
    buf = io.BytesIO()
    picture.convert("RGB").save(buf, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


__all__ = ["ExamplesFeature", "WHOLE_SIDE"]
