"""Use case: write the demo region's import files (Region Exempel)."""

from __future__ import annotations

from pathlib import Path

from pks.ingest.demo import DemoManifest, generate_demo

__all__ = ["DemoManifest", "write_demo"]


def write_demo(outdir: Path, *, seed: int = 1, weeks: int = 260, events: int = 0) -> DemoManifest:
    """Write Region Exempel to ``outdir``: same seed and arguments, byte-identical files."""
    return generate_demo(outdir, seed=seed, weeks=weeks, events=events)
