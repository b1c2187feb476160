"""Run history: every run's configuration, curve and outcome, kept in one SQLite file.

The store is plain `sqlite3` in WAL mode, so a dashboard and a headless sweep can write to one file at the same
time (each waits up to `BUSY_TIMEOUT_S` for the other's lock) and a reader never blocks a writer. Curves are
written as a run goes: `RunRecorder` commits buffered points at least every `FLUSH_SECONDS`, so a killed process
loses at most the last second of its curve.

Faults (a file that is not a database, one from a newer xortui, a read-only file, a full disk) are raised as
`StoreError` with one line fit to show a user. The store never deletes or rewrites a file it does not recognise:
it reads before it writes, and refuses to write to anything that is not an xortui store of a known version.

This module must stay cheap to import (the dashboard shows its first frame before torch loads): no torch, no UI.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import platform
import shlex
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from xortui import __version__

ENV_VAR = "XORTUI_STORE"
SCHEMA_VERSION = 3
BUSY_TIMEOUT_S = 15.0  # a long sweep commit or a dashboard's flush never holds the lock anywhere near this long
FLUSH_SECONDS = 0.5  # RunRecorder commits at least this often, keeping the crash loss under a second
ALIVE_SECONDS = 2.0  # a recording run says it is alive at least this often, points or not ...
STALE_SECONDS = 15.0  # ... and a 'running' run silent for longer is shown as interrupted

RUNNING = "running"
INTERRUPTED = "interrupted"  # shown, never stored: a 'running' run whose process ended (killed, terminal closed)
FINAL_STATES = ("finished", "stopped", "diverged", "failed")
STATES = (RUNNING, INTERRUPTED, *FINAL_STATES)

# Order of options in a reproduce command; keys not listed follow in alphabetical order.
_OPTION_ORDER = ("preset", "layers", "depth", "width", "activation", "head", "optimizer", "lr", "steps", "seed",
                 "device", "log_every", "task")

# SQLite primary result codes (the low byte of an extended code) that have their own message.
_SQLITE_BUSY, _SQLITE_READONLY, _SQLITE_CORRUPT, _SQLITE_CANTOPEN, _SQLITE_FULL, _SQLITE_NOTADB = 5, 8, 11, 14, 13, 26


class StoreError(Exception):
    """The store cannot be used; the message is one line fit to show a user."""


class UnknownRunError(StoreError, LookupError):
    """No run (or sweep) with the given id."""


# ---------------------------------------------------------------------------------------------- schema

# Each migration takes the schema from version N-1 to N. A new store runs all of them, so the path an old store
# takes is the path every store takes, and the tests of a fresh store exercise the migrations too.
_MIGRATIONS: dict[int, str] = {
    1: """
        CREATE TABLE schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version (version) VALUES (0);
        CREATE TABLE runs (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: a deleted run's id is never reused
            config      TEXT NOT NULL,      -- JSON: ExperimentConfig.as_dict()
            versions    TEXT NOT NULL,      -- JSON: {"xortui": ..., "torch": ..., "python": ...}
            device      TEXT NOT NULL,
            command     TEXT,               -- the command line that started the run, as given
            started_at  REAL NOT NULL,      -- Unix time
            ended_at    REAL,
            state       TEXT NOT NULL,
            final       TEXT                -- JSON: outputs, predictions, accuracy, verdict, ...
        );
        CREATE TABLE points (
            run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            step    INTEGER NOT NULL,
            loss    REAL,                   -- NULL is NaN: SQLite stores a NaN REAL as NULL anyway
            PRIMARY KEY (run_id, step)
        ) WITHOUT ROWID;
    """,
    2: """
        -- dead-unit and gradient facts, and sweeps as groups of runs with their summary table
        ALTER TABLE runs ADD COLUMN facts TEXT;
        CREATE TABLE sweeps (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            config      TEXT NOT NULL,      -- JSON: what was swept and the base configuration
            command     TEXT,
            started_at  REAL NOT NULL,
            ended_at    REAL,
            state       TEXT NOT NULL,
            summary     TEXT                -- JSON: the summary table, as rows
        );
        ALTER TABLE runs ADD COLUMN sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL;
        CREATE INDEX runs_sweep ON runs(sweep_id);
    """,
    3: """
        -- a running run's last sign of life (Unix time): a killed process's run stops renewing it
        ALTER TABLE runs ADD COLUMN alive_at REAL;
    """,
}
assert max(_MIGRATIONS) == SCHEMA_VERSION


def default_store_path() -> Path:
    """$XORTUI_STORE, else the user's data directory (e.g. ~/.local/share/xortui/runs.db)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs  # here, not at the top: only needed when no path is given

    return Path(platformdirs.user_data_dir("xortui", appauthor=False)) / "runs.db"


def default_versions() -> dict[str, str | None]:
    """Versions worth keeping with a run, found without importing torch (importing it costs seconds)."""
    from importlib import metadata  # here: it costs 20 ms at import, before the dashboard's first frame

    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = None
    return {"xortui": __version__, "torch": torch_version, "python": platform.python_version()}


# ---------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class RunRecord:
    """One stored run, without its curve (see `RunStore.curve`)."""

    id: int
    config: dict[str, Any]
    versions: dict[str, Any]
    device: str
    command: str | None
    started_at: float
    ended_at: float | None
    state: str
    final: dict[str, Any] | None
    facts: dict[str, Any] | None
    sweep_id: int | None
    n_points: int = 0
    last_step: int | None = None
    last_loss: float | None = None  # the curve's last point: the run's loss so far when it is still running

    @property
    def accuracy(self) -> float | None:
        return _number((self.final or {}).get("accuracy"))

    @property
    def verdict(self) -> str | None:
        verdict = (self.final or {}).get("verdict")
        return None if verdict is None else str(verdict)

    @property
    def final_loss(self) -> float | None:
        loss = _number((self.final or {}).get("loss"))
        return self.last_loss if loss is None else loss

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at

    @property
    def reproduce(self) -> str:
        return reproduce_command(self.config)

    def search_text(self) -> str:
        """What a text filter matches against: id, state, device, verdict, command and every config value."""
        parts = [str(self.id), f"#{self.id}", self.state, self.device, self.verdict or "", self.command or ""]
        for key, value in self.config.items():
            text = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
            parts += [text, f"{key}={text}"]
        return " ".join(parts).lower()

    def sort_key(self, column: str) -> Any:
        """A value to sort by for `column`: a record field or property, else a config key."""
        if column in ("loss", "final_loss"):
            return self.final_loss
        if column in ("started", "time"):
            return self.started_at
        if hasattr(self, column) and not callable(getattr(self, column)):
            return getattr(self, column)
        return self.config.get(column)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "state": self.state, "config": self.config, "versions": self.versions,
            "device": self.device, "command": self.command, "reproduce": self.reproduce,
            "started_at": self.started_at, "ended_at": self.ended_at, "final": self.final, "facts": self.facts,
            "sweep_id": self.sweep_id, "n_points": self.n_points,
        }


@dataclass(frozen=True)
class SweepRecord:
    id: int
    config: dict[str, Any]
    command: str | None
    started_at: float
    ended_at: float | None
    state: str
    summary: Any
    run_ids: tuple[int, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "state": self.state, "config": self.config, "command": self.command,
            "started_at": self.started_at, "ended_at": self.ended_at, "summary": self.summary,
            "run_ids": list(self.run_ids),
        }


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _dumps(value: Any) -> str:
    # NaN and infinities are written as Python's json writes them (NaN, Infinity) and read back the same way:
    # a diverged run's final loss is NaN, and it must come back as NaN, not as an error.
    return json.dumps(value, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if hasattr(value, "tolist"):  # a tensor or array handed over by mistake: keep its numbers
        return value.tolist()
    return str(value)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def reproduce_command(config: dict[str, Any], options: Iterable[str] | None = None, program: str = "xortui run") -> str:
    """The `xortui run ...` command line that trains `config` again, built from its keys: `log_every` becomes
    `--log-every`, a list becomes comma-joined (`layers` [2, 2, 1] -> `--layers 2,2,1`), None is left out.

    `options`, when given, names the options (`log_every` or `log-every`) the run command accepts; keys it does
    not accept are left out, so a command built before a new option existed still runs."""
    accepted = None if options is None else {o.lstrip("-").replace("-", "_") for o in options}
    keys = [k for k in _OPTION_ORDER if k in config] + sorted(k for k in config if k not in _OPTION_ORDER)
    words = [program]
    for key in keys:
        value = config[key]
        if value is None or (accepted is not None and key not in accepted):
            continue
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            if value:
                words.append(flag)
            continue
        if isinstance(value, (list, tuple)):
            text = ",".join(str(v) for v in value)
        elif isinstance(value, float):
            text = repr(value)  # repr round-trips exactly: the same lr gives the same losses
        else:
            text = str(value)
        words += [flag, shlex.quote(text)]
    return " ".join(words)


@contextlib.contextmanager
def _setup_lock(path: Path):
    """One process at a time sets a store file up (the switch to WAL, migrations): two processes opening a new
    store at once could each hold SQLite's shared lock while waiting for the exclusive one, until one gave up
    after BUSY_TIMEOUT_S (seen in a test). The lock is on a file in the temporary folder named after the store's
    path, never on the database itself (closing any handle on it would drop SQLite's POSIX locks) nor beside it
    (the store's folder is left as it was)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: SQLite's own busy handling only
        yield
        return
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    try:
        handle = open(Path(tempfile.gettempdir()) / f"xortui-store-{key}.lock", "a")
    except OSError:  # no usable temporary folder: SQLite's own busy handling only
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------- the store


def open_store(path: str | os.PathLike | None = None, *, readonly: bool = False) -> "RunStore":
    """Open (creating when needed, unless `readonly`) the run store at `path`, `$XORTUI_STORE` or the user's data
    directory. Raises StoreError for a store that cannot be used; never changes a file it does not recognise."""
    return RunStore(_resolve(path), readonly=readonly)


def open_store_for_reading(path: str | os.PathLike | None = None) -> "RunStore | None":
    """For listing and exporting: None when there is no store yet (nothing is created); a store that can be
    written to is opened normally (so an older one is migrated); a read-only file is opened read-only, so its
    runs can still be listed."""
    resolved = _resolve(path)
    if not resolved.exists():
        return None
    writable = os.access(resolved, os.W_OK) and os.access(resolved.parent, os.W_OK)
    return RunStore(resolved, readonly=not writable)


def try_open_store(path: str | os.PathLike | None = None) -> "tuple[RunStore | None, StoreError | None]":
    """For recording: (store, None), or (None, error) when the store cannot be used, so training can go on
    without recording after showing `error` to the user."""
    try:
        return open_store(path), None
    except StoreError as exc:
        return None, exc


def _resolve(path: str | os.PathLike | None) -> Path:
    return default_store_path() if path is None or str(path) == "" else Path(path).expanduser()


class RunStore:
    """One connection to a run store. Safe to share between threads (calls are serialised by a lock), and many
    processes may open the same file at once."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        try:
            with self._errors("cannot be opened"):
                self._open()
        except BaseException:
            self.close()  # leave no handle on a file we refused
            raise

    # -------------------------------------------------------------------- opening

    def _open(self) -> None:
        exists = self.path.exists()
        if self.path.is_dir():
            raise self._error("is a directory, not a file")
        if self.readonly:
            if not exists:
                raise self._error("does not exist (no runs recorded yet)")
            uri = self.path.resolve().as_uri() + "?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S,
                                       isolation_level=None, check_same_thread=False)
        else:
            if exists and not os.access(self.path, os.W_OK):
                # SQLite would quietly open it read-only and fail at the first write, mid-run; say so now.
                raise self._error("is read-only (check its permissions, or use another --store)")
            if not exists and not self.path.parent.is_dir():
                if self.path != default_store_path():  # a path the user gave: a typo must not make folders
                    raise self._error(f"its folder {self.path.parent} does not exist")
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise self._error(f"cannot create its folder: {exc.strerror or exc}") from None
            with _setup_lock(self.path):
                self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S,
                                           isolation_level=None, check_same_thread=False)
                self._set_up()
            return
        self._set_up()

    def _set_up(self) -> None:
        db = self._db
        # Read before writing anything: a file that is not a database, or that belongs to something else, fails
        # here and is left exactly as it was.
        version = self._schema_version()
        if version > SCHEMA_VERSION:
            raise self._error(
                f"was written by a newer xortui (store version {version}, this xortui reads up to "
                f"{SCHEMA_VERSION}); upgrade xortui or use another --store"
            )
        db.execute("PRAGMA foreign_keys = ON")
        if self.readonly:
            if version < SCHEMA_VERSION:
                raise self._error(f"is an older store (version {version}) and must be upgraded by a write; "
                                  "open it once without read-only")
            return
        if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            # WAL: readers and one writer at a time without blocking each other; the setting stays in the file.
            db.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode: a commit survives the process being killed (it is in the OS's cache); only a power
        # cut can lose the last commits. FULL would fsync every flush for no gain against crashes.
        db.execute("PRAGMA synchronous = NORMAL")
        if version < SCHEMA_VERSION:
            self._migrate(SCHEMA_VERSION)

    def _schema_version(self) -> int:
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return 0  # a new (or empty) file
        if "schema_version" not in tables:
            raise self._error("is an SQLite database but not an xortui run store; left untouched")
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        if row is None or not isinstance(row[0], int):
            raise self._error("has no readable store version; left untouched")
        return row[0]

    def _migrate(self, target: int) -> None:
        """Bring the schema up to `target`, one version per transaction. BEGIN IMMEDIATE takes the write lock
        before the version is read again, so two processes opening a new store at once migrate it once."""
        while True:
            with self._write():
                current = self._schema_version()
                if current >= target:
                    return
                nxt = current + 1
                # executescript would commit our transaction first; run the statements one by one instead.
                for statement in _split_sql(_MIGRATIONS[nxt]):
                    self._db.execute(statement)
                self._db.execute("UPDATE schema_version SET version = ?", (nxt,))

    # -------------------------------------------------------------------- plumbing

    def _error(self, reason: str) -> StoreError:
        return StoreError(f"run store {self.path}: {reason}")

    def _errors(self, action: str):
        return _ErrorTranslator(self, action)

    def _write(self):
        return _WriteTransaction(self)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise self._error("is closed")
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                try:
                    self._db.close()
                finally:
                    self._db = None

    def __enter__(self) -> "RunStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._lock, self._errors("cannot be read"):
            return self._schema_version()

    # -------------------------------------------------------------------- runs: writing

    def begin_run(
        self,
        config: dict[str, Any],
        *,
        device: str,
        versions: dict[str, Any] | None = None,
        command: str | None = None,
        sweep_id: int | None = None,
        started_at: float | None = None,
    ) -> int:
        """Record a new run in state 'running'; returns its id. `versions` is merged over `default_versions()`.
        Until it is finished, the writer renews its sign of life (`append_points`, `touch_run`) at least every
        STALE_SECONDS, or readers show it as interrupted."""
        merged = {**default_versions(), **(versions or {})}
        started = time.time() if started_at is None else started_at
        with self._write():
            cursor = self._conn().execute(
                "INSERT INTO runs (config, versions, device, command, started_at, state, sweep_id, alive_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (_dumps(config), _dumps(merged), device, command, started, RUNNING, sweep_id, started),
            )
            return int(cursor.lastrowid)

    def append_points(self, run_id: int, points: Iterable[tuple[int, float]]) -> None:
        """Add (step, loss) points to a run's curve, committed before this returns. A step written twice keeps
        the later loss."""
        rows = [(run_id, int(step), _loss_in(loss)) for step, loss in points]
        if not rows:
            return
        with self._write():
            self._conn().executemany("INSERT OR REPLACE INTO points (run_id, step, loss) VALUES (?, ?, ?)", rows)
            self._conn().execute("UPDATE runs SET alive_at = ? WHERE id = ?", (time.time(), run_id))

    def touch_run(self, run_id: int) -> None:
        """Say that a running run's process is still at work (points or not)."""
        with self._write():
            self._conn().execute("UPDATE runs SET alive_at = ? WHERE id = ?", (time.time(), run_id))

    def finish_run(
        self,
        run_id: int,
        state: str,
        final: dict[str, Any] | None = None,
        facts: dict[str, Any] | None = None,
        ended_at: float | None = None,
    ) -> None:
        """Close a run: `state` is one of FINAL_STATES; `final` holds outputs, predictions, accuracy, verdict,
        loss...; `facts` the dead-unit and gradient facts, where there are any."""
        if state not in FINAL_STATES:
            raise ValueError(f"state must be one of {', '.join(FINAL_STATES)} (got {state!r})")
        with self._write():
            cursor = self._conn().execute(
                "UPDATE runs SET state = ?, final = ?, facts = COALESCE(?, facts), ended_at = ? WHERE id = ?",
                (state, _dumps(final or {}), None if facts is None else _dumps(facts),
                 time.time() if ended_at is None else ended_at, run_id),
            )
            if cursor.rowcount == 0:
                raise UnknownRunError(f"no run with id {run_id}")

    def set_facts(self, run_id: int, facts: dict[str, Any]) -> None:
        with self._write():
            cursor = self._conn().execute("UPDATE runs SET facts = ? WHERE id = ?", (_dumps(facts), run_id))
            if cursor.rowcount == 0:
                raise UnknownRunError(f"no run with id {run_id}")

    def delete_run(self, run_id: int) -> None:
        """Delete a run and its curve; UnknownRunError when there is no such run."""
        with self._write():
            cursor = self._conn().execute("DELETE FROM runs WHERE id = ?", (run_id,))
            if cursor.rowcount == 0:
                raise UnknownRunError(f"no run with id {run_id}")

    # -------------------------------------------------------------------- runs: reading

    _RUN_SELECT = """
        SELECT r.id, r.config, r.versions, r.device, r.command, r.started_at, r.ended_at, r.state, r.final,
               r.facts, r.sweep_id,
               (SELECT COUNT(*) FROM points p WHERE p.run_id = r.id),
               (SELECT MAX(step) FROM points p WHERE p.run_id = r.id),
               (SELECT loss FROM points p WHERE p.run_id = r.id ORDER BY step DESC LIMIT 1),
               r.alive_at
        FROM runs r
    """

    def _record(self, row: Sequence[Any]) -> RunRecord:
        n_points, last_step, last_loss, alive_at = row[11], row[12], row[13], row[14]
        state = row[7]
        if state == RUNNING and time.time() - (alive_at if alive_at is not None else row[5]) > STALE_SECONDS:
            state = INTERRUPTED
        return RunRecord(
            id=row[0], config=_loads(row[1]), versions=_loads(row[2]), device=row[3], command=row[4],
            started_at=row[5], ended_at=row[6], state=state, final=_loads(row[8]), facts=_loads(row[9]),
            sweep_id=row[10], n_points=n_points, last_step=last_step,
            last_loss=_loss_out(last_loss) if n_points else None,
        )

    def get_run(self, run_id: int) -> RunRecord:
        with self._lock, self._errors("cannot be read"):
            row = self._conn().execute(self._RUN_SELECT + " WHERE r.id = ?", (run_id,)).fetchone()
        if row is None:
            raise UnknownRunError(f"no run with id {run_id}")
        return self._record(row)

    def list_runs(
        self,
        text_filter: str | None = None,
        order_by: str = "started_at",
        descending: bool = True,
        sweep_id: int | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Runs, newest first by default. `text_filter`: every word must begin a word of the run's id, state,
        device, verdict, command or configuration (`relu`, `lr=0.5`, `finished 2,4,1`; `relu` does not match
        prelu or leaky_relu, `rel` matches relu). `order_by`: a RunRecord field
        or property (id, state, accuracy, final_loss/loss, verdict, duration...) or a config key (lr, seed...);
        runs without a value sort last either way."""
        query, params = self._RUN_SELECT, ()
        if sweep_id is not None:
            query, params = query + " WHERE r.sweep_id = ?", (sweep_id,)
        with self._lock, self._errors("cannot be read"):
            rows = self._conn().execute(query + " ORDER BY r.id", params).fetchall()
        runs = [self._record(row) for row in rows]
        if text_filter and text_filter.strip():
            words = text_filter.lower().split()
            runs = [run for run in runs if _matches(words, run.search_text().split())]
        runs = _sorted(runs, order_by, descending)
        return runs if limit is None else runs[:limit]

    def curve(self, run_id: int) -> list[tuple[int, float]]:
        """The run's (step, loss) points in step order; NaN losses come back as NaN."""
        with self._lock, self._errors("cannot be read"):
            db = self._conn()
            if db.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
                raise UnknownRunError(f"no run with id {run_id}")
            rows = db.execute("SELECT step, loss FROM points WHERE run_id = ? ORDER BY step", (run_id,)).fetchall()
        return [(step, _loss_out(loss)) for step, loss in rows]

    def curves(self, run_ids: Iterable[int]) -> dict[int, list[tuple[int, float]]]:
        return {run_id: self.curve(run_id) for run_id in run_ids}

    # -------------------------------------------------------------------- sweeps

    def begin_sweep(self, config: dict[str, Any], command: str | None = None) -> int:
        """Record a sweep (a group of runs); pass its id as `begin_run(..., sweep_id=)` for each of its runs."""
        with self._write():
            cursor = self._conn().execute(
                "INSERT INTO sweeps (config, command, started_at, state) VALUES (?, ?, ?, ?)",
                (_dumps(config), command, time.time(), RUNNING),
            )
            return int(cursor.lastrowid)

    def finish_sweep(self, sweep_id: int, state: str, summary: Any) -> None:
        """Close a sweep with its summary table (JSON-able, e.g. a list of row dicts)."""
        if state not in FINAL_STATES:
            raise ValueError(f"state must be one of {', '.join(FINAL_STATES)} (got {state!r})")
        with self._write():
            cursor = self._conn().execute(
                "UPDATE sweeps SET state = ?, summary = ?, ended_at = ? WHERE id = ?",
                (state, _dumps(summary), time.time(), sweep_id),
            )
            if cursor.rowcount == 0:
                raise UnknownRunError(f"no sweep with id {sweep_id}")

    def get_sweep(self, sweep_id: int) -> SweepRecord:
        with self._lock, self._errors("cannot be read"):
            db = self._conn()
            row = db.execute("SELECT id, config, command, started_at, ended_at, state, summary FROM sweeps"
                             " WHERE id = ?", (sweep_id,)).fetchone()
            if row is None:
                raise UnknownRunError(f"no sweep with id {sweep_id}")
            run_ids = tuple(r[0] for r in db.execute("SELECT id FROM runs WHERE sweep_id = ? ORDER BY id",
                                                     (sweep_id,)))
        return SweepRecord(row[0], _loads(row[1]), row[2], row[3], row[4], row[5], _loads(row[6]), run_ids)

    def list_sweeps(self) -> list[SweepRecord]:
        with self._lock, self._errors("cannot be read"):
            ids = [r[0] for r in self._conn().execute("SELECT id FROM sweeps ORDER BY started_at DESC, id DESC")]
        return [self.get_sweep(i) for i in ids]

    def delete_sweep(self, sweep_id: int, with_runs: bool = True) -> None:
        with self._write():
            db = self._conn()
            if with_runs:
                db.execute("DELETE FROM runs WHERE sweep_id = ?", (sweep_id,))
            if db.execute("DELETE FROM sweeps WHERE id = ?", (sweep_id,)).rowcount == 0:
                raise UnknownRunError(f"no sweep with id {sweep_id}")


def _sorted(runs: list[RunRecord], column: str, descending: bool) -> list[RunRecord]:
    """Sort by `column`; runs without a value (None, NaN) go last either way; ties go by id."""
    present, missing = [], []
    for run in runs:
        value = run.sort_key(column)
        (missing if value is None or _is_nan(value) else present).append(run)

    def key(run: RunRecord) -> tuple:
        value = run.sort_key(column)
        return (tuple(value) if isinstance(value, list) else value, run.id)

    try:
        present.sort(key=key, reverse=descending)
    except TypeError:  # values that do not compare with each other (text against numbers): compare as text
        present.sort(key=lambda r: (str(r.sort_key(column)), r.id), reverse=descending)
    missing.sort(key=lambda r: r.id, reverse=descending)
    return present + missing


def _matches(words: list[str], tokens: list[str]) -> bool:
    """Every filter word begins one of the tokens (so the filter narrows as it is typed)."""
    return all(any(token.startswith(word) for token in tokens) for word in words)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _loss_in(loss: float) -> float | None:
    loss = float(loss)
    return None if math.isnan(loss) else loss


def _loss_out(loss: float | None) -> float:
    return math.nan if loss is None else float(loss)


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our literals), dropping `--` comments."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


class _ErrorTranslator:
    """Turns sqlite3 and OS errors into a one-line StoreError naming the store and what went wrong."""

    def __init__(self, store: RunStore, action: str) -> None:
        self.store, self.action = store, action

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or isinstance(exc, StoreError):
            return False
        if isinstance(exc, sqlite3.Error):
            raise self.store._error(_describe(exc, self.action)) from exc
        if isinstance(exc, OSError):
            raise self.store._error(f"{self.action}: {exc.strerror or exc}") from exc
        return False


class _WriteTransaction:
    """BEGIN IMMEDIATE ... COMMIT under the store's lock. IMMEDIATE takes the write lock up front, so two
    processes writing at once wait for each other (busy timeout) instead of one failing on a lock upgrade."""

    def __init__(self, store: RunStore) -> None:
        self.store = store

    def __enter__(self) -> None:
        self.store._lock.acquire()
        try:
            # A read-only store (opened so, or a file SQLite could only open read-only) fails here with
            # SQLITE_READONLY, which reads as one clear line.
            with self.store._errors("cannot be written"):
                self.store._conn().execute("BEGIN IMMEDIATE")
        except BaseException:
            self.store._lock.release()
            raise

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: Any) -> bool:
        db = self.store._db
        try:
            if exc is None:
                try:
                    db.execute("COMMIT")
                except sqlite3.Error as error:
                    _rollback(db)
                    raise self.store._error(_describe(error, "cannot be written")) from error
                return False
            _rollback(db)
            if isinstance(exc, sqlite3.Error):
                raise self.store._error(_describe(exc, "cannot be written")) from exc
            return False  # StoreError, ValueError...: passed on as they are
        finally:
            self.store._lock.release()


def _rollback(db: sqlite3.Connection | None) -> None:
    if db is not None and db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite may already have rolled back (e.g. after SQLITE_FULL)


def _describe(exc: sqlite3.Error, action: str) -> str:
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if code == _SQLITE_NOTADB or "not a database" in text:
        return "is not an xortui run store (not an SQLite database); left untouched"
    if code == _SQLITE_FULL:
        return f"{action}: the disk is full"
    if code == _SQLITE_READONLY:
        return f"{action}: the file or its folder is read-only"
    if code == _SQLITE_BUSY:
        return f"{action}: another process held it for over {BUSY_TIMEOUT_S:g} s"
    if code == _SQLITE_CORRUPT:
        return "is damaged (the database image is malformed); left untouched"
    if code == _SQLITE_CANTOPEN:
        return f"{action}: cannot open the file (check that it and its folder are readable and writable)"
    return f"{action}: {text}"


# ---------------------------------------------------------------------------------------------- recording


class RunRecorder:
    """Records one run as it trains, and never raises: when the store fails (disk full, file made read-only...),
    recording stops, `error` holds the StoreError to show the user, and training goes on.

    `add` buffers points; they are committed when FLUSH_SECONDS have passed since the last commit, and a
    background thread commits whatever is buffered at least that often, so a killed process loses at most about
    a second however slowly points arrive.

        recorder = RunRecorder.start(store, config.as_dict(), device=snapshot.device, command=...)
        for snap in train(config):
            if snap.logged: recorder.add(snap.step, snap.loss)
        recorder.finish(snap.state, {...})
    """

    def __init__(self, store: RunStore | None, run_id: int | None, flush_seconds: float = FLUSH_SECONDS,
                 error: StoreError | None = None, on_error: Callable[[StoreError], None] | None = None) -> None:
        self.store, self.run_id = store, run_id
        self.flush_seconds = flush_seconds
        self.error = error
        self.on_error = on_error
        self._pending: list[tuple[int, float]] = []
        self._lock = threading.RLock()  # RLock: on_error runs under it and may ask the recorder things
        self._last_flush = time.monotonic()
        self._finished = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.active:
            self._thread = threading.Thread(target=self._flush_loop, name="xortui-run-recorder", daemon=True)
            self._thread.start()

    @classmethod
    def start(cls, store: RunStore | None, config: dict[str, Any], *, device: str,
              versions: dict[str, Any] | None = None, command: str | None = None, sweep_id: int | None = None,
              flush_seconds: float = FLUSH_SECONDS,
              on_error: Callable[[StoreError], None] | None = None) -> "RunRecorder":
        """Begin a run in `store` and return its recorder. With `store` None (recording off, or the store failed
        to open) or when beginning fails, the recorder does nothing; `error` says why when there was one."""
        if store is None:
            return cls(None, None, flush_seconds, on_error=on_error)
        try:
            run_id = store.begin_run(config, device=device, versions=versions, command=command, sweep_id=sweep_id)
        except StoreError as exc:
            recorder = cls(None, None, flush_seconds, error=exc, on_error=on_error)
            if on_error is not None:
                on_error(exc)
            return recorder
        return cls(store, run_id, flush_seconds, on_error=on_error)

    @property
    def active(self) -> bool:
        """True while points are being recorded."""
        return self.store is not None and self.run_id is not None and self.error is None and not self._finished

    def add(self, step: int, loss: float) -> None:
        self.extend([(step, loss)])

    def extend(self, points: Iterable[tuple[int, float]]) -> None:
        if not self.active:
            return
        with self._lock:
            self._pending.extend(points)
            due = time.monotonic() - self._last_flush >= self.flush_seconds
        if due:
            self.flush()

    def flush(self) -> None:
        """Commit the buffered points now."""
        with self._lock:
            if not self.active:
                self._pending.clear()
                return
            points, self._pending = self._pending, []
            self._last_flush = time.monotonic()
            if points:
                try:
                    self.store.append_points(self.run_id, points)
                except StoreError as exc:
                    self._fail(exc)

    def touch(self) -> None:
        """Renew the run's sign of life (the flush loop does this when no points arrive)."""
        with self._lock:
            if not self.active:
                return
            self._last_flush = time.monotonic()
            try:
                self.store.touch_run(self.run_id)
            except StoreError as exc:
                self._fail(exc)

    def finish(self, state: str, final: dict[str, Any] | None = None, facts: dict[str, Any] | None = None) -> None:
        """Commit the last points and close the run with its outcome; later calls do nothing."""
        self.flush()
        if self.active:
            try:
                self.store.finish_run(self.run_id, state, final, facts)
            except StoreError as exc:
                self._fail(exc)
        self._finished = True
        self._stop.set()

    def close(self) -> None:
        """Stop recording without finishing (the run stays 'running'); buffered points are committed."""
        self.flush()
        self._finished = True
        self._stop.set()

    def _fail(self, exc: StoreError) -> None:
        self.error = exc
        self._pending.clear()
        self._stop.set()
        if self.on_error is not None:
            try:
                self.on_error(exc)
            except Exception:
                pass  # a broken callback must not stop training

    def _flush_loop(self) -> None:
        # Commits points that arrived since the last flush, so a run that logs rarely is still on disk within
        # about a second of each point.
        while not self._stop.wait(max(self.flush_seconds / 2, 0.05)):
            if self._pending and time.monotonic() - self._last_flush >= self.flush_seconds:
                self.flush()
            elif time.monotonic() - self._last_flush >= ALIVE_SECONDS:
                self.touch()
