"""Web bench (issue 7 §5): the pages under 50 concurrent clients on the scaled demo region.

Builds (or reuses, see bench/web_data.py) the scaled region on SQLite and PostgreSQL, starts
`pks serve --workers 2` (uvloop + httptools) on a free port, logs 50 clients in (POST
/api/v1/session), then for each page drives GETs for random units for ``--seconds`` with 50
concurrent clients without think time (httpx, one kept-alive connection per client) and
prints p50/p95/p99 per page and store. Also: one short run on uvicorn's plain asyncio loop
and h11 (``--loop asyncio --http h11``) and FastAPI's default JSON encoding of 500 points
against plain ``json.dumps``.

    .venv/bin/python bench/web_bench.py [--stores sqlite,postgresql] [--seconds 30] [--warmup 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web_data

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 50
WEEK = "2026-W47"
PAGES = {
    "dashboard": "/units/{unit}",
    "plan grid": "/units/{unit}/plan",
    "follow-up": "/units/{unit}/followup",
    "api follow-up": "/api/v1/units/{unit}/followup?week=" + WEEK,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, plain: bool = False) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PKS_DATABASE_URL": url}
    python = str(ROOT / ".venv" / "bin" / "python")
    if plain:
        cmd = [python, "-m", "uvicorn", "pks.api.app:app_from_settings", "--factory",
               "--port", str(port), "--workers", "2", "--loop", "asyncio", "--http", "h11",
               "--log-level", "warning"]
    else:
        cmd = [python, "-m", "pks", "serve", "--db", url, "--port", str(port), "--workers", "2"]
    log = open(ROOT / "bench" / ".cache" / f"server-{port}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("server did not start")


def units_of(url: str) -> list[str]:
    """Hospitals and clinics (the nodes with an active plan in or under them) and the region."""
    import sqlalchemy as sa

    from pks.store.db import transaction

    with transaction(url) as conn:
        return [r[0] for r in conn.execute(
            sa.text("SELECT code FROM org_unit WHERE level IN ('region', 'hospital', 'clinic')")
        )]


async def _login(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=120, limits=httpx.Limits(max_connections=1))
    r = await client.post("/api/v1/session",
                          json={"username": web_data.USER, "password": web_data.PASSWORD})
    r.raise_for_status()
    return client


async def drive(base: str, path: str, units: list[str], seconds: float,
                clients: list[httpx.AsyncClient]) -> tuple[list[float], dict[int, int]]:
    times: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.monotonic() + seconds
    rng = random.Random(1)

    async def one(client: httpx.AsyncClient) -> None:
        while time.monotonic() < stop:
            t = time.perf_counter()
            r = await client.get(path.format(unit=rng.choice(units)))
            times.append(time.perf_counter() - t)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    await asyncio.gather(*(one(c) for c in clients))
    return times, statuses


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def run_pages(base: str, units: list[str], seconds: float, pages: dict[str, str],
                    store: str, clients_n: int = CLIENTS) -> list[dict[str, Any]]:
    clients = await asyncio.gather(*(_login(base) for _ in range(clients_n)))
    out = []
    try:
        for name, path in pages.items():
            # one warm-up request per unit kind, then the timed run
            await clients[0].get(path.format(unit=units[0]))
            times, statuses = await drive(base, path, units, seconds, clients)
            row = {"store": store, "page": name, "requests": len(times),
                   "rps": len(times) / seconds, "p50": pct(times, 50), "p95": pct(times, 95),
                   "p99": pct(times, 99), "statuses": statuses}
            print(f"{store:10} {name:14} n={row['requests']:6} {row['rps']:6.1f}/s "
                  f"p50={row['p50']:7.0f} ms p95={row['p95']:7.0f} ms p99={row['p99']:7.0f} ms "
                  f"{statuses}", flush=True)
            out.append(row)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return out


def single_request_latency(base: str, path: str, n: int = 40) -> float:
    """Median ms of sequential requests on one kept-alive connection (the Nagle effect)."""
    with httpx.Client(base_url=base, timeout=60) as c:
        c.post("/api/v1/session", json={"username": web_data.USER,
                                        "password": web_data.PASSWORD}).raise_for_status()
        times = []
        for _ in range(n):
            t = time.perf_counter()
            c.get(path)
            times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def json_encoding() -> dict[str, float]:
    """FastAPI's default response encoding (jsonable_encoder + JSONResponse) of 500 points
    against plain json.dumps, ms per response."""
    from fastapi.encoders import jsonable_encoder
    from fastapi.responses import JSONResponse

    points = [{"week": f"2026-W{i % 52 + 1:02d}", "planned": i * 1.5, "performed": i * 1.25,
               "inflow": float(i), "waiting": None if i % 7 else i * 2.0} for i in range(500)]
    out = {}
    for name, encode in (
        ("fastapi_default_ms", lambda: JSONResponse(jsonable_encoder(points)).body),
        ("json_dumps_ms", lambda: json.dumps(points).encode()),
    ):
        encode()
        t = time.perf_counter()
        for _ in range(200):
            encode()
        out[name] = (time.perf_counter() - t) / 200 * 1000
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--warmup", type=float, default=20.0,
                        help="seconds to let the workers warm their page memo after start "
                        "(pks.services.warmup) before the timed runs; 0 measures a cold start")
    args = parser.parse_args()
    pages = {k: PAGES[k] for k in args.pages.split(",")}
    print("json encoding of 500 points:", {k: round(v, 2) for k, v in json_encoding().items()})
    for store in args.stores.split(","):
        t = time.perf_counter()
        url, timings = web_data.build(store)
        print(f"{store}: data ready in {time.perf_counter() - t:.1f} s {timings}", flush=True)
        units = units_of(url)
        port = free_port()
        proc = start_server(url, port)
        base = f"http://127.0.0.1:{port}"
        print(f"{store}: waiting {args.warmup:.0f} s for the workers' warm-up", flush=True)
        time.sleep(args.warmup)
        try:
            asyncio.run(run_pages(base, units, args.seconds, pages, store))
            fast = single_request_latency(base, "/healthz")
        finally:
            proc.terminate()
            proc.wait(60)
        if args.skip_plain or store != "sqlite":
            continue
        port = free_port()
        proc = start_server(url, port, plain=True)
        base = f"http://127.0.0.1:{port}"
        try:
            plain = single_request_latency(base, "/healthz")
            asyncio.run(run_pages(base, units, min(args.seconds, 10), {
                "api follow-up": PAGES["api follow-up"]}, store + "/asyncio+h11"))
        finally:
            proc.terminate()
            proc.wait(60)
        print(f"sequential /healthz on one kept-alive connection: uvloop+httptools "
              f"{fast:.1f} ms, asyncio+h11 {plain:.1f} ms", flush=True)


if __name__ == "__main__":
    main()
