"""The HTTP adapter: a health check and the start page (the web UI grows here later)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from pks import __version__
from pks.services import overview as service
from pks.services.sources import lifespan

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def create_app(url: str) -> FastAPI:
    """The application bound to the store at ``url``."""
    app = FastAPI(
        title="pks",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan(url),  # runs PKS_SOURCES_CONFIG's sources on their schedule
    )

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """200 with counts when the store answers, 503 otherwise."""
        try:
            return JSONResponse(service.health(url))
        except Exception as error:  # the store is down: say so, do not crash
            return JSONResponse(
                {"status": "unavailable", "error": type(error).__name__}, status_code=503
            )

    @app.get("/", response_class=HTMLResponse)
    def start_page(request: Request) -> HTMLResponse:
        """Org tree, planning objects and the data-quality summary."""
        return TEMPLATES.TemplateResponse(request, "overview.html", {"o": service.overview(url)})

    return app
