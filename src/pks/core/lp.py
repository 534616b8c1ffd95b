"""One way to make a HiGHS solver in pks: quiet and single-threaded, the same everywhere.

- Quiet: highspy's ``Highs()`` wrapper enables its Python callbacks on construction, which
  prints the HiGHS banner to stdout before any option can switch output off; the
  underlying ``_Highs`` has the same solver API without the callbacks (pks uses none).
- One thread per instance: HiGHS starts one task scheduler per process with the thread
  count of the first solve, and a later instance asking for another count fails to run
  (model status "Not Set"). pks parallelises across independent models itself (balancing
  components in a thread pool), so every instance asks for exactly one thread.
"""

from __future__ import annotations

from typing import Any

from highspy._core import _Highs

SOLVER_THREADS = 1
"""Threads per HiGHS instance; must be the same for every instance in a process."""


def quiet_highs() -> Any:
    """A HiGHS instance with all output off (no banner, no log) and one thread."""
    highs = _Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", SOLVER_THREADS)
    return highs
