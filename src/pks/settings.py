"""Every setting of pks, declared once with its default and help (env prefix ``PKS_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("pks-data")


class Settings(BaseSettings):
    """Settings read from the environment (``PKS_DATABASE_URL`` …) or their defaults."""

    model_config = SettingsConfigDict(env_prefix="PKS_")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DATA_DIR / 'pks.db'}",
        description="SQLAlchemy URL of the store; the default is an embedded SQLite file.",
    )
    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        description="Folder for the embedded database and the demo region's files.",
    )
    calendar_first_year: int = Field(
        default=2000, description="First year of the planning calendar (dates before are errors)."
    )
    calendar_last_year: int = Field(default=2100, description="Last year of the planning calendar.")
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8000, description="Port the server listens on.")
    warm_pages: bool = Field(
        default=True,
        description="Each server worker computes every org node's page figures at start and "
        "after each change, so no user waits for a cold computation.",
    )
    argon2_time_cost: int = Field(
        default=3, description="argon2id passes per password hash (argon2-cffi's default)."
    )
    argon2_memory_kib: int = Field(
        default=65536, description="argon2id memory per password hash in KiB (64 MiB default)."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
