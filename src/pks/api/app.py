"""The HTTP adapter: the JSON API under /api/v1 and the server-rendered pages (Jinja2 +
HTMX, Plotly for charts), both calling the same service functions as the CLI.

Every route declares what it needs (`pks.api.auth.needs`); `pks.api.auth.authorized`
enforces it. Scripts come from the installed package (HTMX vendored in ``static/vendor``,
Plotly from the ``plotly`` Python package), never from a CDN.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import plotly
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pks import __version__
from pks.api.auth import Forbidden, NotLoggedIn
from pks.api.routes import ROUTERS
from pks.api.templating import preload, render
from pks.services import memo
from pks.services import overview as service
from pks.services.errors import UserError
from pks.services.setup import StoreUnavailable
from pks.services.sources import lifespan
from pks.services.warmup import WarmLoop
from pks.settings import get_settings

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-eval'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'"
)  # Plotly compiles some chart code at run time ('unsafe-eval'); no inline scripts


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


class SecurityHeaders:
    """Headers every answer carries (no framing, no sniffing, no inline scripts); and,
    for reads (GET, HEAD), one store generation per request (`pks.services.memo`) instead
    of one read per memoised value. A plain ASGI middleware: Starlette's
    BaseHTTPMiddleware costs an extra task and stream per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in (
                    ("X-Content-Type-Options", "nosniff"),
                    ("X-Frame-Options", "DENY"),
                    ("Referrer-Policy", "same-origin"),
                    ("Content-Security-Policy", CSP),
                    *(() if static else (("Cache-Control", "no-store"),)),
                ):
                    if name not in headers:
                        headers[name] = value
            await send(message)

        if scope["method"] in ("GET", "HEAD"):
            with memo.one_generation_per_request():
                await self.app(scope, receive, send_with_headers)
        else:
            await self.app(scope, receive, send_with_headers)


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "error.html", status_code=status, status=status, message=message)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, _error_: NotLoggedIn) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "not logged in"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        return _error(request, 403, str(error))

    @app.exception_handler(UserError)
    async def user_error(request: Request, error: UserError) -> Response:
        return _error(request, 400, str(error))

    @app.exception_handler(StoreUnavailable)
    async def unavailable(request: Request, error: StoreUnavailable) -> Response:
        return _error(request, 503, str(error))


def _lifespan(url: str) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """While the server is up: PKS_SOURCES_CONFIG's sources on their schedule
    (`pks.services.sources.lifespan`) and, unless PKS_WARM_PAGES is off, the page memo
    kept warm (`pks.services.warmup.WarmLoop`)."""
    sources = lifespan(url)

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        preload()
        loop = WarmLoop(url) if get_settings().warm_pages else None
        if loop is not None:
            loop.start()
        try:
            async with sources(app):
                yield
        finally:
            if loop is not None:
                loop.stop()

    return run


def create_app(url: str) -> FastAPI:
    """The application bound to the store at ``url``."""
    app = FastAPI(
        title="pks",
        version=__version__,
        description="Produktions- och kapacitetsstyrning (production and capacity control).",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=_lifespan(url),
    )
    app.state.url = url
    app.add_middleware(SecurityHeaders)
    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/static-vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        """Plotly's browser bundle from the installed plotly package (no CDN)."""
        return FileResponse(
            PLOTLY_JS,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        """200 with counts when the store answers, 503 otherwise."""
        try:
            return JSONResponse(service.health(url))
        except Exception as error:  # the store is down: say so, do not crash
            return JSONResponse(
                {"status": "unavailable", "error": type(error).__name__}, status_code=503
            )

    for router in ROUTERS:
        app.include_router(router)
    return app


def app_from_settings() -> FastAPI:
    """The app on PKS_DATABASE_URL (what `pks serve` hands each uvicorn worker)."""
    return create_app(get_settings().database_url)
