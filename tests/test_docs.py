"""The user docs name every setting and every taxonomy code the code defines."""

from __future__ import annotations

import pytest

from eintel.settings import REPO_ROOT, Settings
from etl.taxonomy import all_label_rows

READMES = ["README.md", "README.zh-CN.md"]
DATA_MODEL = (REPO_ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("readme", READMES)
@pytest.mark.parametrize("setting", sorted(Settings.model_fields))
def test_setting_documented(readme, setting):
    text = (REPO_ROOT / readme).read_text(encoding="utf-8")

    assert f"EINTEL_{setting.upper()}" in text


@pytest.mark.parametrize("readme", READMES)
@pytest.mark.parametrize("command", ["make demo", "make test"])
def test_readme_names_command(readme, command):
    assert command in (REPO_ROOT / readme).read_text(encoding="utf-8")


@pytest.mark.parametrize(("kind", "code"), [(kind, code) for kind, code, _, _ in all_label_rows()])
def test_taxonomy_code_documented(kind, code):
    assert f"`{code}`" in DATA_MODEL, f"{kind} code {code} missing from docs/data-model.md"
