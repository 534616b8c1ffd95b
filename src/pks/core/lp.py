"""One way to make a HiGHS solver in pks: quiet, so commands that print JSON stay clean.

highspy's ``Highs()`` wrapper enables its Python callbacks on construction, which prints the
HiGHS banner to stdout before any option can switch output off; the underlying ``_Highs``
has the same solver API without the callbacks (pks uses none).
"""

from __future__ import annotations

from typing import Any

from highspy._core import _Highs


def quiet_highs() -> Any:
    """A HiGHS instance with all output off (no banner, no log)."""
    highs = _Highs()
    highs.setOptionValue("output_flag", False)
    return highs
