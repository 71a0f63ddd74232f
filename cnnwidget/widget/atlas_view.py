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
from ..atlas.plan import Unit
from ..atlas.store import AtlasStore
from .maximize.request import MaximizeRequest, MaximizeResult


class AtlasFeature(traitlets.HasTraits):
    """Atlas pictures in the explorer (mixed into :class:`~cnnwidget.CNNExplorer` before the maximize feature)."""

    atlas_units = traitlets.Dict(
        help="Units with an atlas picture: {layer: [channel, ...]} ({} without an atlas)."
    ).tag(sync=True)

    def _init_atlas(self, atlas) -> None:
        self._atlas: AtlasStore | None = None
        self._handlers[protocol.ATLAS_IMAGE] = self._on_atlas_image
        if atlas is not None:
            self.use_atlas(atlas)

    # ----- public API ---------------------------------------------------------------------------

    def use_atlas(self, atlas) -> None:
        """Show pictures from the atlas directory ``atlas`` (``None`` to stop)."""
        if atlas is None:
            self._atlas, self.atlas_units = None, {}
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
        self._atlas = store
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
        if self._atlas is None or int(channel) not in self.atlas_units.get(layer, ()):
            return None
        return self._atlas.png(Unit(layer, int(channel)))

    def _on_atlas_image(self, message: protocol.Message) -> None:
        layer, channel = message.content["layer"], message.content["channel"]
        data = self._atlas_png((layer, channel))
        reply = {"type": protocol.ATLAS_IMAGE, "layer": layer, "channel": channel, "found": data is not None}
        if data is None:
            self.send(reply)
            return
        record = self._atlas.records[Unit(layer, channel)]
        self.send({**reply, "value": float(record["value"]), "steps": record["steps"]}, buffers=[data])

    def _start(self, request: MaximizeRequest):
        """Serve plain channel requests for atlas units from the atlas; others go on to live maximization."""
        plain = request.neuron is None and not request.negative and request.batch == 1 and not request.from_image
        picture = self.atlas_picture((request.layer, request.channel)) if plain else None
        if picture is None:
            return super()._start(request)
        record = self._atlas.records[Unit(request.layer, request.channel)]
        request = dataclasses.replace(
            request, steps=int(record["steps"]), size=int(record["size"]), seed=int(record["seed"]),
            param=record.get("param", request.param), transforms=True,
        )
        result = MaximizeResult([picture], float(record["value"]), int(record["steps"]), "done", [])
        self._maximize_cache[(request, None)] = result
        with self.hold_sync():
            job = super()._start(request)  # a cache hit: finished at once, no job
            self.maximize_state = {**self.maximize_state, "source": "atlas"}
        return job
