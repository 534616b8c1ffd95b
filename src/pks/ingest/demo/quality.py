"""Realistic registration errors, so the data-quality report has something to find.

None of them breaks the import: a few planning objects miss some weeks entirely, a few
weeks are registered as zero, one week is an outlier (about 5x), one week is registered
twice (doubled), and the last three weeks of ten planning objects are under-registered in
batch 1 and re-delivered with the full counts in ``weekly_corrections.csv`` (batch 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pks.ingest.demo.catalog import Catalog
from pks.ingest.demo.history import NOT_REPORTED, History

LATE_OBJECTS = 10
LATE_WEEKS = 3


@dataclass
class Corrections:
    """True ``performed`` of the late-registered objects in the last weeks."""

    objects: list[int]
    weeks: list[int]  # history week indices
    performed: np.ndarray  # (objects, weeks)


def _pick(rng: np.random.Generator, pool: list[int], k: int) -> list[int]:
    if not pool:
        return []
    return sorted(int(i) for i in rng.choice(pool, size=min(k, len(pool)), replace=False))


def inject_errors(
    hist: History, cat: Catalog, rng: np.random.Generator
) -> tuple[Corrections, dict[str, int]]:
    """Modify ``hist`` in place; returns the corrections and counts for the summary."""
    perf = hist.measures["performed"]
    h = perf.shape[1]
    bought = set(np.flatnonzero((hist.measures["bought"] >= 0).any(axis=1)).tolist())
    busy = [
        i
        for i, o in enumerate(cat.objects)
        if o.step.flow_step != "referral" and not o.acute and o.v_perf >= 5 and i not in bought
    ]
    late = _pick(rng, busy, LATE_OBJECTS)
    weeks = list(range(max(0, h - LATE_WEEKS), h))
    true = perf[np.ix_(late, weeks)].copy() if late else np.zeros((0, 0), dtype=np.int64)
    if late:
        share = rng.uniform(0.07, 0.2, (len(late), 1))
        missing = np.maximum(rng.binomial(true, share), np.minimum(true, 1))
        perf[np.ix_(late, weeks)] = true - missing
    counts = {
        "late_registration_objects": len(late),
        "missing_object_weeks": 0,
        "zero_object_weeks": 0,
        "outlier_weeks": 0,
        "double_registration_weeks": 0,
    }
    if h < 12:  # too short a history for errors that stay recognisable
        return Corrections(late, weeks, true), counts
    rest = [i for i in busy if i not in late]
    chosen = _pick(rng, rest, 7)
    missing, zero, outlier, double = chosen[:2], chosen[2:5], chosen[5:6], chosen[6:7]
    span = h - LATE_WEEKS - 5  # errors lie in weeks 2 .. h-LATE_WEEKS-3
    for i in missing:
        start = 2 + int(rng.integers(0, span - 2))
        for arr in hist.measures.values():
            if (arr[i] >= 0).any():
                arr[i, start : start + 3] = NOT_REPORTED
        counts["missing_object_weeks"] += 3
    for i in zero:
        w = 2 + int(rng.integers(0, span))
        for arr in hist.measures.values():
            if arr[i, w] > 0:
                arr[i, w] = 0
        counts["zero_object_weeks"] += 1
    for i in outlier:
        w = 2 + int(rng.integers(0, span))
        perf[i, w] = max(5 * perf[i, w], 5 * round(cat.objects[i].v_perf))
        counts["outlier_weeks"] += 1
    for i in double:
        w = 2 + int(rng.integers(0, span))
        for arr in hist.measures.values():
            if arr[i, w] > 0:
                arr[i, w] *= 2
        counts["double_registration_weeks"] += 1
    return Corrections(late, weeks, true), counts
