"""Tests that fail when the docs drift from the code, and tests of the architecture's walls.

- docs/glossary.md lists every enumeration value with its Swedish term, every import file
  kind and column, every store table and every domain class of ``pks.core``;
- docs/import-format.md documents every file kind and every column in its kind's section;
- the walls of docs/architecture.md hold: core imports no outer layer or I/O library, the
  CLI and the API reach the store only through services, only the store knows SQLAlchemy.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import pks.core
from pks.core.vocabulary import Vocabulary, _swedish_terms
from pks.ingest.kinds import KINDS, FileKind
from pks.store.models import Base

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SRC = ROOT / "src" / "pks"
GLOSSARY = DOCS / "glossary.md"
IMPORT_FORMAT = DOCS / "import-format.md"

# -- reading the markdown ------------------------------------------------------------------


def _sections(path: Path) -> dict[str, str]:
    """Markdown text by heading (the heading line without its ``#``), top matter under ``""``."""
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            current = line.lstrip("#").strip()
            sections.setdefault(current, [])
        else:
            sections[current].append(line)
    return {heading: "\n".join(lines) for heading, lines in sections.items()}


def _section(path: Path, start: str) -> str:
    """The text of the one section whose heading starts with ``start``."""
    found = [text for heading, text in _sections(path).items() if heading.startswith(start)]
    assert len(found) == 1, f"{path.name}: expected one section {start!r}, found {len(found)}"
    return found[0]


def _rows(text: str) -> list[list[str]]:
    """Cells of every table row (header and separator rows left out); ``\\|`` is not a border."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if all(set(c) <= set("-: ") for c in cells):
            continue
        rows.append(cells)
    return rows[1:] if rows else rows  # the first row is the header


def _codes(cell: str) -> list[str]:
    """The ``code`` spans of a cell."""
    return re.findall(r"`([^`]+)`", cell)


def _table_by_code(text: str) -> dict[str, list[str]]:
    """Rows keyed by each code in their first cell."""
    return {code: row for row in _rows(text) for code in _codes(row[0])}


def _plain(cell: str) -> str:
    return cell.replace("*", "").strip()


# -- glossary: enumerations ----------------------------------------------------------------


def _vocabularies() -> list[type[Vocabulary]]:
    """Every Vocabulary defined in pks.core (modules imported so none is missed)."""
    for module in pkgutil.walk_packages(pks.core.__path__, "pks.core."):
        importlib.import_module(module.name)
    found: list[type[Vocabulary]] = []
    todo = list(Vocabulary.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("pks.core."):
            found.append(cls)
    return sorted(found, key=lambda c: c.__name__)


VOCABULARIES = _vocabularies()
MEMBERS = [(cls, member) for cls in VOCABULARIES for member in cls]


def test_every_core_vocabulary_is_found() -> None:
    names = {cls.__name__ for cls in VOCABULARIES}
    assert {
        "OrgLevel",
        "ProviderCategory",
        "ContactType",
        "FlowStep",
        "CareType",
        "Setting",
        "Measure",
        "ResourceKind",
    } <= names


@pytest.mark.parametrize(
    ("cls", "member"), MEMBERS, ids=lambda x: x.__name__ if isinstance(x, type) else str(x)
)
def test_glossary_gives_each_value_its_swedish_term(
    cls: type[Vocabulary], member: Vocabulary
) -> None:
    """In the section headed `ClassName`, the row of `value` shows the first Swedish term
    as its Svenska (UI) cell and mentions every accepted synonym."""
    table = _table_by_code(_section(GLOSSARY, f"`{cls.__name__}`"))
    assert member.value in table, f"glossary: `{member.value}` missing under `{cls.__name__}`"
    row = table[member.value]
    assert _plain(row[1]) == member.swedish, (
        f"glossary: `{cls.__name__}.{member.value}` shows {row[1]!r}, the code says "
        f"{member.swedish!r}"
    )
    text = " ".join(row).casefold()
    for synonym in _swedish_terms(cls)[member][1:]:
        assert synonym.casefold() in text, f"glossary: synonym {synonym!r} of `{member.value}`"


@pytest.mark.parametrize("cls", VOCABULARIES, ids=lambda c: c.__name__)
def test_glossary_lists_no_stale_enumeration_value(cls: type[Vocabulary]) -> None:
    table = _table_by_code(_section(GLOSSARY, f"`{cls.__name__}`"))
    assert set(table) == {m.value for m in cls}


# -- glossary: domain classes, file kinds, columns, tables ------------------------------


def _core_classes() -> list[str]:
    """Public classes defined in pks.core (exceptions left out)."""
    names = set()
    for info in pkgutil.walk_packages(pks.core.__path__, "pks.core."):
        module = importlib.import_module(info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ != module.__name__ or name.startswith("_"):
                continue
            if not issubclass(obj, Exception):
                names.add(name)
    return sorted(names)


@pytest.mark.parametrize("name", _core_classes())
def test_glossary_names_every_core_class(name: str) -> None:
    assert f"`{name}`" in GLOSSARY.read_text(encoding="utf-8"), f"glossary: `{name}` missing"


def test_glossary_names_the_main_domain_classes() -> None:
    text = GLOSSARY.read_text(encoding="utf-8")
    for name in (
        "OrgUnit",
        "OrgTree",
        "PlanningObject",
        "CareService",
        "FlowRatio",
        "Resource",
        "TimeStandard",
        "StaffLine",
        "Availability",
        "CostRate",
        "BoughtCarePrice",
        "Budget",
        "IsoWeek",
        "CalendarWeek",
    ):
        assert f"`{name}`" in text, name
    for term in (
        "lågproduktionsvecka",
        "vårdgaranti",
        "produktionsbehov",
        "kapacitetsbehov",
        "tillgänglig kapacitet",
        "balansering",
        "produktionsplan",
        "uppföljning",
        "väntelista",
        "sen registrering",
        "saknad vecka",
        "extremvärde",
    ):
        assert term in text, term


def test_glossary_lists_every_file_kind_and_no_other() -> None:
    text = _section(GLOSSARY, "Import file kinds")
    table = _table_by_code(text)
    assert set(table) == {kind.name for kind in KINDS}
    for kind in KINDS:
        for alias in kind.aliases:
            assert f"`{alias}`" in text, f"glossary: alias `{alias}` of `{kind.name}`"


def _all_columns(kind: FileKind) -> list[str]:
    return [c.name for c in kind.columns] + list(kind.optional_extra)


def test_glossary_lists_every_column_and_no_other() -> None:
    table = _table_by_code(_section(GLOSSARY, "Import columns"))
    columns = {name for kind in KINDS for name in _all_columns(kind)}
    assert columns - set(table) == set(), "columns missing from the glossary"
    assert set(table) - columns == set(), "glossary lists columns no file kind has"
    for name, row in table.items():
        assert _plain(row[1]), f"glossary: column `{name}` has no Swedish term"


def test_glossary_lists_every_store_table_and_no_other() -> None:
    table = _table_by_code(_section(GLOSSARY, "Store tables"))
    assert set(table) == set(Base.metadata.tables)
    for name, row in table.items():
        assert _plain(row[1]), f"glossary: table `{name}` has no Swedish term"


def test_glossary_tables_have_the_three_columns() -> None:
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if line.startswith("| English"):
            assert line == "| English (code) | Svenska (UI) | meaning |"


# -- import format --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_import_format_documents_every_column_of_the_kind(kind: FileKind) -> None:
    """The section headed `kind` has a table row for every column, and no other."""
    text = _section(IMPORT_FORMAT, f"`{kind.name}`")
    documented = set(_table_by_code(text))
    assert set(_all_columns(kind)) - documented == set(), f"import-format: `{kind.name}`"
    assert documented - set(_all_columns(kind)) == set(), f"import-format: `{kind.name}`"


def test_import_format_names_every_file_kind() -> None:
    text = IMPORT_FORMAT.read_text(encoding="utf-8")
    for kind in KINDS:
        assert f"`{kind.name}`" in text


def test_import_format_lists_every_enumerated_value() -> None:
    text = IMPORT_FORMAT.read_text(encoding="utf-8")
    vocabularies = {c.vocabulary for k in KINDS for c in k.columns if c.vocabulary is not None}
    for vocabulary in vocabularies:
        for member in vocabulary:
            assert f"`{member.value}`" in text, f"import-format: `{member.value}` ({vocabulary})"


def test_import_format_names_every_alias() -> None:
    text = IMPORT_FORMAT.read_text(encoding="utf-8")
    missing = [alias for kind in KINDS for alias in kind.aliases if f"`{alias}`" not in text]
    assert missing == []


# -- architecture walls ---------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in the file at ``path``."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _imports_in(path.read_text(encoding="utf-8"), package)


def _imports_in(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every import anywhere in ``source`` (also inside functions and
    ``if TYPE_CHECKING``), relative imports resolved against ``package``;
    ``from a import b`` yields ``a`` and ``a.b`` (b may be a module)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            yield node.lineno, node.args[0].value


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _offences(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    """``FILE:LINE: imports MODULE`` for every forbidden import (one per line of code)."""
    found: dict[tuple[str, int], str] = {}
    for path in paths:
        for line, module in _imports(path):
            if _under(module, forbidden):
                where = (path.relative_to(ROOT).as_posix(), line)
                found[where] = min(found.get(where, module), module, key=len)
    return [f"{file}:{line}: imports {module}" for (file, line), module in sorted(found.items())]


def _python_files(*relative: str) -> list[Path]:
    files: list[Path] = []
    for item in relative:
        path = SRC / item
        if path.is_dir():
            files.extend(sorted(path.rglob("*.py")))
        elif path.is_file():
            files.append(path)
    return files


CORE_FORBIDDEN = (
    # outer layers of pks
    "pks.store",
    "pks.ingest",
    "pks.services",
    "pks.api",
    "pks.cli",
    "pks.web",
    "pks.reports",
    "pks.jobs",
    "pks.settings",
    # SQL, files and frames, web and command line
    "sqlalchemy",
    "alembic",
    "psycopg",
    "duckdb",
    "polars",
    "pyarrow",
    "fastexcel",
    "openpyxl",
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "typer",
    "rich",
)
"""What pks.core must not import: it is pure domain (docs/architecture.md, wall 1)."""

VIEW_FORBIDDEN = ("pks.store", "sqlalchemy", "alembic", "psycopg")
"""What the CLI and the API must not import: they go through pks.services (wall 2)."""


def test_the_import_finder_sees_every_form() -> None:
    """Guard the guard: the walls below are only as good as this finder."""
    source = (
        "import sqlalchemy.orm\n"
        "from pks import store\n"
        "from ..ingest.kinds import KINDS\n"
        "from . import vocabulary\n"
        "def f():\n"
        "    import duckdb\n"
        "    importlib.import_module('pks.services.imports')\n"
    )
    found = {module for _, module in _imports_in(source, "pks.core")}
    assert {
        "sqlalchemy.orm",
        "pks.store",
        "pks.ingest.kinds",
        "pks.core.vocabulary",
        "duckdb",
        "pks.services.imports",
    } <= found
    assert _under("pks.store.models", ("pks.store",))
    assert not _under("pks.storefront", ("pks.store",))


def test_core_imports_no_outer_layer_nor_io_library() -> None:
    files = _python_files("core")
    assert files, "no modules found under src/pks/core"
    assert _offences(files, CORE_FORBIDDEN) == []


def test_cli_and_api_reach_the_store_only_through_services() -> None:
    files = _python_files("cli.py", "__main__.py", "api", "web", "reports")
    assert SRC / "cli.py" in files and any(p.parent.name == "api" for p in files)
    assert _offences(files, VIEW_FORBIDDEN) == []


KNOWN_SQLALCHEMY_OUTSIDE_STORE: set[str] = set()
"""Breaches of 'only store knows SQLAlchemy' present when this test was written.
Remove an entry when its module is fixed; the test fails on new breaches and stale entries."""


def test_only_store_knows_sqlalchemy() -> None:
    outside = [p for p in _python_files(".") if "store" not in p.relative_to(SRC).parts]
    offenders = {
        line.split(":")[0] for line in _offences(outside, ("sqlalchemy", "alembic", "psycopg"))
    }
    assert offenders - KNOWN_SQLALCHEMY_OUTSIDE_STORE == set(), "new SQLAlchemy use outside store"
    assert KNOWN_SQLALCHEMY_OUTSIDE_STORE - offenders == set(), "fixed: remove from the known list"
