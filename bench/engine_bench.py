"""Benchmark: the same forecast on the local, Dask and Spark engines (issue 4).

    python bench/engine_bench.py [--series 4000] [--pool 100]

4,000 weekly series of 3 years in pools of 100 (as pks pools a clinic's planning
objects), forecast 52 weeks ahead with pks's default method. Cluster start-up is timed
apart from the work: the target is distributed work ≤ 1.5 × local work, plus start-up.
Last line: ``local_s=… dask_s=… dask_startup_s=… spark_s=… spark_startup_s=…``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from functools import partial

import numpy as np

from pks.core.forecast.types import SeriesBatch
from pks.engines import select_rows
from pks.services.forecasting import _forecast_with


def make_batch(n: int, weeks: int = 156, seed: int = 1) -> SeriesBatch:
    rng = np.random.default_rng(seed)
    periods = np.arange(
        np.datetime64("2023-01-02"),
        np.datetime64("2023-01-02") + np.timedelta64(7 * weeks, "D"),
        np.timedelta64(7, "D"),
    )
    season = 1 + 0.25 * np.cos(2 * np.pi * np.arange(weeks) / 52)
    level = rng.uniform(2, 300, n)
    values = rng.poisson(level[:, None] * season[None, :]).astype(np.float64)
    return SeriesBatch(tuple(f"S{i}" for i in range(n)), values, periods, 52)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=4000)
    parser.add_argument("--pool", type=int, default=100)
    args = parser.parse_args()
    batch = make_batch(args.series)
    pools = [
        select_rows(batch, range(i, min(i + args.pool, args.series)))
        for i in range(0, args.series, args.pool)
    ]
    function = partial(_forecast_with, "pks_default", 52)

    start = time.perf_counter()
    local = [function(p) for p in pools]
    local_s = time.perf_counter() - start

    from dask.distributed import Client, LocalCluster

    start = time.perf_counter()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        client.gather(client.map(function, pools[:2], pure=False))  # warm the workers
        dask_startup_s = time.perf_counter() - start
        start = time.perf_counter()
        dask = client.gather(client.map(function, pools, pure=False))
        dask_s = time.perf_counter() - start

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    start = time.perf_counter()
    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    context = session.sparkContext
    context.parallelize(pools[:2], 2).map(function).collect()  # warm the Python workers
    spark_startup_s = time.perf_counter() - start
    start = time.perf_counter()
    slices = min(len(pools), 2 * context.defaultParallelism)  # as pks.engines does
    spark = context.parallelize(pools, slices).map(function).collect()
    spark_s = time.perf_counter() - start
    session.stop()

    same = all(
        np.allclose(a.mean, b.mean) and np.allclose(a.mean, c.mean)
        for a, b, c in zip(local, dask, spark, strict=True)
    )
    print(f"{args.series} series in {len(pools)} pools of {args.pool}; identical results: {same}")
    print(f"dask/local work: {dask_s / local_s:.2f}x, spark/local work: {spark_s / local_s:.2f}x")
    print(
        f"local_s={local_s:.2f} dask_s={dask_s:.2f} dask_startup_s={dask_startup_s:.2f} "
        f"spark_s={spark_s:.2f} spark_startup_s={spark_startup_s:.2f}"
    )


if __name__ == "__main__":
    main()
