"""Open a user file (CSV, XLSX, Parquet) as all-text tables with their line numbers.

Every value is read as text so that a wrong value can be reported at its row and column
instead of failing the whole read; typing happens in `validate`. Reading is columnar
(Polars, backed by Rust readers): no Python loop per row. Personal-identity columns are
never read unless asked for.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pks.ingest.errors import NO_COLUMN, IssueList
from pks.ingest.kinds import IDENTITY_COLUMNS, FileKind, kind_for_name

LINE = "_line"
"""Column holding the line number in the file (header = line 1)."""

SAMPLE_BYTES = 1 << 16
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}


@dataclass(frozen=True)
class CsvDialect:
    """What was detected about a CSV file: encoding and separator."""

    encoding: str  # "utf-8", "utf-8-sig" or "cp1252"
    separator: str


@dataclass
class Sheet:
    """One table of one kind: a CSV/Parquet file or one sheet of a workbook."""

    path: Path
    kind: FileKind
    sheet_name: str | None
    frame: pl.DataFrame | None = None
    dialect: CsvDialect | None = None

    @property
    def label(self) -> str:
        """How the table is named in messages."""
        return self.path.name

    def new_issues(self) -> IssueList:
        """An empty issue list positioned at this table."""
        return IssueList(self.label, self.sheet_name)


def _normalise_header(names: list[str]) -> list[str]:
    return [name.strip().lower().replace("\ufeff", "") for name in names]


def detect_dialect(path: Path, issues: IssueList) -> CsvDialect | None:
    """Detect encoding and separator from the first bytes; report non-text files."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        issues.add(1, NO_COLUMN, "the file is empty", "a header row and at least one data row")
        return None
    if sample.startswith(b"PK\x03\x04"):
        issues.add(
            1,
            NO_COLUMN,
            "not a CSV text file: it is a ZIP or Excel workbook",
            "text in UTF-8 or Windows-1252; save Excel files as .xlsx",
        )
        return None
    if sample.startswith(b"PAR1") or b"\x00" in sample:
        issues.add(
            1,
            NO_COLUMN,
            "not a CSV text file: it holds binary data",
            "text in UTF-8 or Windows-1252",
        )
        return None
    if sample.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            # A multi-byte character may be cut at the end of the sample.
            sample[: len(sample) - 4 if len(sample) == SAMPLE_BYTES else None].decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    header = sample.split(b"\n", 1)[0]
    separator = ";" if header.count(b";") > header.count(b",") else ","
    if header.count(b"\t") > max(header.count(b";"), header.count(b",")):
        separator = "\t"
    return CsvDialect(encoding, separator)


def _csv_bytes(path: Path, dialect: CsvDialect) -> bytes | Path:
    """UTF-8 content for Polars: the path itself when it is UTF-8 already."""
    if dialect.encoding == "cp1252":
        return path.read_bytes().decode("cp1252").encode("utf-8")
    return path


def _with_lines(frame: pl.DataFrame, first_line: int, multiline: bool) -> pl.DataFrame:
    """Add the line number of each row; quoted values with line breaks push later rows down."""
    frame = frame.with_row_index(LINE, offset=first_line).with_columns(pl.col(LINE).cast(pl.Int64))
    if multiline and frame.width > 1:
        breaks = pl.sum_horizontal(
            pl.col(c).str.count_matches("\n").fill_null(0) for c in frame.columns if c != LINE
        )
        frame = frame.with_columns(
            (pl.col(LINE) + breaks.cum_sum().shift(1, fill_value=0)).alias(LINE)
        )
    # Rows that are wholly empty (blank lines, empty Excel rows) are not data.
    data_columns = [c for c in frame.columns if c != LINE]
    return frame.filter(~pl.all_horizontal(pl.col(c).is_null() for c in data_columns))


def _clean_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Trim every value and turn empty strings into nulls ("not given")."""
    return frame.with_columns(
        pl.col(c).cast(pl.String).str.normalize("NFC").str.strip_chars().replace("", None)
        for c in frame.columns
    )


def _select_columns(names: list[str], read_identity: bool) -> list[int]:
    return [i for i, name in enumerate(names) if read_identity or name not in IDENTITY_COLUMNS]


def read_csv_text(path: Path, dialect: CsvDialect, read_identity: bool = False) -> pl.DataFrame:
    """Every column as text, header names normalised, with line numbers.

    A file that looked like UTF-8 in its first bytes but is not further on is read again
    as Windows-1252.
    """
    try:
        return _read_csv_text(path, dialect, read_identity)
    except pl.exceptions.ComputeError as error:
        if dialect.encoding == "cp1252" or "utf-8" not in str(error).lower():
            raise
        return _read_csv_text(path, CsvDialect("cp1252", dialect.separator), read_identity)


def _read_csv_text(path: Path, dialect: CsvDialect, read_identity: bool) -> pl.DataFrame:
    source = _csv_bytes(path, dialect)
    header_source = io.BytesIO(source) if isinstance(source, bytes) else source
    names = _normalise_header(
        pl.read_csv(
            header_source, separator=dialect.separator, n_rows=0, infer_schema=False
        ).columns
    )
    keep = _select_columns(names, read_identity)
    frame = pl.read_csv(
        io.BytesIO(source) if isinstance(source, bytes) else source,
        separator=dialect.separator,
        infer_schema=False,
        columns=keep,
        truncate_ragged_lines=True,
        raise_if_empty=False,
    )
    frame.columns = [names[i] for i in keep]
    return _with_lines(_clean_text(frame), first_line=2, multiline=True)


def open_sheets(path: Path, kind_override: FileKind | None, issues: IssueList) -> list[Sheet]:
    """The tables a file holds, with their kinds; problems go to ``issues``."""
    if not path.is_file():
        issues.add(1, NO_COLUMN, "no such file", "a readable file")
        return []
    suffix = path.suffix.lower()
    file_kind = kind_override or kind_for_name(path.stem)
    if suffix == ".xlsx":
        return _open_workbook(path, file_kind, issues)
    if file_kind is None:
        issues.add(
            1,
            NO_COLUMN,
            "the file name does not say what kind of file it is",
            "a name starting with a file kind, e.g. planning_objects.csv or weekly_2025.csv",
        )
        return []
    if suffix == ".parquet":
        with path.open("rb") as handle:
            magic = handle.read(4)
        if magic != b"PAR1":
            issues.add(1, NO_COLUMN, "not a Parquet file", "a file written as Parquet")
            return []
        return [Sheet(path, file_kind, None)]
    dialect = detect_dialect(path, issues)
    if dialect is None:
        return []
    return [Sheet(path, file_kind, None, dialect=dialect)]


def _open_workbook(path: Path, file_kind: FileKind | None, issues: IssueList) -> list[Sheet]:
    if not zipfile.is_zipfile(path):
        issues.add(1, NO_COLUMN, "not an Excel workbook", "an .xlsx file saved by Excel")
        return []
    try:
        import fastexcel

        names = fastexcel.read_excel(str(path)).sheet_names
    except Exception:  # the reader raises its own error types for corrupt workbooks
        issues.add(1, NO_COLUMN, "the workbook cannot be read", "an .xlsx file saved by Excel")
        return []
    sheets = [
        Sheet(path, kind, name) for name in names if (kind := kind_for_name(name)) is not None
    ]
    if not sheets and file_kind is not None and names:
        sheets = [Sheet(path, file_kind, names[0])]
    if not sheets:
        issues.add(
            1,
            NO_COLUMN,
            "neither the file name nor a sheet name says what kind it is",
            "a file name or sheet names starting with a file kind, e.g. org_units",
        )
    return sheets


def read_header(sheet: Sheet) -> list[str]:
    """Normalised column names of a table (reads only the first line of a CSV file)."""
    if sheet.dialect is None:
        return [c for c in read_sheet(sheet).columns if c != LINE]
    with sheet.path.open("rb") as handle:
        first = handle.readline()
    if sheet.dialect.encoding == "cp1252":
        first = first.decode("cp1252").encode("utf-8")
    names = pl.read_csv(
        io.BytesIO(first), separator=sheet.dialect.separator, n_rows=0, infer_schema=False
    ).columns
    return _normalise_header(names)


class UnreadableFile(Exception):
    """A file whose bytes the reader cannot parse (an unclosed quote, a corrupt workbook)."""

    def __init__(self, reason: str, expected: str) -> None:
        super().__init__(reason)
        self.expected = expected


def read_sheet(sheet: Sheet, read_identity: bool = False) -> pl.DataFrame:
    """The table of ``sheet`` as text with line numbers (reads the file on first use).

    Raises UnreadableFile, with the reader's first line of explanation, when the bytes
    cannot be parsed at all.
    """
    if sheet.frame is not None:
        return sheet.frame
    try:
        frame = _read(sheet, read_identity)
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        first_line = (
            str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        )
        # Reader messages may quote raw content: never let an identity number through.
        reason = re.sub(r"\d{6,8}[-+]?\d{4}", "<number>", first_line)[:160]
        raise UnreadableFile(reason, _expected_format(sheet)) from None
    sheet.frame = frame
    return frame


def _expected_format(sheet: Sheet) -> str:
    suffix = sheet.path.suffix.lower()
    if suffix == ".xlsx":
        return "an .xlsx workbook saved by Excel"
    if suffix == ".parquet":
        return "a Parquet file"
    return "CSV with a header row, quotes closed on every line"


def _read(sheet: Sheet, read_identity: bool) -> pl.DataFrame:
    suffix = sheet.path.suffix.lower()
    if suffix == ".xlsx":
        raw = pl.read_excel(
            sheet.path,
            sheet_name=sheet.sheet_name,
            engine="calamine",
            infer_schema_length=0,
            raise_if_empty=False,
        )
        raw = raw.rename(dict(zip(raw.columns, _normalise_header(raw.columns), strict=True)))
        raw = raw.select([c for c in raw.columns if read_identity or c not in IDENTITY_COLUMNS])
        frame = _with_lines(_clean_text(raw), first_line=2, multiline=False)
    elif suffix == ".parquet":
        names = pl.read_parquet_schema(sheet.path)
        wanted = [
            n for n in names if read_identity or _normalise_header([n])[0] not in IDENTITY_COLUMNS
        ]
        raw = pl.read_parquet(sheet.path, columns=wanted)
        raw = raw.rename(dict(zip(raw.columns, _normalise_header(raw.columns), strict=True)))
        frame = _with_lines(_clean_text(raw), first_line=2, multiline=False)
    else:
        assert sheet.dialect is not None
        frame = read_csv_text(sheet.path, sheet.dialect, read_identity)
    return frame
