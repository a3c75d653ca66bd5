"""Baselines (``app/baselines.py`` ``BaselineStore``): ``analytics_baselines`` and their
groups (migration 0011)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db import tables as t
from ownit.app.baselines import Baseline
from ownit.domain.analytics.baselines import BaselineGroup

_b, _g = t.analytics_baselines, t.analytics_baseline_groups


# Built once (every service and team page compares with the baselines).
_ALL = select(_b).order_by(_b.c.created_at.desc(), _b.c.id.desc())


class SqlBaselineStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, baseline: Baseline, groups: Sequence[BaselineGroup]) -> bool:
        try:
            with self._engine.begin() as conn:
                key = conn.execute(
                    _b.insert().values(
                        name=baseline.name,
                        since=baseline.since,
                        until=baseline.until,
                        created_by=baseline.created_by,
                        created_at=baseline.created_at,
                    )
                ).inserted_primary_key
                assert key is not None
                if groups:
                    conn.execute(
                        _g.insert(),
                        [
                            {
                                "baseline_id": key[0],
                                "kind": g.kind,
                                "key": g.key,
                                "count": g.count,
                                "tta_p50": g.tta_p50,
                                "tta_p90": g.tta_p90,
                                "ttr_p50": g.ttr_p50,
                                "ttr_p90": g.ttr_p90,
                                "noise_ratio": g.noise_ratio,
                            }
                            for g in groups
                        ],
                    )
        except IntegrityError:
            return False
        return True

    def all(self) -> list[Baseline]:
        with self._engine.connect() as conn:
            return [
                Baseline(r.name, r.since, r.until, r.created_by, r.created_at, r.chosen_at)
                for r in conn.execute(_ALL)
            ]

    def groups(self, name: str) -> list[BaselineGroup] | None:
        with self._engine.connect() as conn:
            found = conn.execute(select(_b.c.id).where(_b.c.name == name)).scalar()
            if found is None:
                return None
            rows = conn.execute(
                select(
                    _g.c.kind,
                    _g.c.key,
                    _g.c["count"],
                    _g.c.tta_p50,
                    _g.c.tta_p90,
                    _g.c.ttr_p50,
                    _g.c.ttr_p90,
                    _g.c.noise_ratio,
                )
                .where(_g.c.baseline_id == found)
                .order_by(_g.c.kind, _g.c.key)
            )
            return [BaselineGroup(*row) for row in rows]

    def choose(self, name: str, at: datetime) -> bool:
        with self._engine.begin() as conn:
            changed = conn.execute(update(_b).where(_b.c.name == name).values(chosen_at=at))
            return bool(changed.rowcount)
