"""Waiting-list maths (NHSRwaitinglist) — the public name; the code lives in the core."""

from pks.core.queueing import (
    queue_load,
    relief_capacity,
    target_capacity,
    target_mean_wait,
    target_queue_size,
    waiting_list_pressure,
    waiting_list_stats,
)

__all__ = [
    "queue_load",
    "relief_capacity",
    "target_capacity",
    "target_mean_wait",
    "target_queue_size",
    "waiting_list_pressure",
    "waiting_list_stats",
]
