"""Settings: one field per variable, the variable named from the field, the README's table made from them."""

from __future__ import annotations

import re

import pytest

from api.config import ENV_NAMES, README, ConfigError, Settings, load_settings, readme_with_table, settings_table


def test_the_readme_table_is_generated_from_the_settings():
    readme = README.read_text(encoding="utf-8")
    assert readme_with_table(readme) == readme, (
        "the README's settings table is out of date; run: .venv/bin/python -m api.config"
    )


def test_every_setting_has_a_variable_and_a_meaning():
    table = settings_table()
    for field, variable in ENV_NAMES.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{variable}` |"))
        meaning = row.rsplit("|", 2)[-2].strip()
        assert len(meaning) > 5, f"{field} ({variable}) has no description"
    assert ENV_NAMES["openai_api_key"] == "OPENAI_API_KEY" and ENV_NAMES["db_path"] == "REALISE_DB_PATH"


def test_every_variable_the_code_reads_is_a_setting():
    # Variables named anywhere in the packages must be settings (or the few documented exceptions).
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    named = set()
    for package in ("api", "rewriter", "evaluators", "prompts"):
        for path in (root / package).rglob("*.py"):
            named |= set(re.findall(r"\b(REALISE_[A-Z_]+)\b", path.read_text(encoding="utf-8")))
    build_switches = {"REALISE_MYPYC"}  # read by setup.py when a wheel is built, never by the service
    assert named - build_switches - set(ENV_NAMES.values()) == set()


def test_values_are_read_and_checked():
    settings = load_settings({"REALISE_BATCH_MAX_ITEMS": "50", "REALISE_RULE_PLUGINS": "0", "REALISE_API_KEY": "k"})
    assert (settings.batch_max_items, settings.rule_plugins, settings.api_key) == (50, False, "k")
    assert load_settings({}) == Settings()
    with pytest.raises(ConfigError, match="REALISE_BATCH_WORKERS"):
        load_settings({"REALISE_BATCH_WORKERS": "65"})
