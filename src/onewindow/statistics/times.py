"""The clearance-time figures (整体通关时间): the KPI tiles of the summary, the overall clearance
time by bucket of release, and the stages the time of goods declarations went to. A time is known
once a declaration is released: these figures count the declarations released in the period."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from .figure import GOODS, Figure, kinds_of, round_hours, round_rate
from .measures import Stage, mean, quantile, rate

if TYPE_CHECKING:
    from .queries import Snapshot

__all__ = ["clearance_time", "stages", "summary"]


def summary(s: Snapshot) -> Figure:
    """The KPI tiles: declarations lodged, released so far and inspected; clearance times of
    those released in the period; how many dossiers are late; the previous period alongside."""
    before = s.previous()
    hours = [x.clearance.total for x in s.released if x.clearance]
    earlier = [x.clearance.total for x in before.released if x.clearance]
    lodged = len(s.lodged)
    released = sum(1 for x in s.lodged if x.status == "released")
    inspected = sum(1 for x in s.lodged if x.inspected)
    row = {
        "declarations": lodged,
        "released": released,
        "release_rate": round_rate(rate(released, lodged)),
        "inspected": inspected,
        "inspection_rate": round_rate(rate(inspected, lodged)),
        "cleared": len(hours),
        "median_h": round_hours(quantile(hours, 0.5)),
        "p90_h": round_hours(quantile(hours, 0.9)),
        "late": len(s.late),
        "previous_declarations": len(before.lodged),
        "previous_median_h": round_hours(quantile(earlier, 0.5)),
    }
    return Figure("summary", tuple(row), [row], {"previous": before.f.as_dict()})


def clearance_time(s: Snapshot) -> Figure:
    """整体通关时间 by bucket of release and kind of declaration: median, 90th percentile and mean
    hours from submission to release; the median time until every agency had decided once."""
    rows = []
    for bucket, lives in s.bucketed(s.released, lambda x: x.released_at or x.submitted_at).items():
        by_kind = defaultdict(list)
        for x in lives:
            by_kind[x.kind].append(x.clearance)
        for kind in kinds_of(s.lodged + s.released, always=GOODS):
            times = [c for c in by_kind.get(kind, []) if c is not None]
            total = [c.total for c in times]
            rows.append(
                {
                    "bucket": bucket.isoformat(),
                    "kind": kind,
                    "released": len(times),
                    "median_h": round_hours(quantile(total, 0.5)),
                    "p90_h": round_hours(quantile(total, 0.9)),
                    "mean_h": round_hours(mean(total)),
                    "decided_median_h": round_hours(
                        quantile([c.decided for c in times if c.decided is not None], 0.5)
                    ),
                }
            )
    columns = ("bucket", "kind", "released", "median_h", "p90_h", "mean_h", "decided_median_h")
    return Figure("clearance-time", columns, rows)


def stages(s: Snapshot) -> Figure:
    """Where the time of the goods declarations released in each bucket went, in mean hours per
    declaration (the stages add up to the mean clearance time); and, of those inspected, how long
    the inspection took."""
    rows = []
    goods = [x for x in s.released if x.kind in GOODS]
    for bucket, lives in s.bucketed(goods, lambda x: x.released_at or x.submitted_at).items():
        times = [x.clearance for x in lives if x.clearance is not None]
        inspected = [c.inspection for c in times if c.inspection > 0]
        rows.append(
            {
                "bucket": bucket.isoformat(),
                "released": len(times),
                **{f"{st.value}_h": round_hours(mean(c.stage(st) for c in times)) for st in Stage},
                "total_h": round_hours(mean(c.total for c in times)),
                "inspected": len(inspected),
                "inspection_when_inspected_h": round_hours(mean(inspected)),
            }
        )
    columns = (
        "bucket",
        "released",
        "review_h",
        "trader_h",
        "inspection_h",
        "total_h",
        "inspected",
        "inspection_when_inspected_h",
    )
    return Figure("stages", columns, rows)
