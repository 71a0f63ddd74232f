"""The atlas's ``index.html``: every unit's picture in a grid per layer, readable from ``file://``.

One self-contained page (inline CSS, no script, no server): ``<img>`` tags with
relative paths to the PNGs beside it, each captioned with its unit number and the
objective value it reached, and a table of contents of the layers. When the units
have transparency masks (``maco``), a checkbox at the top shows each picture
through its mask (CSS ``mask-image``, still no script): faded where the unit did not look.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from urllib.parse import quote

from .plan import Unit
from .store import AtlasStore, atomic_write

INDEX = "index.html"

_CSS = """
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.4em;margin:0 0 .3em} h2{font-size:1.1em;margin:1.6em 0 .5em}
.meta{color:#555;margin:0 0 1em} nav a{margin-right:1em}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(var(--tile),1fr));gap:6px}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:4px;padding:3px}
figure img{width:100%;display:block;image-rendering:auto}
figcaption{font-size:11px;color:#444;display:flex;justify-content:space-between;padding:2px 1px 0}
#show-masks:checked~section figure[data-mask] img{-webkit-mask-image:var(--mask);mask-image:var(--mask);
-webkit-mask-size:100% 100%;mask-size:100% 100%}
"""


def write_index(store: AtlasStore, examples=None) -> Path:
    """Write ``index.html`` into the atlas directory (atomically) and return its path.

    ``examples``: a dataset-examples directory or :class:`~cnnwidget.dataset_examples.ExampleIndex`
    (default: the one recorded in the atlas's header); each unit then shows its top crops under its picture.
    """
    header = store.header
    index = _examples(examples if examples is not None else header.get("examples"))
    if index is not None:  # imported here: the atlas does not need the dataset-examples room otherwise
        from ..dataset_examples.html_strip import STRIP_CSS as _STRIP_CSS
        from ..dataset_examples.html_strip import unit_strip
    settings = header.get("settings", {})
    units = store.units()
    declared = header.get("layers", {})
    layers = list(declared) + [name for name in units if name not in declared]
    tile = max(64, min(160, int(settings.get("size", 128))))
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Atlas of {escape(str(header.get('model')))}</title>",
        f"<style>{_CSS}{_STRIP_CSS if index else ''}</style></head><body>",
        f"<h1>Atlas of {escape(str(header.get('model')))}</h1>",
        f'<p class="meta" data-testid="atlas-meta">weights {escape(str(header.get("weights")))} · '
        f"{settings.get('steps')} steps · {settings.get('size')} px · seed {settings.get('seed')} · "
        f"{settings.get('param')} · {len(store.records)} units</p>",
        *(['<input type="checkbox" id="show-masks" data-testid="show-masks">'
           '<label for="show-masks">show where each unit looked (transparency mask)</label>']
          if any("mask_file" in r for r in store.records.values()) else []),
        "<nav>" + "".join(f'<a href="#{_anchor(n)}">{escape(n)}</a>' for n in layers) + "</nav>",
    ]
    for name in layers:
        channels = units.get(name, [])
        total = declared.get(name, {}).get("channels")
        count = f"{len(channels)} of {total} units" if total else f"{len(channels)} units"
        parts.append(f'<section id="{_anchor(name)}" data-layer="{escape(name, quote=True)}">')
        parts.append(f"<h2>{escape(name)} <small>({count})</small></h2>")
        parts.append(f'<div class="grid" style="--tile:{tile}px">')
        for channel in channels:
            record = store.records[Unit(name, channel)]
            src = "/".join(quote(p) for p in record["file"].split("/"))
            value = float(record.get("value", float("nan")))
            masked = ""
            if "mask_file" in record:
                mask = "/".join(quote(p) for p in record["mask_file"].split("/"))
                masked = f' data-mask="{escape(mask, quote=True)}" style="--mask:url(&quot;{escape(mask, quote=True)}&quot;)"'
            parts.append(
                f'<figure data-channel="{channel}"{masked}><img loading="lazy" src="{src}" '
                f'alt="{escape(name, quote=True)} unit {channel}" width="{settings.get("size")}" '
                f'height="{settings.get("size")}"><figcaption><b>#{channel}</b><span>{value:.3g}</span>'
                f"</figcaption>{unit_strip(index, name, channel, store.root) if index else ''}</figure>"
            )
        parts.append("</div></section>")
    parts.append("</body></html>\n")
    path = store.root / INDEX
    atomic_write(path, "\n".join(parts).encode())
    return path


def _examples(examples):
    if examples is None:
        return None
    from ..dataset_examples import ExampleIndex

    return examples if isinstance(examples, ExampleIndex) else ExampleIndex.open(examples)


def _anchor(layer: str) -> str:
    return "layer-" + quote(layer, safe="")


__all__ = ["INDEX", "write_index"]
