"""The first layer's filters in the widget: tiles of the first convolution's weights."""

from __future__ import annotations

import numpy as np
import traitlets

from ..engine.first_layer_filters import filters
from .feature_host import FeatureHost


class FiltersFeature(FeatureHost):
    """First-layer filters as tiles (mixed into :class:`~cnnwidget.CNNExplorer`); a click on a tile selects its unit."""

    filters = traitlets.Bytes(b"", help="Tiles, uint8 (count, height, width, 3), 128 = a zero weight.").tag(sync=True)
    filters_meta = traitlets.Dict(help="{layer, count, height, width, colour} describing `filters`; {} when the model has none.").tag(sync=True)

    def _init_filters(self, input_size: int) -> None:
        """Fill the tiles for pictures of ``input_size`` px (the explorer calls this once it knows the input)."""
        try:
            shown = filters(self.model, input_size=input_size)
        except ValueError:  # no Conv2d on the picture
            return
        count, height, width, _ = shown.tiles.shape
        with self.hold_sync():
            self.filters = (shown.tiles * 255).round().astype(np.uint8).tobytes()
            self.filters_meta = {"layer": shown.layer, "count": count, "height": height, "width": width, "colour": shown.colour}
