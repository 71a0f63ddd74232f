"""The atlas directory: one PNG per unit, ``atlas.json``, written so that nothing is ever half there.

Layout::

    DIR/atlas.json            header (model, settings, runs with software versions) + one record per unit
    DIR/index.html            a static page to browse it (see :mod:`.html`)
    DIR/<layer>/<channel>.png the unit's picture; its record is also inside, in a PNG text chunk
    DIR/<layer>/<channel>.mask.png  its transparency mask, for parameterizations that give one
                              (``maco``): white, the mask as alpha; its record names it ``mask_file``

Every file is written to a hidden temporary name beside it and renamed into place
(``os.replace``, atomic on POSIX and Windows), so a reader or a resumed run sees a
file whole or not at all. ``atlas.json`` is rewritten at most every
:data:`FLUSH_EVERY_S` seconds (and always at the end); a unit whose PNG landed
after the last rewrite is recovered from the record inside its PNG, so a killed
run loses at most the tasks that were in flight. Temporary files left by a
killed process are removed when the directory is opened again.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from .plan import Unit
from .work import UnitResult, png_record

FORMAT = "cnnwidget.atlas/1"
ATLAS_JSON = "atlas.json"
FLUSH_EVERY_S = 2.0
TMP_PREFIX = ".tmp-"
IDENTITY = ("model", "weights", "settings")
"""Header fields that must match for a run to add to an existing atlas."""


class AtlasError(RuntimeError):
    """An atlas that cannot be made or read as asked; the message names the fix."""


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename; never leaves a partial file."""
    path = Path(path)
    tmp = path.with_name(f"{TMP_PREFIX}{os.getpid()}-{path.name}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def layer_dir(layer: str) -> str:
    """The folder name of ``layer`` (its name, with anything unsafe in a path replaced by ``_``)."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", layer)
    return "_" + name if name in ("", ".", "..") or name.startswith(TMP_PREFIX) else name


class AtlasStore:
    """An atlas directory, for writing (:meth:`create_or_resume`) or reading (:meth:`open`).

    Attributes:
        root: the directory.
        header: ``{"format", "model", "weights", "settings", "layers", "runs"}``.
        records: ``Unit -> record`` of every finished unit.
    """

    def __init__(self, root: Path, header: dict, records: dict[Unit, dict]) -> None:
        self.root = Path(root)
        self.header = header
        self.records = records
        self._dirty = False
        self._flushed_at = 0.0

    # ----- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, root) -> "AtlasStore":
        """Read an existing atlas (raises :class:`AtlasError` when ``root`` holds none)."""
        root = Path(root)
        path = root / ATLAS_JSON
        if not path.is_file():
            raise AtlasError(
                f"no atlas at {str(root)!r} ({ATLAS_JSON} is missing); make one with "
                f"`cnnwidget atlas MODEL --layers ... --out {root}`"
            )
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise AtlasError(f"cannot read {path}: {err}; delete it to rebuild it from the PNGs") from None
        if data.get("format") != FORMAT:
            raise AtlasError(f"{path} is not a cnnwidget atlas ({FORMAT}); choose another directory")
        records = {}
        for record in data.get("units", []):
            unit = Unit(record["layer"], int(record["unit"]))
            if (root / record["file"]).is_file():
                records[unit] = record
        header = {k: v for k, v in data.items() if k != "units"}
        store = cls(root, header, records)
        store._recover()
        return store

    @classmethod
    def create_or_resume(cls, root, header: dict) -> "AtlasStore":
        """Open ``root`` for a run described by ``header`` (``model``, ``weights``, ``settings``, ``layers``).

        A new directory gets a fresh atlas; an existing atlas must have been made with the
        same model, weights and settings (:class:`AtlasError` otherwise).
        """
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise AtlasError(f"{str(root)!r} is a file; give a directory for the atlas")
        root.mkdir(parents=True, exist_ok=True)
        _remove_temporaries(root)
        if (root / ATLAS_JSON).is_file():
            store = cls.open(root)
            for key in IDENTITY:
                if store.header.get(key) != header.get(key):
                    raise AtlasError(
                        f"{root} holds an atlas made with {key}={store.header.get(key)!r}, not "
                        f"{header.get(key)!r}; rerun with the same settings to resume it, or choose another --out"
                    )
            store.header["layers"] = {**store.header.get("layers", {}), **header.get("layers", {})}
        else:
            store = cls(root, {"format": FORMAT, **header, "runs": []}, {})
            store._dirty = True
            store._recover()  # PNGs of a run killed before its first atlas.json
        return store

    def _recover(self) -> None:
        """Adopt finished PNGs that ``atlas.json`` does not list yet, from the records inside them."""
        settings = self.header.get("settings")
        for png in self.root.glob("*/*.png"):
            if png.name.startswith(TMP_PREFIX):
                continue
            record = png_record(str(png))
            if not record or "layer" not in record or "unit" not in record:
                continue
            unit = Unit(record["layer"], int(record["unit"]))
            if unit in self.records or self.file_of(unit) != png.relative_to(self.root).as_posix():
                continue
            if settings is not None and any(record.get(k) != v for k, v in _unit_settings(settings).items()):
                continue
            self.records[unit] = {**record, "file": self.file_of(unit)}
            if (self.root / self.mask_of(unit)).is_file():
                self.records[unit]["mask_file"] = self.mask_of(unit)
            self._dirty = True

    # ----- writing ---------------------------------------------------------------------------

    def start_run(self, info: dict) -> int:
        """Record a run (executor, software versions, start time); returns its number."""
        runs = self.header.setdefault("runs", [])
        runs.append({"id": len(runs), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **info})
        self._dirty = True
        return len(runs) - 1

    def done(self, unit: Unit) -> bool:
        """Whether ``unit`` is finished (its record is known and its PNG exists)."""
        record = self.records.get(unit)
        return record is not None and (self.root / record["file"]).is_file()

    def add(self, result: UnitResult, run: int | None = None) -> dict:
        """Store one finished unit: its PNG (atomically), then its record; returns the record."""
        unit = Unit(result.layer, result.channel)
        record = dict(result.record)
        record["file"] = self.file_of(unit)
        if run is not None:
            record["run"] = run
        path = self.root / record["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        if result.mask is not None:  # before the picture: a unit whose picture is there has its mask too
            record["mask_file"] = self.mask_of(unit)
            atomic_write(self.root / record["mask_file"], result.mask)
        atomic_write(path, result.png)
        self.records[unit] = record
        self._dirty = True
        return record

    def flush(self, force: bool = False) -> None:
        """Rewrite ``atlas.json`` (atomically) if anything changed and it is due (or ``force``)."""
        if not self._dirty or (not force and time.monotonic() - self._flushed_at < FLUSH_EVERY_S):
            return
        units = [self.records[u] for u in sorted(self.records)]
        data = {**self.header, "units": units}
        atomic_write(self.root / ATLAS_JSON, json.dumps(data, indent=1).encode())
        self._dirty = False
        self._flushed_at = time.monotonic()

    # ----- reading ---------------------------------------------------------------------------

    @staticmethod
    def file_of(unit: Unit) -> str:
        """The PNG of ``unit``, relative to the atlas directory (POSIX separators)."""
        return f"{layer_dir(unit.layer)}/{int(unit.channel)}.png"

    @staticmethod
    def mask_of(unit: Unit) -> str:
        """The mask PNG of ``unit``, relative to the atlas directory (present only for masked parameterizations)."""
        return f"{layer_dir(unit.layer)}/{int(unit.channel)}.mask.png"

    def path_of(self, unit: Unit) -> Path:
        """The PNG of ``unit`` on disk."""
        return self.root / self.file_of(unit)

    def units(self) -> dict[str, list[int]]:
        """``layer -> sorted channels`` of every finished unit."""
        out: dict[str, list[int]] = {}
        for unit in sorted(self.records):
            out.setdefault(unit.layer, []).append(unit.channel)
        return out

    def png(self, unit: Unit) -> bytes | None:
        """The PNG bytes of ``unit``, ``None`` when it is not in the atlas."""
        if not self.done(unit):
            return None
        return self.path_of(unit).read_bytes()


def _unit_settings(settings: dict) -> dict:
    return {"steps": settings.get("steps"), "size": settings.get("size"),
            "global_seed": settings.get("seed"), "param": settings.get("param"), "batch": settings.get("batch"),
            "precision": settings.get("precision")}


def _remove_temporaries(root: Path) -> None:
    for tmp in list(root.glob(f"{TMP_PREFIX}*")) + list(root.glob(f"*/{TMP_PREFIX}*")):
        tmp.unlink(missing_ok=True)


__all__ = ["ATLAS_JSON", "AtlasError", "AtlasStore", "FORMAT", "atomic_write", "layer_dir"]
