"""CSV writing for the demo files: UTF-8, comma, header row, ``\\n`` line ends, ``.`` decimals.

Small master-data files go through :mod:`csv` (names may hold commas and get quoted). Big
files (weekly counts, events) are built as Arrow tables and written by pyarrow's C++ CSV
writer without quoting: their values are codes, numbers and timestamps that never contain
a comma, quote or newline. Output is byte-for-byte deterministic.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import pyarrow as pa
import pyarrow.csv as pa_csv

_UNQUOTED = pa_csv.WriteOptions(include_header=False, quoting_style="none")


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a small CSV file; returns the number of data rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(header)
        for row in rows:
            out.writerow(row)
            count += 1
    return count


def write_table(path: Path, table: pa.Table) -> int:
    """Write an Arrow table (columns in file order); returns the number of data rows."""
    with ChunkedCsv(path, table.column_names) as out:
        out.write(table)
    return int(table.num_rows)


class ChunkedCsv:
    """Append Arrow tables chunk by chunk under one header (bounded memory)."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = path
        self.header = list(header)
        self.rows = 0
        self._fh: IO[bytes] | None = None

    def __enter__(self) -> ChunkedCsv:
        self._fh = self.path.open("wb")
        self._fh.write((",".join(self.header) + "\n").encode("utf-8"))
        return self

    def write(self, table: pa.Table) -> None:
        if self._fh is None:
            raise RuntimeError("ChunkedCsv used outside a with block")
        if table.column_names != self.header:
            raise ValueError(f"columns {table.column_names} != header {self.header}")
        if table.num_rows:
            pa_csv.write_csv(table, self._fh, write_options=_UNQUOTED)
        self.rows += table.num_rows

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
