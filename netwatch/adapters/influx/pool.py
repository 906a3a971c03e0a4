"""The neighbourhood pool's InfluxDB: writing a household's publications, reading the pool, withdrawing, and adding
a household as its operator.

Owns where a household's records go (its own database, InfluxDB 1.x, or bucket, 2.x: ``[pool] prefix`` and its id,
so that its credentials can write there and nowhere else), the line protocol of a ``Publication``, the InfluxQL that
reads every household's records of a period from all the pool's databases at once, a household's own records (for
`netwatch pool verify`), dropping them (withdrawal), and the statements that give a new household its database, user
and permissions (InfluxDB 1.x). It reuses the replica's sinks and InfluxQL client, their secret handling and their
errors (named with the ``pool.`` keys). Must not decide what is published (``netwatch.core.pool``) or judge what it
reads (``netwatch.report.area``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netwatch.adapters.influx.points import line
from netwatch.adapters.influx.query import InfluxQL, Series, quote, rows
from netwatch.adapters.influx.sinks import Sink, V1Sink, V2Sink, read_secret
from netwatch.config.records import InfluxConfig, PoolConfig
from netwatch.core import pool as rules
from netwatch.core.model import Cause, Kind, Member, PooledIncident, PooledSpan, Publication
from netwatch.errors import ExportError, PermanentError, ReportError

_FROM_CHUNK = 40  # databases named in one request's FROM clauses (the statements travel in the URL)


def database(cfg: PoolConfig, household: str) -> str:
    """The household's database (v1) or bucket (v2)."""
    return f"{cfg.prefix}{household}"


def _as_influx(cfg: PoolConfig, db: str) -> InfluxConfig:
    return InfluxConfig(
        url=cfg.url,
        api=cfg.api,
        org=cfg.org,
        bucket=db,
        token=cfg.token,
        token_file=cfg.token_file,
        database=db,
        username=cfg.username,
        password=cfg.password,
        password_file=cfg.password_file,
        timeout=cfg.timeout,
    )


_KEYS = re.compile(r"\binfluxdb\.(url|api|org|token_file|token|username|password_file|password|timeout)\b")
_TARGETS = re.compile(r"\binfluxdb\.(database|bucket|retention_policy)\b")


def said(err: Exception) -> str:
    """An error of the replica's code, naming the ``[pool]`` keys instead of ``[influxdb]``'s (a household's database
    or bucket is not a key of its own: ``pool.prefix`` and its id name it)."""
    return _TARGETS.sub("pool.prefix", _KEYS.sub(r"pool.\1", str(err)))


def open_sink(cfg: PoolConfig, household: str) -> Sink:
    """The sink of the household's database or bucket. Raises ConfigError (unreadable secret file) or
    PermanentError (influxdb-client missing for api v2)."""
    db = database(cfg, household)
    if cfg.api == "v1":
        password = read_secret(cfg.password_file, "pool.password_file") if cfg.password_file else cfg.password
        return V1Sink(cfg.url, db, "", cfg.username, password, cfg.timeout)
    token = read_secret(cfg.token_file, "pool.token_file") if cfg.token_file else cfg.token
    return V2Sink(cfg.url, cfg.org, db, token, cfg.timeout)


def publication_line(publication: Publication) -> str:
    return line(publication.measurement, publication.tags, publication.fields, publication.time_ms)


def write(sink: Sink, publications: Sequence[Publication]) -> None:
    """Write publications; raises TransientError or PermanentError, with the ``[pool]`` keys named."""
    try:
        sink.write([publication_line(p) for p in publications])
    except ExportError as err:
        if "has no such target" in str(err) and publications:
            household = publications[0].tags.get("household", "")
            raise PermanentError(
                f"{str(err).split(' has no such target', 1)[0]} has no database or bucket for household {household}:"
                f" ask the pool's operator to add it (netwatch pool admin add-household {household}), or check"
                " pool.url and pool.prefix"
            ) from None
        raise type(err)(said(err)) from None


@dataclass(frozen=True)
class PoolData:
    """What the pool holds for a period: every household's published incidents and monitored stretches overlapping
    it, and every member record. ``unreadable`` lists the households whose records could not be read as netwatch
    writes them, with why."""

    incidents: tuple[PooledIncident, ...] = ()
    spans: tuple[PooledSpan, ...] = ()
    members: tuple[Member, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()
    databases: int = 0


def _source(db: str, measurement: str) -> str:
    return f'"{db}".."{measurement}"'


def _records(series: Sequence[Series]) -> Iterator[dict[str, Any]]:
    for tags, row in rows(series):
        yield {**row, **tags}


class PoolReader:
    """InfluxQL on the pool with this household's credentials (``ConfigError`` when a secret file is unreadable).
    Every failure is one ReportError line naming the ``[pool]`` keys."""

    def __init__(self, cfg: PoolConfig, household: str) -> None:
        self.cfg = cfg
        self.household = household
        self.own = database(cfg, household)
        self.ql = InfluxQL(_as_influx(cfg, self.own))

    def _ask(self, requests: Sequence[Sequence[str]]) -> list[list[Series]]:
        try:
            return self.ql.many(requests)
        except ReportError as err:
            raise ReportError(said(err)) from None

    def databases(self) -> list[str]:
        """The pool's databases this household may read (its own included), by name."""
        (series,) = self._ask([["SHOW DATABASES"]])
        found = sorted({str(r["name"]) for _, r in rows(series)})
        return [d for d in found if d.startswith(self.cfg.prefix) and rules.is_household_id(d[len(self.cfg.prefix) :])]

    def read(self, since: float, until: float) -> PoolData:
        """Every household's records overlapping [since, until), and every member record."""
        dbs = self.databases()
        requests: list[list[str]] = []
        window = f'time < {round(until * 1000)}ms AND "end" > {since!r}'
        for k in range(0, len(dbs), _FROM_CHUNK):
            chunk = dbs[k : k + _FROM_CHUNK]

            def of(measurement: str, where: str = "", chunk: list[str] = chunk) -> str:
                sources = ", ".join(_source(db, measurement) for db in chunk)
                return f"SELECT * FROM {sources}{where}"

            requests.append(
                [of(rules.INCIDENT, f" WHERE {window}"), of(rules.COVERAGE, f" WHERE {window}"), of(rules.MEMBER)]
            )
        answers = self._ask(requests)
        incidents: list[PooledIncident] = []
        spans: list[PooledSpan] = []
        members: dict[str, Member] = {}
        bad: dict[str, str] = {}
        for k in range(0, len(answers), 3):
            for record in _records(answers[k]):
                found = _incident(record)
                if isinstance(found, str):
                    bad.setdefault(str(record.get("household", "?")), found)
                else:
                    incidents.append(found)
            for record in _records(answers[k + 1]):
                span = _span(record)
                if isinstance(span, str):
                    bad.setdefault(str(record.get("household", "?")), span)
                else:
                    spans.append(span)
            for record in _records(answers[k + 2]):
                member = _member(record)
                if member is not None:
                    members[member.household] = member
        return PoolData(
            tuple(sorted(incidents, key=lambda i: (i.start, i.household))),
            tuple(sorted(spans, key=lambda s: (s.household, s.start))),
            tuple(members[h] for h in sorted(members)),
            tuple(sorted(bad.items())),
            len(dbs),
        )

    def mine(self) -> list[Publication]:
        """Every point of this household's database, as publications (keys as the publisher names them)."""
        statements = [f"SELECT * FROM {_source(self.own, m)}" for m in rules.MEASUREMENTS]
        answers = self._ask([statements])
        out: list[Publication] = []
        for measurement, series in zip(rules.MEASUREMENTS, answers, strict=True):
            for s in series:
                columns = s["columns"]
                for values in s.get("values") or ():
                    out.append(_as_publication(measurement, dict(zip(columns, values, strict=True))))
        return out

    def drop_mine(self) -> None:
        """Delete every series of this household from its database (withdrawal)."""
        sources = ", ".join(f'"{m}"' for m in rules.MEASUREMENTS)
        try:
            self.ql.query([f'DROP SERIES FROM {sources} WHERE "household" = {quote(self.household)}'], post=True)
        except ReportError as err:
            if "HTTP 403" in str(err):
                raise ReportError(
                    f"the pool refused to delete household {self.household}'s records (HTTP 403): only its own user"
                    " may; check pool.username and pool.password"
                ) from None
            raise ReportError(said(err)) from None


_TAGS = {
    rules.INCIDENT: ("household", "isp", "area", "kind", "cause"),
    rules.COVERAGE: ("household", "isp", "area"),
    rules.MEMBER: ("household",),
}


def _as_publication(measurement: str, record: Mapping[str, Any]) -> Publication:
    """A point read back, spelt as the publisher wrote it (its key rebuilt from measurement and time)."""
    time_ms = int(record["time"])
    tags = {k: str(record[k]) for k in _TAGS[measurement] if record.get(k) not in (None, "")}
    fields = {k: v for k, v in record.items() if k != "time" and k not in _TAGS[measurement] and v is not None}
    if measurement == rules.INCIDENT:
        key = f"incident {record.get('kind', '')} {time_ms}"
    elif measurement == rules.COVERAGE:
        key = f"coverage {time_ms}"
    else:
        key = "member"
    return Publication(key, measurement, tags, fields, time_ms)


def comparable_value(value: object) -> object:
    """A field's value as InfluxDB's JSON gives it back: integers and floats alike."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def comparable(publication: Publication) -> str:
    """A publication's content as InfluxDB gives it back: integers and floats alike, empty tags left out."""
    norm = comparable_value
    doc = {
        "measurement": publication.measurement,
        "time_ms": publication.time_ms,
        "tags": {k: v for k, v in publication.tags.items() if v},
        "fields": {k: norm(v) for k, v in publication.fields.items()},
    }
    return json.dumps(doc, sort_keys=True)


_HEX = re.compile(r"[0-9a-f]{64}")


def _incident(record: Mapping[str, Any]) -> PooledIncident | str:
    """A published incident, or why it cannot be checked."""
    try:
        kind, cause = Kind(str(record["kind"])), Cause(str(record["cause"]))
        start, end = float(record["start"]), float(record["end"])
    except (KeyError, TypeError, ValueError):
        return "an incident without a kind, cause, start or end netwatch knows"
    digest, head = str(record.get("digest") or ""), str(record.get("head_digest") or "")
    if not _HEX.fullmatch(digest) or not _HEX.fullmatch(head) or not record.get("head_seal"):
        return "an incident without the seal digest and chain head that make it checkable"
    return PooledIncident(
        household=str(record["household"]),
        isp=str(record.get("isp") or ""),
        area=str(record.get("area") or ""),
        kind=kind,
        cause=cause,
        start=start,
        end=end,
        digest=digest,
        seal=int(record.get("seal") or 0),
        head=(int(record["head_seal"]), head),
    )


def _span(record: Mapping[str, Any]) -> PooledSpan | str:
    try:
        start, end = float(record["start"]), float(record["end"])
    except (KeyError, TypeError, ValueError):
        return "a monitored stretch without a start or end"
    return PooledSpan(str(record["household"]), str(record.get("isp") or ""), str(record.get("area") or ""), start, end)


def _member(record: Mapping[str, Any]) -> Member | None:
    household = record.get("household")
    if not household:
        return None
    withdrawn = float(record.get("withdrawn") or 0.0)
    return Member(
        household=str(household),
        isp=str(record.get("isp") or ""),
        asn=int(record.get("asn") or 0),
        area=str(record.get("area") or ""),
        signature=str(record.get("signature") or ""),
        withdrawn=withdrawn or None,
    )


# --- the pool's operator ---------------------------------------------------------------------------------------


def add_household_statements(
    cfg: PoolConfig, household: str, password: str, existing: Sequence[str], users: Sequence[str], retention: str
) -> list[str]:
    """The InfluxQL (1.x, as an admin) giving ``household`` its database and user: ALL on its own database (write,
    and delete for withdrawal), READ on every other pool database, and READ on its database for every other pool
    user. ``retention`` is an InfluxQL duration ("400d"), or "" to keep records forever."""
    db = database(cfg, household)
    keep = f" WITH DURATION {retention}" if retention else ""
    out = [
        f'CREATE DATABASE "{db}"{keep}',
        f'CREATE USER "{db}" WITH PASSWORD {quote(password)}',
        f'GRANT ALL ON "{db}" TO "{db}"',
    ]
    for other in existing:
        if other == db:
            continue
        out.append(f'GRANT READ ON "{other}" TO "{db}"')
        if other in users:
            out.append(f'GRANT READ ON "{db}" TO "{other}"')
    return out


class PoolAdmin:
    """The pool's InfluxDB 1.x as its operator sees it (``[pool]`` with an admin user)."""

    def __init__(self, cfg: PoolConfig) -> None:
        self.cfg = cfg
        self.ql = InfluxQL(_as_influx(cfg, "_internal"))

    def _ask(self, statements: Sequence[str], *, post: bool = False) -> list[list[Series]]:
        try:
            return self.ql.query(statements, post=post)
        except ReportError as err:
            raise ReportError(said(err)) from None

    def add_household(self, household: str, password: str, retention: str) -> str:
        """Create the household's database, user and grants; returns the database's name."""
        dbs, users = self._ask(["SHOW DATABASES", "SHOW USERS"])
        existing = sorted(str(r["name"]) for _, r in rows(dbs) if str(r["name"]).startswith(self.cfg.prefix))
        names = [str(r["user"]) for _, r in rows(users)]
        db = database(self.cfg, household)
        if db in names or db in existing:
            raise ReportError(
                f'household {household} is already in the pool (database "{db}"): each household is added once'
            )
        self._ask(add_household_statements(self.cfg, household, password, existing, names, retention), post=True)
        return db
