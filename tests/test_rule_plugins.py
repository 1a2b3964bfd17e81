"""Rule plugins: an installed distribution's ``realise.rules`` entry point adds rules that
are judged and configured like the built-in ones. The example plugin in
examples/rule-plugin/ is installed here the way pip would leave it (a module and a
.dist-info directory with entry_points.txt on sys.path) and found through
importlib.metadata, as in production."""

from __future__ import annotations

import importlib
import shutil
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from evaluators import all_rules, default_config, evaluate, judge_objective, load_config, plugins
from evaluators.plugins import PluginError, load_plugin_rules

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "rule-plugin"


def _install(
    site: Path, module: str, source: Path | str, entry_points: str, name: str = "realise-rule-example"
) -> None:
    target = site / f"{module}.py"
    if isinstance(source, Path):
        shutil.copy(source, target)
    else:
        target.write_text(source)
    info = site / f"{name.replace('-', '_')}-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text(entry_points)


@pytest.fixture()
def site(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    monkeypatch.undo()
    for name in [m for m in sys.modules if m.startswith("realise_rule_") or m.startswith("broken_rule")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    plugins.reload()  # back to the built-in rules for the other tests


@pytest.fixture()
def example_installed(site):
    _install(
        site,
        "realise_rule_example",
        EXAMPLE / "realise_rule_example.py",
        "[realise.rules]\nhouse_terms = realise_rule_example:RULES\n",
    )
    importlib.invalidate_caches()
    plugins.reload()
    return site


def test_the_example_plugin_adds_its_rule(example_installed):
    assert "house_terms" in all_rules()
    judgement = judge_objective("Ship the MVP of self-service returns")
    finding = next(f for f in judgement.findings if f.code == "house_terms")
    assert finding.severity == "warning"
    assert "“MVP”" in finding.message
    assert "Ship the MVP of self-service returns"[slice(*finding.span)] == "MVP"
    assert "house_terms" not in {
        f.code for f in judge_objective("Shoppers return items without contacting support").findings
    }


def test_a_plugin_rule_counts_in_the_set_score(example_installed):
    key_results = ["Returns handled without a support contact rise from 40% to 70% by June"]
    with_term = evaluate("Shoppers get the phase 2 returns they want", key_results)
    assert "house_terms" in {f.code for f in with_term.objective.findings}
    assert with_term.objective.score < 1.0


def test_a_rules_file_configures_a_plugin_rule(example_installed, tmp_path):
    stricter = tmp_path / "rules.toml"
    stricter.write_text('[rules.house_terms]\nseverity = "error"\n')
    judgement = judge_objective("Deliver the quick win for tenants", config=load_config(stricter))
    assert {f.severity for f in judgement.findings if f.code == "house_terms"} == {"error"}
    off = tmp_path / "off.toml"
    off.write_text("[rules.house_terms]\nenabled = false\n")
    judgement = judge_objective("Deliver the quick win for tenants", config=load_config(off))
    assert "house_terms" not in {f.code for f in judgement.findings}


def test_without_plugins_only_built_in_rules(site):
    plugins.reload()
    assert "house_terms" not in all_rules()
    with pytest.raises(ValueError, match="unknown rule code 'house_terms'"):
        default_config().merged({"rules": {"house_terms": {"severity": "error"}}})


def test_plugins_can_be_switched_off(example_installed):
    assert "house_terms" in plugins.reload()
    plugins.use_plugins(False)
    try:
        assert "house_terms" not in all_rules()
    finally:
        plugins.use_plugins(True)
    assert "house_terms" in all_rules()


def test_the_setting_switches_plugins_off_for_the_app(example_installed, tmp_path):
    from api.config import load_settings
    from api.services import rules_in_force

    settings = load_settings({"REALISE_RULE_PLUGINS": "0", "REALISE_DB_PATH": str(tmp_path / "r.db")})
    try:
        assert "house_terms" not in rules_in_force(settings).catalogue
    finally:
        plugins.use_plugins(True)
    assert "house_terms" in rules_in_force(load_settings({})).catalogue


def _point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=plugins.ENTRY_POINT_GROUP)


def test_a_plugin_may_not_take_a_built_in_code(site):
    _install(
        site,
        "realise_rule_clash",
        ("from evaluators.rules import RULES\nimport dataclasses\nRULE = dataclasses.replace(RULES['vague'])\n"),
        "",
        name="realise-rule-clash",
    )
    importlib.invalidate_caches()
    with pytest.raises(PluginError, match=r"'clash'.*'vague' is a built-in rule's"):
        load_plugin_rules([_point("clash", "realise_rule_clash:RULE")])


def test_a_broken_plugin_is_named(site):
    _install(site, "broken_rule_plugin", "raise ImportError('needs acme-sdk')\n", "", name="broken-rule-plugin")
    importlib.invalidate_caches()
    with pytest.raises(PluginError, match=r"'broken'.*could not be loaded: ImportError: needs acme-sdk"):
        load_plugin_rules([_point("broken", "broken_rule_plugin:RULES")])
    with pytest.raises(PluginError, match="expected a Rule"):
        load_plugin_rules([_point("not_rules", "os:sep")])
