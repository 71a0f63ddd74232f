"""The index directory: one SQLite file (standard library, opens in pandas or DuckDB in one line) plus crops.

Layout::

    OUT/examples.sqlite                       the tables below
    OUT/crops/<item>/<left>-<top>-<right>-<bottom>.jpg   receptive-field crops (one per picture and box,
                                              shared by the units that peak there)
    OUT/images/<item>.jpg                     whole pictures of examples that have no file (in-memory sources)

Tables (``examples`` and ``units`` are the ones to read)::

    examples(layer, channel, kind 'top'|'bottom', rank 0.., score, item, path, label,
             peak_y, peak_x, map_h, map_w,                 -- the peak on the layer's map
             box_left, box_top, box_right, box_bottom,     -- receptive field in picture pixels
             width, height, crop, image)                   -- picture size; files relative to OUT
    units(layer, channel, images, mean, max, min, fires, histogram)
             -- fires: share of images with maximum > 0; histogram: JSON counts over
             -- cnnwidget.dataset_examples.partial.HIST_EDGES
    skipped(shard, item, what, reason)   -- shard NULL: found while listing the source
    shards(shard, start, stop, images, skipped, seconds)    -- finished shards (resume)
    partials(shard, layer, data)         -- their exact top-k summaries (numpy .npz bytes)
    runs(run, started, executor, images, seconds, versions)
    meta(key, value)                     -- format, settings (JSON), layers (JSON), status

Read it with ``pandas.read_sql("SELECT * FROM examples", sqlite3.connect("OUT/examples.sqlite"))``
or ``duckdb.sql("SELECT * FROM sqlite_scan('OUT/examples.sqlite', 'examples')")``.

A shard's summary, its skipped items and its row in ``shards`` are written in one
transaction, so a killed run leaves whole shards or none; a rerun does only the rest.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from .partial import LayerPartial
from .settings import ExamplesSettings
from .sources import ExamplesError

FORMAT = "cnnwidget.dataset_examples/1"
DB = "examples.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS shards (shard INTEGER PRIMARY KEY, start INTEGER, stop INTEGER, images INTEGER,
    skipped INTEGER, seconds REAL);
CREATE TABLE IF NOT EXISTS partials (shard INTEGER, layer TEXT, data BLOB, PRIMARY KEY (shard, layer));
CREATE TABLE IF NOT EXISTS skipped (shard INTEGER, item INTEGER, what TEXT, reason TEXT);
CREATE TABLE IF NOT EXISTS runs (run INTEGER PRIMARY KEY, started TEXT, executor TEXT, images INTEGER,
    seconds REAL, versions TEXT);
CREATE TABLE IF NOT EXISTS examples (layer TEXT, channel INTEGER, kind TEXT, rank INTEGER, score REAL,
    item INTEGER, path TEXT, label TEXT, peak_y INTEGER, peak_x INTEGER, map_h INTEGER, map_w INTEGER,
    box_left INTEGER, box_top INTEGER, box_right INTEGER, box_bottom INTEGER, width INTEGER, height INTEGER,
    crop TEXT, image TEXT, PRIMARY KEY (layer, channel, kind, rank));
CREATE TABLE IF NOT EXISTS units (layer TEXT, channel INTEGER, images INTEGER, mean REAL, max REAL, min REAL,
    fires REAL, histogram TEXT, PRIMARY KEY (layer, channel));
"""


class ExamplesStore:
    """The SQLite file of an index directory."""

    def __init__(self, root: Path, db: sqlite3.Connection) -> None:
        self.root, self.db = Path(root), db

    @classmethod
    def open(cls, root) -> "ExamplesStore":
        """An existing index (:class:`ExamplesError` when ``root`` holds none)."""
        root = Path(root)
        path = root / DB
        if not path.is_file():
            raise ExamplesError(f"no dataset examples at {str(root)!r} ({DB} is missing); make them with "
                                f"cnnwidget.dataset_examples(model, source, layers, out={str(root)!r}) or "
                                f"`cnnwidget examples MODEL SOURCE --layers ... --out {root}`")
        db = sqlite3.connect(path, check_same_thread=False)
        store = cls(root, db)
        if store.meta("format") != FORMAT:
            db.close()
            raise ExamplesError(f"{path} is not a cnnwidget dataset-examples index; choose another directory")
        return store

    @classmethod
    def create_or_resume(cls, root, settings: ExamplesSettings, layers: dict, listing_skips) -> "ExamplesStore":
        """Open ``root`` for a run with ``settings``; an index made with other settings is refused."""
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise ExamplesError(f"{str(root)!r} is a file; give a directory for out")
        if (root / DB).is_file():
            store = cls.open(root)
            stored = json.loads(store.meta("settings") or "{}")
            diffs = settings.differences(stored)
            if diffs:
                key, old, new = diffs[0]
                store.db.close()
                raise ExamplesError(
                    f"{root} holds dataset examples made with {key}={old!r}, not {new!r}; rerun with the same "
                    f"settings to resume it, or choose another out directory (--out)")
            return store
        root.mkdir(parents=True, exist_ok=True)
        if any(p.name != DB for p in root.iterdir()):
            raise ExamplesError(f"{root} is not empty and holds no dataset examples; choose an empty or new "
                                "directory for out (nothing is written into other folders)")
        db = sqlite3.connect(root / DB, check_same_thread=False)
        store = cls(root, db)
        with db:
            db.executescript(_SCHEMA)
            for key, value in (("format", FORMAT), ("settings", json.dumps(settings.to_json())),
                               ("layers", json.dumps(layers)), ("status", "scanning")):
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
            db.executemany("INSERT INTO skipped VALUES (NULL, NULL, ?, ?)", listing_skips)
        return store

    # ----- meta ------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        """A value of the ``meta`` table."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the ``meta`` table."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def settings(self) -> dict:
        """The settings the index was made with."""
        return json.loads(self.meta("settings") or "{}")

    @property
    def layers(self) -> dict:
        """``{layer: {"channels", "map": [h, w], "receptive_field", "input": [H, W]}}``."""
        return json.loads(self.meta("layers") or "{}")

    # ----- shards ----------------------------------------------------------------------------

    def finished_shards(self) -> set[int]:
        """Numbers of the shards already done."""
        return {row[0] for row in self.db.execute("SELECT shard FROM shards")}

    def add_shard(self, shard, parts: dict[str, bytes], images: int, skipped: list[tuple[int, str, str]],
                  seconds: float) -> None:
        """Store a finished shard's summary, its skipped items and its row, in one transaction."""
        with self.db:
            self.db.execute("DELETE FROM partials WHERE shard = ?", (shard.index,))
            self.db.execute("DELETE FROM skipped WHERE shard = ?", (shard.index,))
            self.db.executemany("INSERT INTO partials VALUES (?, ?, ?)",
                                [(shard.index, name, data) for name, data in parts.items()])
            self.db.executemany("INSERT INTO skipped VALUES (?, ?, ?, ?)",
                                [(shard.index, item, what, reason) for item, what, reason in skipped])
            self.db.execute("INSERT OR REPLACE INTO shards VALUES (?, ?, ?, ?, ?, ?)",
                            (shard.index, shard.start, shard.stop, images, len(skipped), seconds))

    def partials(self):
        """``{layer: LayerPartial}`` of every finished shard, in shard order."""
        current, parts = None, {}
        for shard, layer, data in self.db.execute("SELECT shard, layer, data FROM partials ORDER BY shard, layer"):
            if current is not None and shard != current:
                yield parts
                parts = {}
            current = shard
            parts[layer] = LayerPartial.from_bytes(data)
        if parts:
            yield parts

    # ----- runs and results ------------------------------------------------------------------

    def start_run(self, executor: str, versions: dict) -> int:
        """Record a run; returns its number."""
        with self.db:
            cur = self.db.execute("INSERT INTO runs (started, executor, images, seconds, versions) VALUES (?, ?, 0, 0, ?)",
                                  (time.strftime("%Y-%m-%dT%H:%M:%S%z"), executor, json.dumps(versions)))
        return int(cur.lastrowid)

    def end_run(self, run: int, images: int, seconds: float) -> None:
        """Record what a run did."""
        with self.db:
            self.db.execute("UPDATE runs SET images = ?, seconds = ? WHERE run = ?", (images, seconds, run))

    def write_results(self, examples: list[tuple], units: list[tuple]) -> None:
        """Replace the ``examples`` and ``units`` tables and mark the index complete, in one transaction."""
        with self.db:
            self.db.execute("DELETE FROM examples")
            self.db.execute("DELETE FROM units")
            self.db.executemany(f"INSERT INTO examples VALUES ({', '.join('?' * 20)})", examples)
            self.db.executemany("INSERT INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?)", units)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('status', 'complete')")

    def close(self) -> None:
        """Close the database."""
        self.db.close()


__all__ = ["DB", "ExamplesStore", "FORMAT"]
