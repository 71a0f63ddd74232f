"""Browse a precomputed atlas: a unit's picture on hover, and at once on click.

``CNNExplorer(model, atlas=DIR)`` reads an atlas made by :func:`cnnwidget.build_atlas`.
The browser learns which units have a picture from ``atlas_units`` and asks for one
with an ``atlas_image`` message (answered with the PNG). Selecting a unit that is in
the atlas shows its picture as the finished maximization straight away (through the
maximization feature's cache, so every path that shows cached results shows it);
other units, and requests the atlas cannot answer (neuron mode, negative, a batch,
starting from the input picture), fall back to live maximization.
"""

from __future__ import annotations

import dataclasses
import io
import warnings
from pathlib import Path

import traitlets
from PIL import Image

from . import protocol
from .feature_host import FeatureHost
from ..atlas.plan import Unit
from ..atlas.store import AtlasStore
from .maximize.request import MaximizeRequest, MaximizeResult


class AtlasFeature(FeatureHost):
    """Atlas pictures in the explorer (mixed into :class:`~cnnwidget.CNNExplorer`).

    Serves plain channel maximizations of its units through the host's
    ``_precomputed_maximizations``.
    """

    atlas_units = traitlets.Dict(
        help="Units with an atlas picture: {layer: [channel, ...]} ({} without an atlas)."
    ).tag(sync=True)

    def _init_atlas(self, atlas) -> None:
        self._atlas_store: AtlasStore | None = None
        self._handlers[protocol.ATLAS_IMAGE] = self._atlas_on_image
        self._precomputed_maximizations.append(self._atlas_maximization)
        if atlas is not None:
            self.use_atlas(atlas)

    # ----- public API ---------------------------------------------------------------------------

    def use_atlas(self, atlas) -> None:
        """Show pictures from the atlas directory ``atlas`` (``None`` to stop)."""
        if atlas is None:
            self._atlas_store, self.atlas_units = None, {}
            return
        store = atlas if isinstance(atlas, AtlasStore) else AtlasStore.open(Path(atlas))
        names = {name for name, _ in self.model.named_modules()}
        units = store.units()
        unknown = sorted(set(units) - names)
        if unknown:
            warnings.warn(
                f"the atlas at {store.root} has layers this model lacks ({', '.join(unknown)}); "
                f"it was made for {store.header.get('model')!r}", stacklevel=3,
            )
        self._atlas_store = store
        self.atlas_units = {name: channels for name, channels in units.items() if name in names}

    def atlas_picture(self, unit) -> Image.Image | None:
        """The atlas picture of ``unit`` = ``(layer, channel)``, ``None`` when the atlas lacks it."""
        data = self._atlas_png(unit)
        if data is None:
            return None
        with Image.open(io.BytesIO(data)) as image:
            return image.convert("RGB")

    # ----- internals ----------------------------------------------------------------------------

    def _atlas_png(self, unit) -> bytes | None:
        layer, channel = unit
        if self._atlas_store is None or int(channel) not in self.atlas_units.get(layer, ()):
            return None
        return self._atlas_store.png(Unit(layer, int(channel)))

    def _atlas_on_image(self, message: protocol.Message) -> None:
        layer, channel = message.content["layer"], message.content["channel"]
        data = self._atlas_png((layer, channel))
        reply = {"type": protocol.ATLAS_IMAGE, "layer": layer, "channel": channel, "found": data is not None}
        if data is None:
            self.send(reply)
            return
        record = self._atlas_store.records[Unit(layer, channel)]
        self.send({**reply, "value": float(record["value"]), "steps": record["steps"]}, buffers=[data])

    def _atlas_maximization(self, request: MaximizeRequest):
        """``(request, result, "atlas")`` for a plain channel request of an atlas unit, else ``None``.

        The request takes the atlas picture's own settings (steps, size, seed, param), so
        ``maximize_state`` describes how the picture was made.
        """
        plain = request.neuron is None and not request.negative and request.batch == 1 and not request.from_image
        picture = self.atlas_picture((request.layer, request.channel)) if plain else None
        if picture is None:
            return None
        record = self._atlas_store.records[Unit(request.layer, request.channel)]
        request = dataclasses.replace(
            request, steps=int(record["steps"]), size=int(record["size"]), seed=int(record["seed"]),
            param=record.get("param", request.param), transforms=True,
        )
        return request, MaximizeResult([picture], float(record["value"]), int(record["steps"]), "done", []), "atlas"
