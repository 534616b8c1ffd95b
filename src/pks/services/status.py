"""Status of org nodes for the web app's navigator and follow-up pages (issue 7 §2).

Pure orchestration over the services the CLI uses, so the pages, the JSON API and
``pks followup`` show the same numbers:

- `current_week`: the latest ISO week with outcome (performed or bought) in the store —
  the week the pages show unless one is asked for (not today's date: data arrive late).
- `unit_status`: the status cards of a node and its children from ONE follow-up of the
  node (`pks.services.followup.followup` with ``nodes_only``: from the follow-up cache the
  rows of the node and its children) and one list of deviations.
- `followup_series`: the weekly chart series from the follow-up cache's rows of the node
  (when stale: `pks.services.report_pdf.weekly_series` plus the waiting list of each week
  from its waiting-list snapshot — the same figures).
- `unit_quality`: the data-quality report limited to a unit's planning objects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pks.core.calendar import IsoWeek, weeks_in_year
from pks.core.deviations import DeviationStatus
from pks.core.measures import Measure
from pks.core.organisation import OrgTree
from pks.core.waitinglist import CARE_GUARANTEE_WEEKS
from pks.services import memo, rollups
from pks.services.deviations import list_deviations
from pks.services.errors import UserError
from pks.services.followup import followup, parse_week
from pks.services.forecasting import scope_of
from pks.services.quality import quality_report
from pks.services.report_pdf import weekly_series
from pks.store import repositories as repo
from pks.store.db import transaction
from pks.store.planning import latest_snapshot, measure_sums

OUTCOME = (Measure.PERFORMED.value, Measure.BOUGHT.value)
"""Measures that count as outcome (what was produced, own or bought)."""
LOOKBACK_WEEKS = 104
"""How far back from the newest counted week `current_week` looks for outcome."""
CARD_FIELDS = (
    "planned",
    "performed",
    "bought",
    "performed_incl_bought",
    "share_of_plan",
    "cumulative_planned",
    "cumulative_performed_incl_bought",
    "cumulative_bought",
    "cumulative_share_of_plan",
    "waiting_over_90d",
)
"""The figures of a status card that come from the follow-up (None without a plan)."""
CARD_INPUTS = ("planned", "performed", "bought", "cumulative_planned", "cumulative_performed",
           "cumulative_bought", "waiting_over_90d")
"""The follow-up figures a card is made of (`_card`)."""
NO_PLAN = "no active plan for "
"""How `followup` starts the UserError it raises when no plan covers the scope."""


def _tree(url: str, tree: OrgTree | None) -> OrgTree:
    return tree if tree is not None else memo.org_tree(url)


def current_week(url: str) -> str | None:
    """The latest ISO week (``2025-W10``) with performed or bought counts in the store;
    None when there is none. Newer weeks that hold only other measures (inflow, bookings)
    are skipped. Once per server worker and store generation (`pks.services.memo`)."""
    return memo.remember(url, memo.generation(url), ("current-week",), lambda: _newest(url))


def _newest(url: str) -> str | None:
    with transaction(url) as conn:
        _first, last = repo.week_span(conn)
        if last is None:
            return None
        codes = [p.code for p in repo.load_planning_objects(conn)]
        for back in range(LOOKBACK_WEEKS):
            monday = last - dt.timedelta(weeks=back)
            sums = measure_sums(conn, codes, monday, monday)
            if any(measure in OUTCOME and n for (_code, measure), n in sums.items()):
                return str(IsoWeek.of(monday))
    return None


def resolve_week(url: str, week: str | None) -> str | None:
    """``week`` checked (a UserError when malformed), else `current_week`."""
    if week:
        return str(parse_week(week))
    return current_week(url)


def _share(done: float | None, planned: float | None) -> float | None:
    if done is None or not planned:
        return None
    return done / planned


def _card(row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:
        return dict.fromkeys(CARD_FIELDS)
    done = row["performed"] + row["bought"]
    return {
        "planned": row["planned"],
        "performed": row["performed"],
        "bought": row["bought"],
        "performed_incl_bought": done,
        "share_of_plan": _share(done, row["planned"]),
        "cumulative_planned": row["cumulative_planned"],
        # the follow-up's cumulative_performed already holds own + bought
        "cumulative_performed_incl_bought": row["cumulative_performed"],
        "cumulative_bought": row["cumulative_bought"],
        "cumulative_share_of_plan": _share(row["cumulative_performed"], row["cumulative_planned"]),
        "waiting_over_90d": row["waiting_over_90d"],
    }


def _open_deviations(
    url: str, tree: OrgTree, unit: str, codes: list[str], week: IsoWeek | None
) -> dict[str, int]:
    """Open (not closed) deviations owned by each of ``codes`` or a node under it, raised
    in or before ``week``: one read of the node's deviations."""
    open_ = [
        d
        for d in list_deviations(url, unit)
        if d["status"] != DeviationStatus.CLOSED.value
        and (week is None or IsoWeek.parse(d["week"]) <= week)
    ]
    counts = dict.fromkeys(codes, 0)
    for d in open_:  # a deviation counts for its node and every node above it
        for node in (d["unit"], *tree.ancestors(d["unit"])):
            if node in counts:
                counts[node] += 1
    return counts


def unit_status(
    url: str,
    unit: str,
    week: str | None,
    against: str = "active",
    tree: OrgTree | None = None,
) -> dict[str, Any]:
    """The status cards of ``unit`` and each child: this week's planned against performed
    (own + bought), the same cumulative from week 1, the share of the plan, patients
    waiting over 90 days and open deviations. One follow-up of ``unit`` gives every card
    (its roll-ups cover the whole subtree). ``week`` None: no outcome in the store yet,
    the cards carry no figures; no active plan under ``unit``: ``has_plan`` is false."""
    tree = _tree(url, tree)
    if unit not in tree:
        raise UserError(f"unknown unit {unit!r}: use a code from the organisation tree")
    iso = None if week is None else parse_week(week)
    rows: dict[str, dict[str, Any]] = {}
    versions: list[int] = []
    has_plan = False
    cards = None if iso is None else rollups.cached_cards(url, iso, unit, against)
    if cards is not None:  # the node rows of the follow-up cache
        has_plan, versions = True, cards[1]
        rows = {c: {n: getattr(f, n) for n in CARD_INPUTS} for c, f in cards[0].items()}
    elif iso is not None:
        try:
            report = followup(url, str(iso), unit, against, nodes_only=True)
        except UserError as error:
            if not str(error).startswith(NO_PLAN):
                raise
        else:
            has_plan = True
            versions = report["plan_versions"]
            rows = {r["unit"]: r for r in report["rollups"]}
    nodes = [tree[unit], *tree.children(unit)]
    codes = [n.code for n in nodes]
    deviations = memo.remember(  # until a deviation is raised or acted on (or the tree moves)
        url, f"{memo.generation(url)}|{memo.deviation_generation(url)}",
        ("open-deviations", unit, week),
        lambda: _open_deviations(url, tree, unit, codes, iso),
    )
    return {
        "week": None if iso is None else str(iso),
        "unit": unit,
        "against": against,
        "has_plan": has_plan,
        "plan_versions": versions,
        "cards": [
            {
                "code": n.code,
                "name": n.name,
                "level": n.level.value,
                "parent": n.parent_code,
                **_card(rows.get(n.code)),
                "open_deviations": deviations[n.code],
            }
            for n in nodes
        ],
    }


def owned_objects(url: str, unit: str) -> list[dict[str, Any]]:
    """The planning objects placed directly on ``unit`` (not on the units below it)."""
    objects = [p for p in rollups.planning_objects(url) if p.unit_code == unit]
    return [
        {
            "code": p.code,
            "name": p.name,
            "unit": p.unit_code,
            "care_service": p.care_service.code,
            "care_service_name": p.care_service.name,
            "provider_category": p.provider_category.value,
            "contact_type": p.contact_type.value,
            "care_type": p.care_type.value,
            "setting": p.setting.value,
            "priority": p.priority,
        }
        for p in sorted(objects, key=lambda p: p.code)
    ]


def _running(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v
        out.append(total)
    return out


def followup_series(
    url: str, week: str, unit: str, against: str = "active", cache: bool = True
) -> dict[str, Any]:
    """The charts' weekly series of ``unit``'s roll-up for weeks 1 … ``week`` of its ISO
    year: `weekly_series` (plan, own, bought, inflow, stored forecast) and, per week, the
    patients waiting and waiting over 90 days from the snapshot taken in that week (None
    when no snapshot was taken in the week). From the follow-up cache when it is fresh
    and ``cache`` (the same figures: `_series_from_cache`)."""
    cached = _series_from_cache(url, parse_week(week), unit, against) if cache else None
    if cached is not None:
        return cached
    series = weekly_series(url, week, unit, against)
    iso = parse_week(week)
    waiting: list[float | None] = []
    over_90: list[float | None] = []
    with transaction(url) as conn:
        objects = scope_of(conn, unit)[2]
        codes = [o.code for o in objects]
        newest, _rows = latest_snapshot(conn, codes, iso.sunday)
        this_year = newest is not None and newest >= IsoWeek(iso.year, 1).monday
        for n in series.weeks:  # no snapshot this year: no reads per week
            w = IsoWeek(iso.year, n)
            date, rows = latest_snapshot(conn, codes, w.sunday) if this_year else (None, [])
            if date is None or date < w.monday:
                waiting.append(None)
                over_90.append(None)
                continue
            waiting.append(float(sum(c for _code, _w, c in rows)))
            over_90.append(float(sum(c for _code, w_, c in rows if w_ >= CARE_GUARANTEE_WEEKS)))
    done = [p + b for p, b in zip(series.performed, series.bought, strict=True)]
    return {
        "unit": series.unit,
        "week": str(iso),
        "against": against,
        "plan_versions": series.plan_versions,
        "weeks": series.weeks,
        "planned": series.planned,
        "performed": series.performed,
        "bought": series.bought,
        "performed_incl_bought": done,
        "inflow": series.inflow,
        "inflow_forecast": series.inflow_forecast,
        "waiting": waiting,
        "waiting_over_90d": over_90,
        "cumulative_planned": series.cumulative_planned,
        "cumulative_performed_incl_bought": series.cumulative_performed,
        "cumulative_inflow": _running(series.inflow),
        "cumulative_planned_year": _running(series.planned_year),
    }


def _series_from_cache(
    url: str, iso: IsoWeek, unit: str, against: str
) -> dict[str, Any] | None:
    """`followup_series` from the follow-up cache's rows of the node (the same figures:
    the cache is computed by the follow-up's own functions), None when it does not cover
    the year up to ``iso``."""
    cached = rollups.year_series(url, iso, unit, against)
    if cached is None:
        return None
    rows, versions = cached
    if any(n not in rows for n in range(1, iso.week + 1)) or not versions:
        return None  # no plan under the node: the direct path says so
    weeks = list(range(1, iso.week + 1))
    year = range(1, weeks_in_year(iso.year) + 1)

    def values(name: str) -> list[Any]:
        return [getattr(rows[n], name) for n in weeks]

    performed, bought = values("performed"), values("bought")
    done = [p + b for p, b in zip(performed, bought, strict=True)]
    planned_year = [rows[n].planned if n in rows else 0.0 for n in year]
    return {
        "unit": unit,
        "week": str(iso),
        "against": against,
        "plan_versions": versions,
        "weeks": weeks,
        "planned": values("planned"),
        "performed": performed,
        "bought": bought,
        "performed_incl_bought": done,
        "inflow": values("inflow"),
        "inflow_forecast": values("inflow_forecast"),
        "waiting": values("waiting"),
        "waiting_over_90d": values("waiting_over_90d"),
        "cumulative_planned": _running(values("planned")),
        "cumulative_performed_incl_bought": _running(done),
        "cumulative_inflow": _running(values("inflow")),
        "cumulative_planned_year": _running(planned_year),
    }


def unit_quality(url: str, unit: str, weeks: int = 52) -> dict[str, Any]:
    """`pks.services.quality.quality_report` limited to the planning objects of ``unit``
    and the units under it. Unknown codes and events without a planning object belong to
    no unit: they are given for the whole store under ``store``."""
    report = quality_report(url, weeks)
    with transaction(url) as conn:
        tree, scope, objects = scope_of(conn, unit)
    inside = set(tree.subtree(scope))
    findings = [f for f in report.findings if f.unit in inside]
    data = report.to_dict()
    kinds = ("missing_week", "zero_week", "outlier", "late_registration")
    counted = {k: sum(f.kind == k for f in findings) for k in kinds}
    return {
        "unit": scope,
        "first_week": report.first_week,
        "last_week": report.last_week,
        "planning_objects": len(objects),
        "missing_weeks": counted["missing_week"],
        "zero_weeks": counted["zero_week"],
        "outliers": counted["outlier"],
        "late_registrations": counted["late_registration"],
        "findings": [f for f in data["findings"] if f["unit"] in inside],
        "per_planning_object": [
            row for row in report.per_planning_object if row["unit"] in inside
        ],
        "store": {
            "unmapped_events": report.unmapped_events,
            "unmapped_share": data["unmapped_share"],
            "unknown_codes": report.unknown_codes,
        },
    }
