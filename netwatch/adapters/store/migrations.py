"""The store's schema and its life: versioned migrations, connection set-up and error translation at open.

Owns the ordered list of migration scripts (``PRAGMA user_version`` is the number applied), applying the missing
ones inside one transaction each, refusing stores written by a newer netwatch, and turning sqlite3 errors met
while opening into one-line ``StoreError``s that name the path and a fix. Must not know about records: that is
``codec`` and ``sqlite``. Migrations are append-only: never edit one that has shipped.
"""

from __future__ import annotations

import logging
import os
import pwd
import sqlite3
from pathlib import Path

from netwatch.errors import StoreError

log = logging.getLogger("netwatch.adapters.store")

PAGE_SIZE = 1024  # bytes; see connect()
BUSY_TIMEOUT_S = 5.0  # the writer commits in well under a second; readers wait rather than fail
# KiB of page cache a read-only connection may keep; None = SQLite's default (2 MB). A long-lived process that
# opens a connection for every request (the web dashboard) sets it lower through ``limit_read_cache``.
read_cache_kib: int | None = None

# Instants are integer milliseconds (UTC), RTTs tenths of a millisecond: see codec.py.
MIGRATIONS: tuple[str, ...] = (
    # 1: rounds (raw, pruned), rollups (kept forever), sessions (coverage), incidents
    """
    CREATE TABLE target_sets (
        id INTEGER PRIMARY KEY,
        targets TEXT NOT NULL UNIQUE  -- JSON [[role, address], ...] in sample order
    );
    CREATE TABLE targets (
        id INTEGER PRIMARY KEY,
        role TEXT NOT NULL,
        address TEXT NOT NULL,
        UNIQUE (role, address)
    );
    -- AUTOINCREMENT: ids are never reused, even after pruning every row, so an exporter's cursor stays valid.
    CREATE TABLE rounds (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,  -- wall clock; may step backwards, so order of insertion is id, not at_ms
        set_id INTEGER NOT NULL REFERENCES target_sets (id),
        rtts BLOB NOT NULL,  -- uint16 LE per target: tenths of a ms, 0xFFFF lost, 0xFFFE saturated
        errors TEXT  -- JSON {index: text}; NULL when no sample has an error
    );
    CREATE INDEX rounds_at ON rounds (at_ms);
    CREATE TABLE rollups (
        minute INTEGER NOT NULL,  -- Unix minute
        target_id INTEGER NOT NULL REFERENCES targets (id),
        sent INTEGER NOT NULL,
        lost INTEGER NOT NULL,
        rtt_min INTEGER,  -- tenths of a ms over answered rounds; NULL when none answered
        rtt_max INTEGER,
        rtt_sum INTEGER NOT NULL,  -- average = rtt_sum / (sent - lost)
        PRIMARY KEY (minute, target_id)
    ) WITHOUT ROWID;
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        start_ms INTEGER NOT NULL,
        last_ms INTEGER,  -- latest committed round while running
        end_ms INTEGER,  -- NULL while running (or until recovery after a crash)
        clean INTEGER  -- 1 stopped cleanly, 0 ended by recovery, NULL while running
    );
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER,  -- NULL while open
        cause TEXT NOT NULL,
        rounds INTEGER NOT NULL,
        cause_rounds TEXT NOT NULL,  -- JSON [[cause, rounds], ...]
        detail TEXT NOT NULL,
        UNIQUE (kind, start_ms)
    );
    CREATE INDEX incidents_start ON incidents (start_ms);
    """,
    # 2: replication bookkeeping. Triggers give every incident change a new ``seq`` (the order exporters follow,
    # whatever path wrote it: save_incident, recover) and remember every cause an incident was saved with (a
    # replica may hold a point under a former cause, to be superseded). One row per replica in ``exports``. (Not
    # INSERT OR IGNORE in the triggers: the upsert that fires them overrides their conflict clause.)
    """
    ALTER TABLE incidents ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
    UPDATE incidents SET seq = id;
    CREATE INDEX incidents_seq ON incidents (seq);
    CREATE TABLE incident_causes (
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        cause TEXT NOT NULL,
        PRIMARY KEY (incident_id, cause)
    ) WITHOUT ROWID;
    INSERT INTO incident_causes (incident_id, cause) SELECT id, cause FROM incidents;
    CREATE TRIGGER incidents_inserted AFTER INSERT ON incidents BEGIN
        UPDATE incidents SET seq = (SELECT max(seq) FROM incidents) + 1 WHERE id = NEW.id;
        INSERT INTO incident_causes (incident_id, cause) SELECT NEW.id, NEW.cause
            WHERE NOT EXISTS (SELECT 1 FROM incident_causes WHERE incident_id = NEW.id AND cause = NEW.cause);
    END;
    CREATE TRIGGER incidents_updated
    AFTER UPDATE OF kind, start_ms, end_ms, cause, rounds, cause_rounds, detail ON incidents BEGIN
        UPDATE incidents SET seq = (SELECT max(seq) FROM incidents) + 1 WHERE id = NEW.id;
        INSERT INTO incident_causes (incident_id, cause) SELECT NEW.id, NEW.cause
            WHERE NOT EXISTS (SELECT 1 FROM incident_causes WHERE incident_id = NEW.id AND cause = NEW.cause);
    END;
    CREATE TABLE exports (
        sink TEXT PRIMARY KEY,  -- which replica: kind, URL and database
        round_id INTEGER NOT NULL,  -- last round exported (rounds.id)
        incident_seq INTEGER NOT NULL,  -- last incident change exported (incidents.seq)
        updated_ms INTEGER,  -- when the cursor last moved
        error TEXT,  -- last failure; NULL once a write succeeded after it
        error_ms INTEGER,
        stopped INTEGER NOT NULL DEFAULT 0  -- 1: a permanent failure stopped the export
    );
    """,
    # 3: speed tests (issue 5). Every attempt is a row, failed and skipped ones included (ok = 0, the reason in
    # ``error``): they are evidence too. AUTOINCREMENT ids only grow, for the exporters' ``speed_id`` cursor.
    """
    CREATE TABLE speed_results (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,  -- wall-clock start of the attempt
        backend TEXT NOT NULL,
        tool TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        server TEXT NOT NULL,
        server_id TEXT NOT NULL,
        result_url TEXT NOT NULL,
        download_mbps REAL,  -- NULL when not measured (always NULL when ok = 0)
        upload_mbps REAL,
        latency_ms REAL,
        loaded_latency_ms REAL,
        jitter_ms REAL,
        bytes_used INTEGER NOT NULL,  -- both directions, for the daily data budget
        external_ip TEXT NOT NULL,
        ok INTEGER NOT NULL,
        error TEXT NOT NULL,
        raw TEXT NOT NULL,  -- the tool's own output, clipped (result.RAW_LIMIT)
        duration_s REAL NOT NULL
    );
    CREATE INDEX speed_results_at ON speed_results (at_ms);
    ALTER TABLE exports ADD COLUMN speed_id INTEGER NOT NULL DEFAULT 0;  -- last speed result exported
    """,
    # 4: evidence (issue 6). Clock honesty: sessions remember their boot and clock offset, clock events are kept,
    # and spans mark the rounds stamped before the clock was synchronised (re-timed once it is). Traceroutes taken
    # when an outage starts. The evidence chain: one seal per transaction over its rounds and ledger entries (every
    # version of every record), see store/chain.py; a store from before is sealed once at upgrade.
    """
    ALTER TABLE sessions ADD COLUMN boot_id TEXT;  -- /proc/sys/kernel/random/boot_id when it started
    ALTER TABLE sessions ADD COLUMN offset_ms INTEGER;  -- wall minus monotonic clock of its stamps at start
    CREATE TABLE clock_events (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,  -- step, unsynced, behind, synced, unverified (netwatch.core.model.EventKind)
        step_ms INTEGER NOT NULL,  -- the jump, or the re-timing applied
        rounds INTEGER NOT NULL DEFAULT 0,  -- synced: how many rounds were re-timed
        detail TEXT NOT NULL
    );
    CREATE INDEX clock_events_at ON clock_events (at_ms);
    CREATE TABLE clock_spans (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id),
        boot_id TEXT NOT NULL,
        offset_ms INTEGER NOT NULL,  -- wall minus monotonic of the provisional stamps
        first_round INTEGER NOT NULL,  -- rounds [first_round, last_round] were stamped provisionally
        last_round INTEGER,  -- NULL while open
        start_ms INTEGER NOT NULL,  -- their stamps lie in [start_ms, end_ms]
        end_ms INTEGER,
        delta_ms INTEGER  -- NULL until re-timed: what was added to every stamp of the span
    );
    CREATE TABLE traceroutes (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        reason TEXT NOT NULL,  -- why it was taken, e.g. "outage started"
        incident_kind TEXT,  -- the incident it belongs to: (kind, start) as in incidents
        incident_start_ms INTEGER,
        destination TEXT NOT NULL,
        trace TEXT NOT NULL  -- JSON: the hops (netwatch.adapters.probes.traceroute)
    );
    CREATE INDEX traceroutes_at ON traceroutes (at_ms);
    CREATE INDEX traceroutes_incident ON traceroutes (incident_kind, incident_start_ms);
    CREATE TABLE seals (
        id INTEGER PRIMARY KEY,
        first_round INTEGER,  -- the rounds committed in this transaction; NULL when none
        last_round INTEGER,
        digest BLOB NOT NULL,  -- SHA-256, chained to the previous seal
        prev BLOB,  -- the previous seal's digest, kept here once that seal was pruned
        rounds_hash BLOB  -- the hash of this seal's rounds, kept here once they were pruned
    );
    CREATE TABLE ledger (
        id INTEGER PRIMARY KEY,
        seal_id INTEGER NOT NULL,  -- the seal that covers this entry
        kind TEXT NOT NULL,  -- incident, session, speed, clock, span, trace, ... or an act: retime, prune, genesis
        ref INTEGER NOT NULL,  -- the record's id in its table (0 for acts)
        body TEXT NOT NULL  -- canonical JSON of the record version
    );
    CREATE INDEX ledger_seal ON ledger (seal_id);
    CREATE INDEX ledger_ref ON ledger (kind, ref);
    """,
    # 5: notifications outbox (issue 6): one row per message and channel, so that a notification survives restarts
    # and each channel is retried on its own. ``channel`` is a hash of the channel's URL or command line, never
    # the URL itself (it holds passwords and tokens); ``label`` shows it with the credentials masked. UNIQUE
    # (key, channel): queueing the same event again (a restart catching up a digest) is a no-op.
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL,  -- the event: "outage 2026-03-24T12:25:00.000Z", "digest daily 2026-03-23"
        channel TEXT NOT NULL,
        label TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        message TEXT NOT NULL,  -- JSON: key, event, title, text, markdown and the facts
        attempts INTEGER NOT NULL DEFAULT 0,
        next_ms INTEGER NOT NULL,  -- earliest next attempt while pending
        error TEXT NOT NULL DEFAULT '',  -- the last failure; '' once sent
        error_ms INTEGER,
        sent_ms INTEGER,  -- NULL until delivered
        given_up_ms INTEGER,  -- NULL while retried
        UNIQUE (key, channel)
    );
    CREATE INDEX outbox_pending ON outbox (next_ms) WHERE sent_ms IS NULL AND given_up_ms IS NULL;
    """,
    # 6: fault tickets (issue 7): when the provider was told, by which channel, when it repaired the fault, and the
    # engineer appointments it missed. Chained like incidents (kind "ticket"): every version is a ledger entry.
    """
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        ref TEXT NOT NULL UNIQUE,  -- the provider's reference, as the owner gives it
        reported_ms INTEGER NOT NULL,
        channel TEXT,  -- phone, web, email; NULL = not stated
        note TEXT NOT NULL DEFAULT '',
        fixed_ms INTEGER,  -- NULL while open
        missed TEXT NOT NULL DEFAULT '[]',  -- JSON list of the instants (ms) of missed engineer appointments
        recorded_ms INTEGER NOT NULL  -- when it was entered or last changed (wall clock)
    );
    """,
    # 7: speed campaigns (issue 7): the regulator's procedure of 30 measurements, planned as slots; each slot links
    # the speed test that measured it (speed_results keeps the figures). Chained like tickets (kinds "campaign"
    # and "campaign_slot"). A replaced campaign is kept, marked, never deleted: it is evidence too.
    """
    CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        created_ms INTEGER NOT NULL,
        timezone TEXT NOT NULL,  -- IANA name the days and the window are in
        daily_window TEXT NOT NULL,  -- "HH:MM-HH:MM" local
        seed INTEGER NOT NULL,
        start_day TEXT NOT NULL,  -- ISO date the plan was asked to start from
        replaced_ms INTEGER  -- when a newer plan replaced it; NULL = the current one
    );
    CREATE TABLE campaign_slots (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
        idx INTEGER NOT NULL,  -- 0-29, in time order
        planned_ms INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',  -- pending, done, failed, missed
        attempts INTEGER NOT NULL DEFAULT 0,
        speed_id INTEGER REFERENCES speed_results (id),  -- the last attempt (the measurement when done)
        detail TEXT NOT NULL DEFAULT '',  -- why it failed or was missed
        UNIQUE (campaign_id, idx)
    );
    """,
    # 8: the ISP hop remembered across restarts (issue 19), so that a start while the access link is down, when it
    # cannot be discovered, still tells isp from upstream. Not chained: the rounds' target sets are the evidence.
    """
    CREATE TABLE isp_hops (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the newest row is the hop remembered
        address TEXT NOT NULL,
        found_ms INTEGER NOT NULL  -- when the daemon found it, as it stamped then (provisional before clock sync)
    );
    """,
    # 9: reserved for another change of issue 19 that needed none in the end; kept empty so the numbers hold.
    "",
    # 10: evidence integrity (issue 16). Sessions remember the first round they could take (their rounds are the
    # ids from there to the next session's) and why netwatch itself stopped monitoring (EMFILE, ENOMEM: that time
    # is unmonitored, never an outage); both are chained when set. Seals carry the newest stamp of their rounds,
    # chained, so that a seal's time outlives its pruned rounds. Trusted timestamps (RFC 3161) of the chain head.
    """
    ALTER TABLE sessions ADD COLUMN first_round INTEGER;  -- NULL for sessions begun before schema 10
    ALTER TABLE sessions ADD COLUMN end_reason TEXT;  -- NULL unless netwatch itself could not go on probing
    ALTER TABLE seals ADD COLUMN at_ms INTEGER;  -- newest stamp among its rounds as sealed; NULL: none or old seal
    CREATE TABLE timestamps (
        id INTEGER PRIMARY KEY,
        seal_id INTEGER NOT NULL,  -- the chain head that was stamped
        digest BLOB NOT NULL,  -- its SHA-256
        tsa TEXT NOT NULL,  -- the time-stamping authority's URL
        gen_ms INTEGER NOT NULL,  -- the time the authority put in its token
        statement BLOB NOT NULL,  -- the exact bytes stamped (names the seal and its digest)
        token BLOB NOT NULL  -- the authority's reply (DER TimeStampResp), for anyone to check with openssl
    );
    """,
    # 11: reserved for a change that needed none in the end; kept empty so the numbers hold.
    "",
    # 12: what a ticket records beyond a fault report (issue 15): its kind (fault, speed, switch, move, port), planned
    # work notified in advance, the appointments the owner declined or missed, the provider's notice that its
    # compensation stops, and what it credited. One row per ticket that has any of them, chained (kind
    # "ticket_terms") like the ticket itself, so that the versions of tickets sealed before it read the same.
    """
    CREATE TABLE ticket_terms (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL UNIQUE REFERENCES tickets (id),
        kind TEXT NOT NULL DEFAULT 'fault',  -- netwatch.core.model.TicketKind
        planned INTEGER NOT NULL DEFAULT 0,  -- 1: planned work the provider notified in advance
        declined TEXT NOT NULL DEFAULT '[]',  -- JSON [[at_ms, until_ms or null], ...]: appointments declined or missed
        notice_ms INTEGER,  -- when the provider gave notice that its compensation stops; NULL = none
        credits TEXT NOT NULL DEFAULT '[]',  -- JSON [["YYYY-MM-DD", cents], ...]: what the provider credited
        recorded_ms INTEGER NOT NULL  -- when they were entered or last changed (wall clock)
    );
    """,
    # 13: reserved for another change; empty here so that the numbers hold.
    "",
    # 14: the SD card (issue 17). Rounds' RTTs may be stored in compact codes (codec.pack_compact: an odd number of
    # bytes), which a netwatch before this version would misread: the version number keeps it from opening the store.
    # Nothing else changes on disk here.
    "",
    # 15: reserved for another change; empty here so that the numbers hold.
    "",
    # 16: the neighbourhood pool (issue 18). The household's pseudonymous id (made once), the incident change the
    # publisher has looked at last (incidents.seq), and when the household withdrew; the pool outbox: one row per
    # thing published (an incident, a monitored stretch, the member record), its latest version as it is written to
    # the pool. Both are chained (kinds "pool_household" and "pool_publication", the bookkeeping columns left out):
    # every version queued and every one sent is a ledger entry, so the household can prove what it published.
    """
    CREATE TABLE pool_household (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        household TEXT NOT NULL,  -- random hex, made once
        created_ms INTEGER NOT NULL,
        withdrawn_ms INTEGER,  -- NULL while it takes part
        incident_seq INTEGER NOT NULL DEFAULT 0  -- the last incident change looked at (not chained)
    );
    CREATE TABLE pool_outbox (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,  -- "incident outage <start ms>", "coverage <start ms>", "member"
        record TEXT NOT NULL,  -- canonical JSON: measurement, tags, fields, time_ms (netwatch.core.model.Publication)
        queued_ms INTEGER NOT NULL,  -- when this version was queued
        sent_ms INTEGER,  -- when the pool confirmed this version; NULL while pending
        attempts INTEGER NOT NULL DEFAULT 0,
        next_ms INTEGER NOT NULL,  -- earliest next attempt while pending
        error TEXT NOT NULL DEFAULT '',  -- the last failure; '' once sent
        error_ms INTEGER
    );
    CREATE INDEX pool_outbox_pending ON pool_outbox (next_ms) WHERE sent_ms IS NULL;
    """,
    # 17: verified checkpoints (issue 17). Each row says that a verification found the chain intact up to a seal
    # (its digest, whether it re-hashed everything or went on from an earlier checkpoint, when, which netwatch),
    # with what the next verification needs to go on from there (``state``). Chained (kind "checkpoint") in a seal
    # of its own after the seal it names, so that deleting or editing one shows; pruning keeps the seal it names.
    """
    CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        seal_id INTEGER NOT NULL,  -- the newest seal the verification covered
        digest TEXT NOT NULL,  -- that seal's SHA-256, hex
        full INTEGER NOT NULL,  -- 1: verified from the first seal; 0: from the checkpoint named by since_seal
        since_seal INTEGER NOT NULL,  -- 0 when full; else the seal the checkpoint it went on from names
        verified_ms INTEGER NOT NULL,  -- when the verification ran (wall clock)
        version TEXT NOT NULL,  -- the netwatch that verified
        seals INTEGER NOT NULL,  -- how many seals, rounds and records that verification checked
        rounds INTEGER NOT NULL,
        records INTEGER NOT NULL,
        state TEXT NOT NULL  -- JSON: what the walk over the seals knew at seal_id (sessions, spans, re-timings...)
    );
    """,
    # 18: the probing method of each session (newcomer review 2, B2): interval, timeout, confirm, the degradation
    # thresholds and the targets, as canonical JSON recorded when the session begins and chained with it, so that
    # a report states how its data WAS recorded, not today's configuration. NULL for sessions begun before.
    """
    ALTER TABLE sessions ADD COLUMN method TEXT;  -- JSON (netwatch.core.model.ProbeMethod); NULL: not recorded
    """,
    # 19: the rounds by time through spans, not an index (issue 17: SD-card writes and store size). An index on
    # at_ms, appended at its end, split its pages half full: 37 % of the store and a third of every seal's writes.
    # A span is one row per run of rounds written in time order, up to an hour of them (store/roundspans.py); the
    # rounds stored before get one per 3 600 ids.
    """
    CREATE TABLE round_spans (
        first_id INTEGER PRIMARY KEY,  -- the batch's rounds: ids [first_id, last_id]
        last_id INTEGER NOT NULL,
        min_ms INTEGER NOT NULL,  -- their earliest and latest at_ms
        max_ms INTEGER NOT NULL,
        ordered INTEGER NOT NULL  -- 1: at_ms never decreases from id to id within the span
    );
    INSERT INTO round_spans (first_id, last_id, min_ms, max_ms, ordered)
        SELECT min(id), max(id), min(at_ms), max(at_ms), 1 FROM rounds GROUP BY id / 3600;
    -- Not in order: a round stamped before the round stored before it, in the same span. (Half the time of a
    -- window function over every round: 2 s for 30 days here, where a Pi's service start has 90 s.)
    UPDATE round_spans SET ordered = 0 WHERE first_id IN (
        SELECT s.first_id FROM round_spans s JOIN rounds r ON r.id > s.first_id AND r.id <= s.last_id
        WHERE r.at_ms < (SELECT p.at_ms FROM rounds p WHERE p.id < r.id ORDER BY p.id DESC LIMIT 1));
    DROP INDEX rounds_at;
    """,
)
LATEST = len(MIGRATIONS)


def connect(path: Path, readonly: bool, create: bool = True) -> sqlite3.Connection:
    """A configured connection to a store at the latest schema version (migrated first when read-write).

    Read-only never creates the store and needs no write access: SQLite opens a store in WAL mode only where it may
    create or use the store's ``-shm`` file, so a store in a directory this user cannot write (another user's, a
    read-only file system, a copy) is read as immutable when no write-ahead log is pending. Read-write creates it
    (and its directory) only when ``create``. The connection is in autocommit mode: callers run their own
    ``BEGIN IMMEDIATE`` … ``COMMIT``.
    """
    if not path.exists() and (readonly or not create):
        raise StoreError(
            f"no store at {path}: netwatch has not recorded anything yet (run `netwatch run` first)"
            " or store.path points elsewhere"
        )
    if readonly:
        return _connect_readonly(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(
            f"cannot create the directory of store {path}: {err.strerror}; create it or point store.path elsewhere"
        ) from err
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as err:
        raise open_error(path, err) from err
    try:
        conn.execute("PRAGMA synchronous = FULL")  # a committed batch survives power loss
        found = check_writable(conn, path)  # before anything is written, even to a foreign file
        # Small pages: a 10-s batch rewrites ~8 pages (rounds, index, rollups, session), so 1 KiB pages cut
        # the bytes written to the SD card per day by ~3x against 4 KiB for the same file size. Only takes
        # effect when the file is created.
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            log.warning("store %s: journal mode is %s, not wal; readers may wait for the writer", path, mode)
        migrate(conn, path, found)
    except StoreError:
        conn.close()
        raise
    except sqlite3.Error as err:
        conn.close()
        raise open_error(path, err) from err
    return conn


def _connect_readonly(path: Path) -> sqlite3.Connection:
    try:
        return _open_checked(path, "mode=ro")
    except sqlite3.Error as err:
        wal = Path(f"{path}-wal")
        cannot_share = getattr(err, "sqlite_errorname", "") in ("SQLITE_READONLY_DIRECTORY", "SQLITE_CANTOPEN")
        if not cannot_share or not os.access(path, os.R_OK):
            raise open_error(path, err, readonly=True) from err
        if wal.exists():
            # Its log holds committed records the main file lacks yet; immutable would silently leave them out.
            raise StoreError(
                f"cannot read store {path}: its write-ahead log {wal.name} can only be read where SQLite may write"
                f" its {path.name}-shm file, and {_why_unwritable(path)}; copy {path.name} with {wal.name} into"
                " a directory you can write and read the copy (`--config` with store.path pointing at it), or run"
                " the command as the store's owner"
            ) from err
    try:
        # Nothing is pending in a log, so the main file is the whole store. A writer that started this very
        # moment would write its log first, which a read this short does not see: an older view, never a mixed one.
        return _open_checked(path, "mode=ro&immutable=1")
    except sqlite3.Error as err:
        raise open_error(path, err, readonly=True) from err


def _open_checked(path: Path, query: str) -> sqlite3.Connection:
    """A read-only connection by URI ``query`` whose schema was checked; raises sqlite3.Error or StoreError."""
    conn = sqlite3.connect(
        f"{path.absolute().as_uri()}?{query}",
        uri=True,
        isolation_level=None,
        check_same_thread=False,
        timeout=BUSY_TIMEOUT_S,
    )
    try:
        if read_cache_kib is not None:
            conn.execute(f"PRAGMA cache_size = -{int(read_cache_kib)}")
        check_readable(conn, path)  # the first read: SQLite opens the file (and its -shm) only now
    except BaseException:
        conn.close()
        raise
    return conn


def _why_unwritable(path: Path) -> str:
    """Why SQLite may not write next to ``path``: "it is on a read-only file system", or the directory's."""
    if read_only_file_system(path):
        return "it is on a read-only file system"
    return f"this user may not write in {path.parent}"


def read_only_file_system(path: Path) -> bool:
    """Whether the file system holding ``path`` (or its nearest existing parent) is mounted read-only."""
    for place in (path, *path.parents):
        try:
            return bool(os.statvfs(place).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _newer(path: Path, found: int) -> StoreError:
    return StoreError(
        f"store {path} has schema version {found}, newer than this netwatch understands ({LATEST}): upgrade netwatch"
    )


def _foreign(conn: sqlite3.Connection, path: Path) -> StoreError | None:
    """An error when a version-0 file already holds tables: someone else's database, never ours to migrate."""
    if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        return StoreError(f"{path} is not a netwatch store (it holds other tables): point store.path at another file")
    return None


def limit_read_cache(kib: int) -> None:
    """Read-only connections opened from now on keep at most ``kib`` KiB of page cache (this process only)."""
    global read_cache_kib
    read_cache_kib = kib


def check_readable(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a read-only store that is not at this netwatch's schema version (it cannot be migrated here)."""
    found = version(conn)
    if found > LATEST:
        raise _newer(path, found)
    if found == 0:
        raise _foreign(conn, path) or StoreError(
            f"{path} is not a netwatch store (it has no netwatch tables): point store.path at another file"
        )
    if found < LATEST:
        raise StoreError(
            f"store {path} has schema version {found}, older than this netwatch ({LATEST}): "
            "run `netwatch run` once to upgrade it"
        )


def check_writable(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version of a store this netwatch may migrate and write; refuses newer and foreign files."""
    found = version(conn)
    if found > LATEST:
        raise _newer(path, found)
    if found == 0 and (err := _foreign(conn, path)) is not None:
        raise err
    return found


def migrate(conn: sqlite3.Connection, path: Path, found: int) -> None:
    """Apply every migration after version ``found``, each with its version bump in one transaction."""
    for number in range(found + 1, LATEST + 1):
        script = MIGRATIONS[number - 1]
        try:
            # executescript runs each statement as written: the transaction is spelled out in the script.
            conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.rollback()
            raise
        if found:
            log.info("store %s migrated to schema version %d", path, number)


def is_corrupt(err: sqlite3.Error) -> bool:
    return getattr(err, "sqlite_errorname", "").startswith("SQLITE_CORRUPT") or "malformed" in str(err)


def corrupt(path: Path, err: sqlite3.Error) -> StoreError:
    """The one message for a store SQLite finds damaged, wherever it is found."""
    return StoreError(
        f"store {path} is corrupt ({err}): move it aside to start a new store, or restore it from a backup"
    )


def open_error(path: Path, err: sqlite3.Error, *, readonly: bool = False) -> StoreError:
    """One line naming the path, what SQLite said and what to do about it (``readonly``: a command that reads)."""
    name = getattr(err, "sqlite_errorname", "")
    text = str(err)
    if name == "SQLITE_NOTADB" or "file is not a database" in text:
        return StoreError(f"{path} is not a netwatch store (file is not a database): point store.path at another file")
    if is_corrupt(err):
        return corrupt(path, err)
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH")):
        if read_only_file_system(path):
            if readonly:
                return StoreError(f"cannot read store {path} ({text}): it is on a read-only file system; {_COPY}")
            return StoreError(
                f"cannot write to store {path}: it is on a read-only file system; remount it read-write"
                " (`sudo mount -o remount,rw` on its mount point), or point store.path at a writable disk"
            )
        if readonly:
            return StoreError(
                f"cannot read store {path} ({text}): this user may not read it; run the command as the user"
                " netwatch records as (or with sudo), or join the store's group (`sudo usermod -aG netwatch $USER`,"
                " then log in again)"
            )
        if (owner := _other_owner(path)) is not None:
            me = _user_name(os.geteuid())
            return StoreError(
                f"cannot write to store {path} ({text}): it belongs to {owner}, and the user {me} may not write to it"
                f" or to its directory; run the command as {owner} (e.g. with sudo), or make both writable by {me}"
            )
        return StoreError(
            f"cannot open store {path} ({text}): make the file and its directory readable and writable by the"
            " user netwatch runs as, or point store.path elsewhere"
        )
    if name.startswith("SQLITE_BUSY") or "locked" in text:
        return StoreError(
            f"store {path} is locked ({text}): stop the other process using it, or point store.path elsewhere"
        )
    if name == "SQLITE_FULL":
        return StoreError(f"cannot open store {path}: {text}; free space on that disk")
    return StoreError(f"cannot open store {path}: {text}; check store.path")


def _other_owner(path: Path) -> str | None:
    """The name of the user owning ``path`` when this process may not write it or its directory (another user's
    store), else None."""
    try:
        owner = path.stat().st_uid
    except OSError:
        return None
    if owner == os.geteuid() or (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return None
    return _user_name(owner)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user {uid}"


_COPY = "copy it to a writable disk and read the copy (`--config` with store.path pointing at it)"
