"""Where the real PostgreSQL server of the tests is.

A plain module, not ``conftest``: ``tests/browser`` has its own conftest, and under pytest's
default import mode ``from conftest import …`` may find that one instead of ``tests/conftest.py``.
"""

from __future__ import annotations

import os

PG_SERVER = os.environ.get("PKS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
"""The server every PostgreSQL test uses: 127.0.0.1:5432, trust auth, database ``test``."""
