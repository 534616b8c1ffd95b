"""Demo-region generator: realistic import files for the fictional "Region Exempel".

``generate_demo(outdir)`` writes every file kind of ``docs/import-format.md`` (master
data, weekly history, waiting lists, emergency arrivals as events, a late-registration
batch and optionally a big events file for load tests), deterministic per seed.
"""

from pks.ingest.demo.generator import DemoManifest, generate_demo

__all__ = ["DemoManifest", "generate_demo"]
