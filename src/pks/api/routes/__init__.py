"""Routers of the web app, one module per page area; each holds the area's pages and its
JSON API endpoints (both call the same service functions)."""

from __future__ import annotations

from fastapi import APIRouter

from pks.api.routes import (
    background,
    capacity,
    catalogue,
    deviations,
    followup,
    forecast,
    imports,
    maturity,
    org,
    plan,
    quality,
    session,
    settings,
    users,
    waitinglist,
)

ROUTERS: tuple[APIRouter, ...] = (
    session.router,
    org.router,
    followup.router,
    forecast.router,
    capacity.router,
    plan.router,
    waitinglist.router,
    deviations.router,
    catalogue.router,
    imports.router,
    quality.router,
    maturity.router,
    users.router,
    settings.router,
    background.router,
)
