"""Where the selected unit fires and why: Grad-CAM heat map over the input picture."""

from __future__ import annotations

import numpy as np
import traitlets

from ..engine.attribution import unit_gradcam
from .feature_host import FeatureHost


class AttributionFeature(FeatureHost):
    """Grad-CAM of the selected unit (mixed into :class:`~cnnwidget.CNNExplorer`).

    The unit's own map is drawn by the front end from the grid; this adds the
    gradient-based view. Computed when a unit is selected while ``show_attribution``
    is on, or when it is switched on.
    """

    show_attribution = traitlets.Bool(False, help="Compute and overlay Grad-CAM for the selected unit.").tag(sync=True)
    attribution = traitlets.Bytes(b"", help="Grad-CAM map, uint8 (H, W), 255 = strongest evidence.").tag(sync=True)
    attribution_meta = traitlets.Dict(help="{unit: [layer, channel], height, width, source} for `attribution`.").tag(sync=True)

    def _init_attribution(self) -> None:
        self.on_select(lambda unit: self._refresh_attribution())

    @traitlets.observe("show_attribution")
    def _attribution_toggled(self, change) -> None:
        if change["new"]:
            self._refresh_attribution()

    def attribution_map(self, unit=None) -> np.ndarray:
        """Grad-CAM of ``unit`` (default: the selected one) for the current image, ``(H, W)`` in [0, 1]."""
        layer, channel = tuple(unit) if unit is not None else tuple(self.selected)
        return unit_gradcam(self.model, self._input, layer, channel)

    def _refresh_attribution(self) -> None:
        if not self.show_attribution or len(self.selected) != 2:
            return
        cam = self.attribution_map()
        with self.hold_sync():
            self.attribution = (cam * 255).round().astype(np.uint8).tobytes()
            self.attribution_meta = {
                "unit": list(self.selected), "height": int(cam.shape[0]), "width": int(cam.shape[1]),
            }
