"""Orchestration behind the web app's working pages: the deviations inbox, imports through
an upload folder and a background job, the maturity form, user administration and the
user's own settings. The pages and the JSON API call these; the rules stay in the services
they call (`pks.services.deviations`, `imports`, `maturity`, `users`).

Every change made here is written to the audit log with the user who made it.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from argon2.exceptions import InvalidHashError, VerificationError

from pks.core.calendar import IsoWeek
from pks.core.deviations import DeviationAction, DeviationStatus
from pks.core.maturity import STATEMENTS, MaturityAnswer
from pks.core.organisation import OrgTree
from pks.services import deviations, jobs, maturity, users
from pks.services.errors import UserError
from pks.services.imports import ImportRejected, date_bounds, import_files, validate_files
from pks.services.known import load_known_codes
from pks.settings import get_settings
from pks.store import deviations as deviation_store
from pks.store import maturity as maturity_store
from pks.store import repositories as repo
from pks.store import users as user_store
from pks.store.db import transaction

# --- deviations ---------------------------------------------------------------------------


def deviation_owner(url: str, deviation_id: int) -> str:
    """The org node that owns deviation ``deviation_id`` now; UserError when unknown."""
    with transaction(url) as conn:
        found = deviation_store.load(conn, deviation_id)
    if not found:
        raise UserError(f"no deviation {deviation_id}")
    return found[0].unit


def weeks_open(view: Mapping[str, Any], today: dt.date | None = None) -> int:
    """Whole ISO weeks from the week a deviation was raised to the week it was closed (or
    this week while it is open)."""
    raised = IsoWeek.of(dt.datetime.fromisoformat(view["raised_at"]).date())
    end = today or dt.date.today()
    if view["status"] == DeviationStatus.CLOSED.value:
        closed = [e["at"] for e in view["events"] if e["new_status"] == "closed"]
        if closed:
            end = dt.datetime.fromisoformat(closed[-1]).date()
    return max(0, IsoWeek.of(end) - raised)


def inbox(url: str, scope: str, status: str | None = None) -> list[dict[str, Any]]:
    """Deviations owned by ``scope`` or a node under it (optionally of one status), newest
    first, each with ``weeks_open``."""
    rows = deviations.list_deviations(url, scope, status or None)
    for row in rows:
        row["weeks_open"] = weeks_open(row)
    return sorted(rows, key=lambda r: r["id"], reverse=True)


def act_on_deviation(
    url: str, deviation_id: int, action: str, author: str, text: str = "", replan: bool = False
) -> dict[str, Any]:
    """Acknowledge, decide (``text``: the action decided), comment (``text``), close or
    escalate; the deviation keeps its own trail and the audit log gets a line too."""
    try:
        what = DeviationAction.parse(action)
    except ValueError as error:
        raise UserError(str(error)) from None
    if what in (DeviationAction.RAISE, DeviationAction.REPLAN):
        raise UserError(f"{what.value} is done by the weekly run, not by hand")
    before = deviation_owner(url, deviation_id)
    text = text.strip()
    view = deviations.act(
        url,
        deviation_id,
        what.value,
        author,
        comment=None if what is DeviationAction.DECIDE else (text or None),
        action_taken=text if what is DeviationAction.DECIDE else None,
        replan=replan,
    )
    detail = f"deviation {deviation_id}: {view['status']}" + (f"; {text}" if text else "")
    if view["unit"] != before:
        detail += f"; now at {view['unit']}"
    users.audit(url, author, f"deviation.{what.value}", before, detail)
    view["weeks_open"] = weeks_open(view)
    return view


# --- imports ------------------------------------------------------------------------------

UPLOADS = "uploads"
TOKEN = re.compile(r"[0-9a-f]{32}")
OWNER_FILE = ".owner"
STALE_SECONDS = 24 * 3600  # an upload nobody confirmed within a day is removed
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def upload_root() -> Path:
    """Where uploaded files wait for their import: ``<data dir>/uploads``."""
    return get_settings().data_dir / UPLOADS


def _safe_name(name: str) -> str:
    base = SAFE_NAME.sub("_", Path(name.replace("\\", "/")).name).lstrip(".")
    if not base:
        raise UserError(f"file name {name!r}: give the file a name that says its kind")
    return base


def _remove_stale(root: Path) -> None:
    now = time.time()
    for folder in root.iterdir() if root.is_dir() else ():
        if folder.is_dir() and now - folder.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)


def save_uploads(files: Sequence[tuple[str, BinaryIO]], username: str) -> str:
    """Copy the uploaded files (name, content) into a new folder under `upload_root`;
    returns its token (the folder's name). The file name says each file's kind."""
    if not files:
        raise UserError("choose at least one file to import")
    names = [_safe_name(name) for name, _ in files]
    if len(set(names)) != len(names):
        raise UserError("two files have the same name: each file is imported once")
    root = upload_root()
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale(root)
    token = secrets.token_hex(16)
    folder = root / token
    folder.mkdir()
    (folder / OWNER_FILE).write_text(username, encoding="utf-8")
    for name, (_, content) in zip(names, files, strict=True):
        with (folder / name).open("wb") as handle:
            shutil.copyfileobj(content, handle)
    return token


def upload_folder(token: str, username: str) -> Path:
    """The folder of an upload made by ``username``; UserError when it is gone or not theirs."""
    folder = upload_root() / token
    owner = folder / OWNER_FILE
    if (
        not TOKEN.fullmatch(token)
        or not owner.is_file()
        or owner.read_text(encoding="utf-8") != username
    ):
        raise UserError("the uploaded files are gone: upload them again")
    return folder


def uploaded_files(folder: Path) -> list[Path]:
    """The files of an upload folder, by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name != OWNER_FILE)


def discard_upload(folder: Path) -> None:
    """Remove an upload folder and its files."""
    shutil.rmtree(folder, ignore_errors=True)


def _problems(rejected: ImportRejected) -> list[dict[str, str]]:
    errors = []
    for issues in rejected.issue_lists:
        for issue in issues.issues:
            errors.append({"file": issue.file, "row": issue.row, "field": issue.column,
                           "message": f"{issue.problem} ({issue.expected})"})
        if issues.suppressed:
            errors.append({"file": issues.file, "row": "-", "field": "-",
                           "message": f"{issues.suppressed} more problems not shown"})
    return errors


def validate_upload(url: str, folder: Path) -> list[dict[str, str]]:
    """Check the uploaded files as the import would, writing nothing; returns the problems
    (file, row, field, message), empty when the files can be imported."""
    with transaction(url) as conn:
        known = load_known_codes(conn)
    try:
        validate_files(uploaded_files(folder), known, date_bounds())
    except ImportRejected as rejected:
        return _problems(rejected)
    return []


def submit_import(url: str, folder: Path, username: str) -> int:
    """Import the files of ``folder`` as a background job (all of them or none) and remove
    the folder afterwards; returns the job id."""
    files = uploaded_files(folder)
    with transaction(url) as conn:
        tree = OrgTree(repo.load_org_units(conn))
    root = tree.root.code if tree.root else None
    names = ", ".join(p.name for p in files)

    def work(progress: jobs.Progress) -> dict[str, Any]:
        steps = max(1, len(files)) + 1
        done = [0]

        def step(message: str) -> None:
            if message.startswith("storing"):
                return  # the import's transaction holds the store (SQLite: one writer)
            done[0] += 1
            progress(min(0.9, done[0] / steps), message)

        try:
            report = import_files(url, files, progress=step)
        except ImportRejected as rejected:
            raise UserError("; ".join(rejected.lines()[:20])) from None
        finally:
            discard_upload(folder)
        users.audit(url, username, "import.done", root, f"batch {report.batch_id}: {names}")
        return {"batch": report.batch_id, "lines": report.lines}

    job_id = jobs.submit(url, "import", username, root, work)
    users.audit(url, username, "import.submit", root, f"job {job_id}: {names}")
    return job_id


# --- maturity -----------------------------------------------------------------------------


def record_maturity(
    url: str, unit: str, day: str, answers: Mapping[str, str], author: str
) -> dict[str, Any]:
    """Store ``unit``'s self-assessment of ``day`` (statement id → answer, Swedish or
    English); empty answers are left out. Replaces that day's earlier answers."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise UserError(f"date {day!r}: expected YYYY-MM-DD") from None
    parsed: dict[str, MaturityAnswer] = {}
    for statement, text in answers.items():
        if statement not in STATEMENTS:
            raise UserError(f"{statement!r} is no statement (1.1 … 8.3)")
        if text and text.strip():
            try:
                parsed[statement] = MaturityAnswer.parse(text)
            except ValueError as error:
                raise UserError(f"statement {statement}: {error}") from None
    if not parsed:
        raise UserError("answer at least one statement")
    with transaction(url) as conn:
        ids = repo.code_ids(conn, "org_unit")
        if unit not in ids:
            raise UserError(f"unknown unit {unit!r}")
        stored = maturity_store.replace_assessment(
            conn, ids[unit], date, ((s, a.value) for s, a in sorted(parsed.items())), author
        )
    users.audit(url, author, "maturity.record", unit, f"{date.isoformat()}: {stored} answers")
    return {"unit": unit, "date": date.isoformat(), "answers": stored}


def maturity_answers(url: str, unit: str) -> tuple[str | None, dict[str, str]]:
    """The date and answers (statement → answer code) of ``unit``'s newest assessment."""
    with transaction(url) as conn:
        rows = maturity_store.load_assessments(conn, [unit])
    if not rows:
        return None, {}
    newest = max(day for _, day, _, _ in rows)
    return newest.isoformat(), {s: a for _, day, s, a in rows if day == newest}


def maturity_results(url: str, unit: str, compare_with: Sequence[str]) -> dict[str, Any]:
    """``unit``'s scores per area over time and the newest scores of ``compare_with``
    (e.g. its siblings) beside its own newest."""
    own = maturity.report(url, unit)["assessments"]
    latest = [own[-1]] if own else []
    for code in compare_with:
        theirs = maturity.report(url, code)["assessments"]
        if theirs:
            latest.append(theirs[-1])
    return {"unit": unit, "history": own, "compared": latest}


# --- users --------------------------------------------------------------------------------


def users_under(url: str, tree: OrgTree, scope: str) -> list[dict[str, Any]]:
    """Users whose scope lies in ``scope``'s subtree (active or not), by user name."""
    inside = set(tree.subtree(scope)) if scope in tree else set()
    with transaction(url) as conn:
        stored = user_store.all_users(conn)
    return [
        {"username": u.username, "display_name": u.display_name, "role": u.role,
         "scope": u.scope, "language": u.language, "active": bool(u.active)}
        for u in stored
        if u.scope in inside
    ]


def user_info(url: str, username: str) -> dict[str, Any]:
    """One user as `users_under` lists them; UserError when unknown."""
    with transaction(url) as conn:
        found = user_store.user_by_name(conn, username)
    if found is None:
        raise UserError(f"unknown user {username!r}")
    return {"username": found.username, "display_name": found.display_name,
            "role": found.role, "scope": found.scope, "language": found.language,
            "active": bool(found.active)}


def audit_under(
    url: str, tree: OrgTree, scope: str, limit: int = 200
) -> list[dict[str, object]]:
    """The newest audit lines about ``scope``'s subtree: lines on a unit inside it, and
    lines without a unit by users scoped inside it."""
    inside = set(tree.subtree(scope)) if scope in tree else set()
    names = {u["username"] for u in users_under(url, tree, scope)}
    if tree.root is not None and scope == tree.root.code:
        return users.audit_log(url, limit)
    return [
        line
        for line in users.audit_log(url, 10 * limit)
        if (line["unit"] in inside) or (line["unit"] is None and line["user"] in names)
    ][:limit]


# --- own settings -------------------------------------------------------------------------


def change_password(url: str, user: users.User, current: str, new: str) -> None:
    """Change the user's own password after checking the current one (ends their other
    sessions, like every password change)."""
    with transaction(url) as conn:
        found = user_store.user_by_name(conn, user.username)
    if found is None:
        raise UserError(f"unknown user {user.username!r}")
    try:
        users.hasher().verify(found.password_hash, current)
    except (VerificationError, InvalidHashError):
        users.audit(url, user.username, "user.password.failed", None, "wrong current password")
        raise UserError("the current password is wrong") from None
    if new == current:
        raise UserError("the new password must differ from the current one")
    users.update_user(url, user.username, user.username, password=new)


def deviation_rules(settings: deviations.Settings) -> list[dict[str, Any]]:
    """The deviation rules in force as plain values (for the settings page and API)."""
    return [
        {
            "kind": rule.kind.value,
            "threshold": rule.threshold,
            "weeks": rule.weeks,
            "enabled": rule.enabled,
            "route_to": rule.level.value,
            "replan_below": rule.replan_below,
            "levels": {
                level.value: {k: v for k, v in (
                    ("threshold", s.threshold), ("weeks", s.weeks), ("enabled", s.enabled),
                    ("replan_below", s.replan_below)) if v is not None}
                for level, s in rule.levels.items()
            },
        }
        for rule in settings.rules
    ]
