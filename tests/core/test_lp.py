"""Every HiGHS model in pks must solve in one process whatever solved first.

HiGHS starts one task scheduler per process with the first solve's thread count; an
instance asking for another count then fails to run ("Not Set"). This happened when the
levelling (default threads) solved before the balancing (one thread) in the same test
worker. The check runs in a fresh process, levelling first, then balancing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pks.core.lp import quiet_highs

TESTS = Path(__file__).resolve().parent


def test_levelling_then_balancing_in_one_fresh_process() -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
            f"{TESTS / 'test_levelling.py'}::"
            "test_hand_case_levels_to_the_mean_when_running_ahead_is_allowed",
            f"{TESTS / 'test_balancing.py'}::"
            "test_hand_calculated_three_objects_two_resources_four_weeks",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=TESTS.parents[1],
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "2 passed" in done.stdout


def test_quiet_highs_is_single_threaded_and_silent() -> None:
    highs = quiet_highs()
    assert highs.getOptionValue("threads")[1] == 1  # (status, value)
    assert highs.getOptionValue("output_flag")[1] is False
