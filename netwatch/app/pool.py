"""The neighbourhood pool's operations: what `netwatch pool …` and the report's area section ask for.

Owns the household's id (made once, kept in the store), the area report of a period (this household's outages from
its own store against every household's records read from the pool), `pool verify` (the household's records in the
pool against what its sealed store says it published, and the store's own chain), withdrawal (the store first, so
that nothing is published any more, then the household's series dropped from the pool and a member record saying it
withdrew) and adding a household as the pool's operator (InfluxDB 1.x). Must not word anything
(``netwatch.report.area`` and ``netwatch.report.pooltext`` do) nor decide what is published (``netwatch.core.pool``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from netwatch.adapters.influx import pool as pooldb
from netwatch.adapters.store.sqlite import Store
from netwatch.config import Config
from netwatch.core import pool as rules
from netwatch.core.model import Break, Member, Period, PoolCheck, Publication
from netwatch.errors import ConfigError, InputError, Problem, ReportError
from netwatch.report.area import NO_AREA, AreaFigures, area_figures

MARGIN = 2 * 86_400.0  # seconds of records read before and after a period: outages crossing its ends


def require_pool(cfg: Config) -> None:
    if not cfg.pool.enabled:
        raise ConfigError(
            [
                Problem(
                    "pool.url",
                    "is not set, so this household is in no neighbourhood pool",
                    'set it to the pool\'s InfluxDB, e.g. url = "http://pool.example.net:8086", with isp, area and '
                    "the credentials the pool's operator gave you",
                )
            ],
            str(cfg.source) if cfg.source else None,
        )


def household_id(cfg: Config, now: float) -> tuple[str, bool]:
    """This household's id, made (and kept in the store) when it has none yet; and whether it withdrew."""
    with Store.open(cfg.store.path) as store:
        found = store.pool_join(rules.household_id(secrets.token_bytes(8)), now)
    return found.household, found.withdrawn is not None


def _joined(store: Store) -> str:
    found = store.pool_household()
    if found is None:
        raise ReportError(
            "this household has no pool id yet: run `netwatch pool id` (or start netwatch with [pool] set) first"
        )
    return found.household


def member(cfg: Config, household: str) -> Member:
    p = cfg.pool
    return Member(household, p.isp, p.asn, p.area, p.sign_as)


def area_report(
    cfg: Config, period: Period, store: Store, *, isp: str | None = None, area: str | None = None
) -> AreaFigures:
    """This household's outages of ``period`` (from ``store``) against the pool's records of provider ``isp`` in
    ``area`` (default: ``[pool] isp`` and ``area``). Raises ReportError when the pool cannot be read."""
    require_pool(cfg)
    household = _joined(store)
    outages = [i for i in store.incidents(period.since, period.until) if i.end is not None]
    reader = pooldb.PoolReader(cfg.pool, household)
    data = reader.read(period.since - MARGIN, period.until + MARGIN)
    return area_figures(
        period,
        cfg.business_hours.timezone.key,
        household,
        isp or cfg.pool.isp,
        area or cfg.pool.area,
        outages,
        data.incidents,
        data.spans,
        data.members,
        data.unreadable,
        home=(cfg.pool.isp, cfg.pool.area),
    )


def in_report(cfg: Config, period: Period, store: Store) -> tuple[AreaFigures, str | None]:
    """The area section of a report of ``period``: NO_AREA without ``[pool]``; when the pool cannot be read (or this
    household never joined), figures that say why, and a warning."""
    if not cfg.pool.enabled:
        return NO_AREA, None
    try:
        return area_report(cfg, period, store), None
    except (ReportError, ConfigError) as err:
        reason = str(err).strip().replace("\n", " ")
    figures = AreaFigures(
        period, cfg.business_hours.timezone.key, "", cfg.pool.isp, cfg.pool.area, (), (), (), asked=False, reason=reason
    )
    return figures, f"neighbourhood pool not asked: {reason}"


def verify(cfg: Config) -> PoolCheck:
    """The household's records in the pool against the publications its store sealed, and the store's chain."""
    require_pool(cfg)
    with Store.open(cfg.store.path, readonly=True) as store, store.snapshot():
        household = _joined(store)
        withdrawn = store.pool_household()
        published = store.pool_sent()
        checked = store.verify()
        reader = pooldb.PoolReader(cfg.pool, household)
        found = reader.mine()
        breaks = _compare(published, found, withdrawn is not None and withdrawn.withdrawn is not None)
        for publication, _, _ in published:
            if publication.measurement != rules.INCIDENT:
                continue
            kind = str(publication.tags.get("kind", ""))
            now = store.sealed_incident(kind, publication.time_ms / 1000)
            digest = str(publication.fields.get("digest", ""))
            if now is None:
                breaks.append(
                    Break(
                        publication.key, "was published but is not in the store (deleted?)", publication.time_ms / 1000
                    )
                )
            elif now[1] != digest:
                breaks.append(
                    Break(
                        publication.key,
                        f"the store's record no longer has the digest published (sha256:{digest[:16]}…, now "
                        f"sha256:{now[1][:16]}…): altered after it was published?",
                        publication.time_ms / 1000,
                    )
                )
    return PoolCheck(household, pooldb.database(cfg.pool, household), len(published), tuple(breaks), checked)


def _compare(
    published: Sequence[tuple[Publication, float, int]], found: Sequence[Publication], withdrawn: bool
) -> list[Break]:
    """Each publication against the pool's point of the same key; points the household never published."""
    mine = {p.key: p for p, _, _ in published}
    there = {p.key: p for p in found}
    breaks: list[Break] = []
    for key, publication in sorted(mine.items()):
        at = publication.time_ms / 1000
        got = there.get(key)
        if got is None:
            if not withdrawn or key == "member":
                breaks.append(Break(key, "was published but is missing from the pool (deleted?)", at))
            continue
        if pooldb.comparable(got) != pooldb.comparable(publication):
            changed = (
                ", ".join(
                    f"{k} {publication.fields.get(k)!r} → {got.fields.get(k)!r}"
                    for k in sorted(set(publication.fields) | set(got.fields))
                    if pooldb.comparable_value(publication.fields.get(k)) != pooldb.comparable_value(got.fields.get(k))
                )
                or "its tags"
            )
            breaks.append(Break(key, f"differs in the pool from what was published: {changed} (altered?)", at))
    for key, got in sorted(there.items()):
        if key not in mine:
            breaks.append(
                Break(key, "is in the pool but this household never published it (inserted?)", got.time_ms / 1000)
            )
    return breaks


def withdraw(cfg: Config, now: float) -> str:
    """Withdraw this household: nothing is published any more (recorded, chained), its series are dropped from the
    pool, and a member record says when it withdrew. Returns the household's id. Running it again retries."""
    require_pool(cfg)
    with Store.open(cfg.store.path) as store:
        found = store.pool_household()
        if found is None:
            raise InputError("this household never joined a pool: there is nothing to withdraw")
        if found.withdrawn is None:
            store.pool_withdraw(now)
            found = store.pool_household()
        assert found is not None and found.withdrawn is not None
    reader = pooldb.PoolReader(cfg.pool, found.household)
    reader.drop_mine()
    left = rules.member_publication(
        Member(found.household, cfg.pool.isp, cfg.pool.asn, cfg.pool.area, "", found.withdrawn), found.created
    )
    sink = pooldb.open_sink(cfg.pool, found.household)
    try:
        pooldb.write(sink, [left])
    finally:
        sink.close()
    with Store.open(cfg.store.path) as store:
        store.pool_published(left, now)  # what the pool now says of this household, chained like any publication
    return found.household


def add_household(cfg: Config, household: str, retention: str) -> tuple[str, str]:
    """As the pool's operator (``[pool]`` with an InfluxDB 1.x admin): the household's database and user, with its
    grants. Returns (database and user name, password)."""
    require_pool(cfg)
    if not rules.is_household_id(household):
        raise InputError(
            f"{household!r} is not a household id: ask the household for the {rules.ID_LENGTH} characters "
            "`netwatch pool id` prints"
        )
    if cfg.pool.api != "v1":
        raise InputError(
            'pool admin add-household speaks InfluxDB 1.x (api = "v1"); for InfluxDB 2.x and VictoriaMetrics follow '
            'README "Neighbourhood pool" (a bucket and a token per household)'
        )
    password = secrets.token_urlsafe(24)
    db = pooldb.PoolAdmin(cfg.pool).add_household(household, password, retention)
    return db, password
