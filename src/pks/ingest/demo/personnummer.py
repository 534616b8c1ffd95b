"""Fake Swedish personal identity numbers (personnummer) for demo events.

Format ``YYYYMMDDNNNN``: birth date, a three-digit birth number and a check digit. As in
the Swedish standard, the check digit is the Luhn digit of the *ten-digit* form, i.e. of
``YYMMDDNNN`` (the century is not part of the checksum). The numbers are drawn at random
and are fictitious; they exist only so that ``--count-patients`` has something to count.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

_LUHN_WEIGHTS = np.array([2, 1, 2, 1, 2, 1, 2, 1, 2], dtype=np.int64)


def luhn_digit(nine_digits: np.ndarray) -> np.ndarray:
    """Check digit for each row of an (n, 9) digit array (``YYMMDDNNN``)."""
    products = nine_digits * _LUHN_WEIGHTS
    total = (products // 10 + products % 10).sum(axis=1)
    return np.asarray((10 - total % 10) % 10)


def is_valid(pnr: str) -> bool:
    """True when ``pnr`` is 12 digits with a real birth date and a correct check digit."""
    if len(pnr) != 12 or not pnr.isdigit():
        return False
    try:
        dt.date(int(pnr[:4]), int(pnr[4:6]), int(pnr[6:8]))
    except ValueError:
        return False
    digits = np.array([[int(c) for c in pnr[2:11]]], dtype=np.int64)
    return int(luhn_digit(digits)[0]) == int(pnr[11])


def make_pool(rng: np.random.Generator, size: int, reference: dt.date) -> np.ndarray:
    """``size`` personnummer (numpy ``<U12``) of a population alive at ``reference``.

    Ages: 70 % spread evenly over 0–90 years, 30 % extra among the 65–95-year-olds, which
    roughly matches who uses hospital care.
    """
    old = rng.random(size) < 0.3
    age_days = np.where(old, rng.uniform(65, 95, size), rng.uniform(0, 90, size)) * 365.25
    ref = np.datetime64(reference.isoformat(), "D")
    birth = ref - age_days.astype(np.int64).astype("timedelta64[D]")
    years = birth.astype("datetime64[Y]")
    months = birth.astype("datetime64[M]")
    y = years.astype(np.int64) + 1970
    m = (months - years).astype(np.int64) + 1
    d = (birth - months).astype(np.int64) + 1
    serial = rng.integers(1, 1000, size)
    yy = y % 100
    nine = np.stack(
        [
            yy // 10,
            yy % 10,
            m // 10,
            m % 10,
            d // 10,
            d % 10,
            serial // 100,
            (serial // 10) % 10,
            serial % 10,
        ],
        axis=1,
    )
    number = ((y * 100 + m) * 100 + d) * 10000 + serial * 10 + luhn_digit(nine)
    return np.asarray(number.astype("U12"))
