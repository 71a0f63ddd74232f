"""The front end's model mirrors the kernel's: the same synced traits, the same protocol constants.

Read from the TypeScript source: the ``Traits`` interface in js/types.ts (index.ts subscribes to
each of its members, checked by the compiler) and the constants in js/protocol.ts.
"""

from __future__ import annotations

import re
from pathlib import Path

import anywidget

from cnnwidget import CNNExplorer
from cnnwidget.widget import protocol

JS = Path(__file__).resolve().parents[2] / "js"
FRONT_END_ONLY = {"MIN_FRAME_SIDE"}
"""Constants of js/protocol.ts that the kernel does not need (a sanity bound on a trait)."""
KERNEL_ONLY = {"MAX_GRID_VALUES"}
"""Constants of protocol.py that the browser does not need (the kernel downsamples before sending)."""


def typescript_traits() -> set[str]:
    body = re.search(r"export interface Traits \{(.*?)\n\}", (JS / "types.ts").read_text(), re.S).group(1)
    return set(re.findall(r"^\s+(\w+):", body, re.M))


def typescript_constants() -> dict[str, object]:
    found = {}
    for name, value in re.findall(r"^export const (\w+) = ([^;]+);", (JS / "protocol.ts").read_text(), re.M):
        found[name] = value.strip('"') if value.startswith('"') else eval(value, {})  # numbers like 20 * 1024 * 1024
    return found


def test_the_typed_trait_list_is_the_explorers():
    python = set(CNNExplorer.class_traits(sync=True)) - set(anywidget.AnyWidget.class_traits(sync=True))
    assert "atlas_units" in python
    assert typescript_traits() == python


def test_every_protocol_constant_is_the_same_on_both_sides():
    ts = typescript_constants()
    py = {name: getattr(protocol, name) for name in dir(protocol)
          if name.isupper() and isinstance(getattr(protocol, name), (str, int)) and not name.startswith("_")}
    assert {"ATLAS_IMAGE", "MAX_FRAME_SIDE", "LIVE_RESULT"} <= set(ts)
    assert set(ts) - FRONT_END_ONLY == set(py) - KERNEL_ONLY
    assert {name: ts[name] for name in set(ts) - FRONT_END_ONLY} == {name: py[name] for name in set(py) - KERNEL_ONLY}


def test_panels_define_no_protocol_constant_of_their_own():
    values = {str(v) for v in typescript_constants().values() if isinstance(v, str)}
    for path in sorted(JS.glob("*.ts")):
        if path.name == "protocol.ts":
            continue
        text = path.read_text()
        own = [v for v in values if re.search(rf'const \w+\s*=\s*"{re.escape(v)}"\s*;', text)]
        assert not own, f"{path.name} defines {own}: import them from protocol.ts"


def test_the_transport_probe_is_the_same_bytes_on_both_sides():
    found = re.search(r"export const TRANSPORT_PROBE: Uint8Array = new Uint8Array\(\[([^\]]*)\]\);", (JS / "protocol.ts").read_text())
    assert found, "js/protocol.ts no longer declares TRANSPORT_PROBE"
    assert bytes(int(v, 0) for v in found.group(1).split(",")) == protocol.TRANSPORT_PROBE
