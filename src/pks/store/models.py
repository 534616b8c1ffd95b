"""SQLAlchemy models: aggregates only, never a person.

Every count is a number per planning object and period. No table has a column for a
person's identity; `tests/store/test_privacy.py` checks the schema and the stored bytes.
Codes (org units, planning objects, resources) are the natural keys users see; integer ids
keep foreign keys small.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names (for migrations)."""

    metadata = MetaData(naming_convention=NAMING)


CLUSTERED = {"sqlite_with_rowid": False}
"""Count tables are stored in primary-key order on SQLite (WITHOUT ROWID): no separate key
index to maintain, measured 20 % faster bulk inserts; PostgreSQL ignores the option."""

CODE = String(64)
ENUM = String(32)


class OrgUnitRow(Base):
    """A node of the organisation tree."""

    __tablename__ = "org_unit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(ENUM)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))


class CareServiceRow(Base):
    """A care service (vårdtjänst)."""

    __tablename__ = "care_service"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(CODE, unique=True)
    name: Mapped[str] = mapped_column(Text)


class PlanningObjectRow(Base):
    """A planning object with its four dimensions and flow attributes."""

    __tablename__ = "planning_object"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(CODE, unique=True)
    name: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    care_service_id: Mapped[int] = mapped_column(ForeignKey("care_service.id"))
    provider_category: Mapped[str] = mapped_column(ENUM)
    contact_type: Mapped[str] = mapped_column(ENUM)
    priority: Mapped[str] = mapped_column(String(16))
    max_wait_days: Mapped[int] = mapped_column(Integer)
    flow_step: Mapped[str] = mapped_column(ENUM)
    care_type: Mapped[str] = mapped_column(ENUM)
    setting: Mapped[str] = mapped_column(ENUM)
    mean_length_of_stay_days: Mapped[float | None] = mapped_column(Float)


class FlowRatioRow(Base):
    """Follow-on care: ratio units of `to` per unit of `from`, lag_weeks later."""

    __tablename__ = "flow_ratio"
    __table_args__ = (UniqueConstraint("from_id", "to_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_id: Mapped[int] = mapped_column(ForeignKey("planning_object.id"))
    to_id: Mapped[int] = mapped_column(ForeignKey("planning_object.id"))
    ratio: Mapped[float] = mapped_column(Float)
    lag_weeks: Mapped[int] = mapped_column(Integer)


class ResourceRow(Base):
    """A competence, room, bed group or piece of equipment owned by an org unit."""

    __tablename__ = "resource"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(CODE, unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(ENUM)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    quantity: Mapped[float | None] = mapped_column(Float)
    hours_per_week: Mapped[float | None] = mapped_column(Float)


class TimeStandardRow(Base):
    """Minutes of a resource per unit of a planning object (NULL for beds: via LOS)."""

    __tablename__ = "time_standard"
    __table_args__ = (UniqueConstraint("planning_object_id", "resource_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    planning_object_id: Mapped[int] = mapped_column(ForeignKey("planning_object.id"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    minutes: Mapped[float | None] = mapped_column(Float)


class StaffRow(Base):
    """Staff of one competence in one unit (competence matrix row)."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("unit_id", "competence_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    competence_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    fte: Mapped[float] = mapped_column(Float)
    hours_per_week: Mapped[float] = mapped_column(Float)
    clinical_share: Mapped[float] = mapped_column(Float)
    absence_share: Mapped[float] = mapped_column(Float)


class AvailabilityRow(Base):
    """Share of normal capacity available in a week (resource NULL = all of the unit)."""

    __tablename__ = "availability"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    week_start: Mapped[dt.date] = mapped_column(Date)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    available_share: Mapped[float] = mapped_column(Float)
    low_production: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")


class CostRateRow(Base):
    """SEK per hour of a resource: own, overtime premium, hired."""

    __tablename__ = "cost_rate"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), unique=True)
    cost_per_hour: Mapped[float] = mapped_column(Float)
    overtime_premium: Mapped[float] = mapped_column(Float)
    hired_cost_per_hour: Mapped[float | None] = mapped_column(Float)


class BoughtCarePriceRow(Base):
    """Price per unit of a planning object bought from another provider."""

    __tablename__ = "bought_care_price"
    __table_args__ = (UniqueConstraint("planning_object_id", "provider"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    planning_object_id: Mapped[int] = mapped_column(ForeignKey("planning_object.id"))
    provider: Mapped[str] = mapped_column(String(200))
    price_per_unit: Mapped[float] = mapped_column(Float)
    max_units_per_week: Mapped[float | None] = mapped_column(Float)


class BudgetRow(Base):
    """Production budget of an org unit for a year, SEK."""

    __tablename__ = "budget"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    year: Mapped[int] = mapped_column(Integer)
    amount_sek: Mapped[float] = mapped_column(Float)


class ImprovementRow(Base):
    """An improvement (förbättring) that frees hours of a resource in every week from
    ``first_week`` to ``last_week`` (Mondays); only realised ones count in balancing."""

    __tablename__ = "improvement"
    __table_args__ = (UniqueConstraint("resource_id", "first_week", "description"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    first_week: Mapped[dt.date] = mapped_column(Date)
    last_week: Mapped[dt.date] = mapped_column(Date)
    hours_per_week: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(ENUM)
    description: Mapped[str] = mapped_column(String(200))


class ScheduleRow(Base):
    """Hours of a resource booked on one day (schema/bemanning): staff or room hours that a
    day plan is checked against. A plan, so days may lie in the future."""

    __tablename__ = "schedule"
    __table_args__ = (UniqueConstraint("day", "resource_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    hours_booked: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")


class ImportBatchRow(Base):
    """One `pks import` run: when, which files, what it did (no row contents)."""

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)


class ImportFileRow(Base):
    """A file (or sheet) of an import batch with its kind and row count."""

    __tablename__ = "import_file"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    file_name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    rows: Mapped[int] = mapped_column(Integer)
    first_day: Mapped[dt.date | None] = mapped_column(Date)
    last_day: Mapped[dt.date | None] = mapped_column(Date)


class WeeklyCountRow(Base):
    """Count of a measure for a planning object in an ISO week (week_start = Monday).

    ``patients`` is the number of distinct patients behind the count when an events import
    was asked to count them; the identities themselves are never stored.
    """

    __tablename__ = "weekly_count"
    __table_args__ = CLUSTERED
    planning_object_id: Mapped[int] = mapped_column(
        ForeignKey("planning_object.id"), primary_key=True
    )
    measure: Mapped[str] = mapped_column(ENUM, primary_key=True)
    week_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    patients: Mapped[int | None] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"))


class DailyCountRow(Base):
    """Count per day, kept for acute planning objects and daily files."""

    __tablename__ = "daily_count"
    __table_args__ = CLUSTERED
    planning_object_id: Mapped[int] = mapped_column(
        ForeignKey("planning_object.id"), primary_key=True
    )
    measure: Mapped[str] = mapped_column(ENUM, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"))


HOURS = tuple(f"h{hour:02d}" for hour in range(24))
"""Columns of `hourly_count`: arrivals in hour 00–01, 01–02, … 23–24 of the day."""


class HourlyCountRow(Base):
    """Counts per hour of one day (columns h00 … h23, local time), for acute planning objects.

    One row per day rather than per hour: five years of hourly arrivals are 24 times fewer
    rows to write and read, and a day's profile is what acute dimensioning looks at.
    """

    __tablename__ = "hourly_count"
    __table_args__ = CLUSTERED
    planning_object_id: Mapped[int] = mapped_column(
        ForeignKey("planning_object.id"), primary_key=True
    )
    measure: Mapped[str] = mapped_column(ENUM, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"))


_hourly = HourlyCountRow.__table__
assert isinstance(_hourly, Table)
for _hour in HOURS:
    _hourly.append_column(Column(_hour, Integer, nullable=False, default=0))


class WaitingListCountRow(Base):
    """Patients waiting on a snapshot date, per planning object × priority × weeks waited."""

    __tablename__ = "waiting_list_count"
    __table_args__ = CLUSTERED
    snapshot_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    planning_object_id: Mapped[int] = mapped_column(
        ForeignKey("planning_object.id"), primary_key=True
    )
    priority: Mapped[str] = mapped_column(String(16), primary_key=True)
    weeks_waited: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"))


class LateRegistrationRow(Base):
    """A weekly count that grew in a later import (registration after the week closed)."""

    __tablename__ = "late_registration"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    planning_object_id: Mapped[int] = mapped_column(ForeignKey("planning_object.id"))
    measure: Mapped[str] = mapped_column(ENUM)
    week_start: Mapped[dt.date] = mapped_column(Date)
    old_count: Mapped[int] = mapped_column(Integer)
    new_count: Mapped[int] = mapped_column(Integer)


class UnmappedCountRow(Base):
    """Events per week and kind that carried no planning object (registration quality)."""

    __tablename__ = "unmapped_count"
    __table_args__ = CLUSTERED
    week_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(ENUM, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"))


class UnknownCodeRow(Base):
    """A planning-object code seen in a file but not known (with --unknown-codes report)."""

    __tablename__ = "unknown_code"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    file_name: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(Integer)
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)


class ForecastVersionRow(Base):
    """One run of the demand forecast: who, when, data up to which week, method, parameters.

    Versions are never changed after they are stored; a new run makes a new version.
    """

    __tablename__ = "forecast_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    scope_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    as_of_week: Mapped[dt.date] = mapped_column(Date)
    horizon_weeks: Mapped[int] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(ENUM)
    method: Mapped[str] = mapped_column(String(64))
    reconciliation: Mapped[str] = mapped_column(String(32))
    engine: Mapped[str] = mapped_column(String(16))
    parameters: Mapped[str] = mapped_column(Text)


class ForecastValueRow(Base):
    """Statistical forecast of one planning object for one period, with 80/95 % intervals.

    ``frequency`` W (period_start = Monday), D (a day) or H (an hour) — acute objects also
    get daily and hourly forecasts. Units: the measure's count per period.
    """

    __tablename__ = "forecast_value"
    __table_args__ = CLUSTERED
    version_id: Mapped[int] = mapped_column(ForeignKey("forecast_version.id"), primary_key=True)
    planning_object_id: Mapped[int] = mapped_column(
        ForeignKey("planning_object.id"), primary_key=True
    )
    frequency: Mapped[str] = mapped_column(String(1), primary_key=True)
    period_start: Mapped[dt.datetime] = mapped_column(DateTime, primary_key=True)
    mean: Mapped[float] = mapped_column(Float)
    lo80: Mapped[float] = mapped_column(Float)
    hi80: Mapped[float] = mapped_column(Float)
    lo95: Mapped[float] = mapped_column(Float)
    hi95: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(64))


class ForecastRollupRow(Base):
    """Forecast of an org node for one week: the exact sum of its planning objects, with
    intervals calibrated on the node's own backtest (see core.forecast.reconcile)."""

    __tablename__ = "forecast_rollup"
    __table_args__ = CLUSTERED
    version_id: Mapped[int] = mapped_column(ForeignKey("forecast_version.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    period_start: Mapped[dt.datetime] = mapped_column(DateTime, primary_key=True)
    objects: Mapped[int] = mapped_column(Integer)
    mean: Mapped[float] = mapped_column(Float)
    lo80: Mapped[float] = mapped_column(Float)
    hi80: Mapped[float] = mapped_column(Float)
    lo95: Mapped[float] = mapped_column(Float)
    hi95: Mapped[float] = mapped_column(Float)


class ForecastBacktestRow(Base):
    """Rolling-origin backtest of the chosen method for one planning object in one version."""

    __tablename__ = "forecast_backtest"
    version_id: Mapped[int] = mapped_column(ForeignKey("forecast_version.id"), primary_key=True)
    planning_object_id: Mapped[int] = mapped_column(
        ForeignKey("planning_object.id"), primary_key=True
    )
    method: Mapped[str] = mapped_column(String(64))
    origins: Mapped[int] = mapped_column(Integer)
    mase: Mapped[float | None] = mapped_column(Float)
    bias_pct: Mapped[float | None] = mapped_column(Float)
    coverage80: Mapped[float | None] = mapped_column(Float)
    coverage95: Mapped[float | None] = mapped_column(Float)


class ForecastBacktestUnitRow(Base):
    """Backtest of a version's roll-up to one org node (the objects' forecasts summed)."""

    __tablename__ = "forecast_backtest_unit"
    version_id: Mapped[int] = mapped_column(ForeignKey("forecast_version.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    origins: Mapped[int] = mapped_column(Integer)
    mase: Mapped[float | None] = mapped_column(Float)
    bias_pct: Mapped[float | None] = mapped_column(Float)
    coverage80: Mapped[float | None] = mapped_column(Float)
    coverage95: Mapped[float | None] = mapped_column(Float)


class ForecastAdjustmentRow(Base):
    """A planner's qualitative adjustment (kvalitativ justering) of a planning object's
    forecast for a range of weeks: +/- count per week or +/- percent, with a reason.

    The statistical forecast is kept; the adjusted forecast = statistical + adjustments.
    """

    __tablename__ = "forecast_adjustment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    planning_object_id: Mapped[int] = mapped_column(ForeignKey("planning_object.id"), index=True)
    first_week: Mapped[dt.date] = mapped_column(Date)
    last_week: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # count | percent
    amount: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PlanVersionRow(Base):
    """One version of a unit's plan (planversion): kind, weeks from ``first_week`` (a
    Monday), state, who made it and, for a re-plan, the version it was copied from.

    ``lock_version`` counts changes for optimistic locking: every change raises it by one
    with ``UPDATE … WHERE lock_version = <the one the user read>``, so of two concurrent
    edits the second finds no row and is refused instead of overwriting the first.
    """

    __tablename__ = "plan_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    kind: Mapped[str] = mapped_column(ENUM)
    first_week: Mapped[dt.date] = mapped_column(Date)
    weeks: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(ENUM)
    title: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("plan_version.id"))
    lock_version: Mapped[int] = mapped_column(Integer)


class PlanValueRow(Base):
    """Planned units of one planning object in one week (Monday) of a plan version."""

    __tablename__ = "plan_value"
    __table_args__ = CLUSTERED
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"), primary_key=True)
    planning_object_id: Mapped[int] = mapped_column(
        ForeignKey("planning_object.id"), primary_key=True
    )
    week_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    units: Mapped[float] = mapped_column(Float)


class PlanChangeRow(Base):
    """Audit trail of a plan version: who, when, which action, and for an edit the planning
    object, week and old → new units; ``comment`` is the why (mandatory once proposed)."""

    __tablename__ = "plan_change"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"), index=True)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    planning_object_id: Mapped[int | None] = mapped_column(ForeignKey("planning_object.id"))
    week_start: Mapped[dt.date | None] = mapped_column(Date)
    old_units: Mapped[float | None] = mapped_column(Float)
    new_units: Mapped[float | None] = mapped_column(Float)
    action: Mapped[str] = mapped_column(ENUM)
    comment: Mapped[str] = mapped_column(Text)


class PlanApprovalRow(Base):
    """One level's approval (strategic or tactical) of a plan version."""

    __tablename__ = "plan_approval"
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"), primary_key=True)
    level: Mapped[str] = mapped_column(ENUM, primary_key=True)
    approved_by: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SourceRunRow(Base):
    """One run of a configured data source (``pks sources run`` or the server's schedule).

    Kept for every run, also when nothing was new or the run failed, so "when did the
    numbers last arrive, and why not since?" has an answer without reading log files.
    ``summary`` holds the import report and data-quality summary (ok) or the
    FILE:ROW:COLUMN problem lines (failed).
    """

    __tablename__ = "source_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(ENUM)
    files: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    summary: Mapped[str] = mapped_column(Text)


class DataDeviationRow(Base):
    """A failed source run, raised to the source's data owner (status ``new`` until
    handled) so old numbers are never left standing silently; the deviations work will
    adopt these rows into its own table."""

    __tablename__ = "data_deviation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("source_run.id"))
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    owner: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(ENUM)


class MaturityAnswerRow(Base):
    """One answer of a maturity self-assessment (seed 003): unit, date, statement, answer.

    Keyed by (unit, date, statement): re-recording an assessment of the same day replaces
    its answers; assessments of other days stay, so they can be compared over time.
    """

    __tablename__ = "maturity_answer"
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    assessed_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    statement: Mapped[str] = mapped_column(String(8), primary_key=True)
    answer: Mapped[str] = mapped_column(ENUM)
    answered_by: Mapped[str] = mapped_column(String(200))


class DeviationRow(Base):
    """A deviation (avvikelse) raised by a rule over the weekly follow-up or adopted from a
    failed source run (``data_deviation_id``), owned by an org node (``unit_id``: where the
    mandate to act is; moves up on escalation) and optionally an ``assignee``.

    ``subject_unit_id`` is the node where the figures were measured (None for data);
    ``week_start`` the Monday of the week evaluated; ``arrived_week`` the Monday of the week
    it reached its current owner, from which the weekly rhythm counts.
    """

    __tablename__ = "deviation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(ENUM, index=True)
    subject_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    assignee: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(ENUM)
    week_start: Mapped[dt.date] = mapped_column(Date)
    arrived_week: Mapped[dt.date] = mapped_column(Date)
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    message: Mapped[str] = mapped_column(Text)
    action_taken: Mapped[str | None] = mapped_column(Text)
    data_deviation_id: Mapped[int | None] = mapped_column(
        ForeignKey("data_deviation.id"), unique=True
    )


class DeviationEventRow(Base):
    """Audit trail of a deviation: who, when, which action, status and owning node before
    → after, and the comment (or the action decided)."""

    __tablename__ = "deviation_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deviation_id: Mapped[int] = mapped_column(ForeignKey("deviation.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    author: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(ENUM)
    old_status: Mapped[str | None] = mapped_column(ENUM)
    new_status: Mapped[str] = mapped_column(ENUM)
    old_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    new_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    comment: Mapped[str] = mapped_column(Text)


class UserRow(Base):
    """A staff member's account in pks (not a patient): login name, role and the org node
    whose subtree they may see (``scope_unit_id``). Only an argon2 hash of the password is
    kept; ``language`` is the UI language (sv, en)."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(ENUM)
    scope_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    language: Mapped[str] = mapped_column(String(8), default="sv")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LoginSessionRow(Base):
    """A logged-in browser: the SHA-256 of the session cookie's token (the token itself is
    never stored), its CSRF token and when it expires. Logout deletes the row."""

    __tablename__ = "login_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """Every state change made through the web app or API: who, when, what, on which node."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)


class JobRow(Base):
    """A background job (import, forecast, balancing, PDF): its progress (0–1), state and
    result, in the store so every server worker can show and cancel it."""

    __tablename__ = "job"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(ENUM)
    username: Mapped[str] = mapped_column(String(64), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(ENUM)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class FollowupCacheRow(Base):
    """The weekly follow-up figures (`pks.core.followup.WeekFigures`) of one planning object
    (``kind`` object) or org node (``kind`` unit, summed over the region's objects) in one
    ISO week (Monday), against the active plan or its original: a cache kept by
    `pks.services.rollups.refresh` after imports and plan changes, so pages need not
    aggregate the weekly counts per request. ``done_weekly`` and ``resources`` are
    comma-separated; ``forecast_versions`` the stored forecasts the figures used."""

    __tablename__ = "followup_cache"
    __table_args__ = (
        Index("ix_followup_cache_series", "against", "kind", "code", "week_start"),
        CLUSTERED,
    )
    against: Mapped[str] = mapped_column(ENUM, primary_key=True)
    week_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(ENUM, primary_key=True)
    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    planned: Mapped[float] = mapped_column(Float)
    performed: Mapped[float] = mapped_column(Float)
    bought: Mapped[float] = mapped_column(Float)
    inflow: Mapped[float] = mapped_column(Float)
    booked: Mapped[float] = mapped_column(Float)
    unplanned_return: Mapped[float] = mapped_column(Float)
    value_hours: Mapped[float] = mapped_column(Float)
    cumulative_planned: Mapped[float] = mapped_column(Float)
    cumulative_performed: Mapped[float] = mapped_column(Float)
    cumulative_bought: Mapped[float] = mapped_column(Float)
    cumulative_inflow: Mapped[float] = mapped_column(Float)
    planned_year: Mapped[float] = mapped_column(Float)
    inflow_forecast: Mapped[float | None] = mapped_column(Float)
    waiting: Mapped[float | None] = mapped_column(Float)
    waiting_projected: Mapped[float | None] = mapped_column(Float)
    waiting_over_90d: Mapped[float | None] = mapped_column(Float)
    cumulative_inflow_forecast: Mapped[float | None] = mapped_column(Float)
    plan_last_week: Mapped[int | None] = mapped_column(Integer)
    resources: Mapped[str] = mapped_column(Text)
    done_weekly: Mapped[str] = mapped_column(Text)
    forecast_versions: Mapped[str] = mapped_column(Text)


class FollowupCacheStateRow(Base):
    """What `followup_cache` was computed from, per ``against``: the store's change stamp
    (active plans, forecasts) at refresh time, the weeks covered and, as JSON, the plan
    versions each object's plan came from. A stamp that no longer matches means stale: the
    follow-up is then computed directly. Every import refreshes the cache (or, failing that,
    deletes this row)."""

    __tablename__ = "followup_cache_state"
    against: Mapped[str] = mapped_column(ENUM, primary_key=True)
    stamp: Mapped[str] = mapped_column(Text)
    first_week: Mapped[dt.date | None] = mapped_column(Date)
    last_week: Mapped[dt.date | None] = mapped_column(Date)
    detail: Mapped[str] = mapped_column(Text)
