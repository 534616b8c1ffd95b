"""Path parameters shared by the routes: the ids of stored rows.

Bounded to the store's integer range so that an id past it (a typo, a fuzzer) is a 422
naming the parameter instead of an overflow in the database driver.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2_147_483_647
"""The largest id a row can have: PostgreSQL's ``integer`` (SQLite's is larger)."""

JobId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A background job's id.")]
VersionId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A plan version's number.")]
DeviationId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The deviation's id.")]
