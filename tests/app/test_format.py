"""Display formats of shares."""

from __future__ import annotations

import pytest

from app_pages.i18n import format_share


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "—"),
        (0.0, "0.0%"),
        (0.0001, "<0.1%"),
        (7 / 15, "46.7%"),
        (1 - 5 / 5603, "99.9%"),
        (0.9999, ">99.9%"),
        (1.0, "100.0%"),
    ],
)
def test_format_share_value(value, expected):
    assert format_share(value) == expected
