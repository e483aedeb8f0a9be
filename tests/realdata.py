"""Paths into the archive of real public records for tests (EINTEL_ARCHIVE)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eintel.settings import get_settings


def archive_file(relative: str) -> Path:
    """Return a file of the archive, or skip the calling test when it is absent."""
    path = get_settings().archive_path / relative
    if not path.exists():
        pytest.skip(f"real records not found at {path}; set EINTEL_ARCHIVE to the raw data folder")
    return path
