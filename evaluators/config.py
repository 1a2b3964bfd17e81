"""Evaluator settings: the rules' own defaults (each :class:`Rule` declares its severity
and weight), optionally overridden by an organisation's TOML file.

Loading happens once (at import for the defaults, or on an explicit ``load_config``);
judging then only reads the prebuilt lookups, so a config is cheap to pass around.
"""

from __future__ import annotations

import itertools
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

from .model import SEVERITY_ORDER, Severity
from .plugins import all_rules
from .rules import Rule
from .rules.base import DEFAULT_WEIGHTS

#: How many key results an objective should have unless a rules file says otherwise.
DEFAULT_KEY_RESULTS = (2, 5)

_TOP_LEVEL_KEYS = frozenset({"key_results", "rules"})
_KEY_RESULT_KEYS = frozenset({"min", "max"})
_RULE_KEYS = frozenset({"severity", "weight", "enabled"})


@dataclass(frozen=True, slots=True)
class RuleSettings:
    severity: Severity
    weight: float
    enabled: bool = True


_SERIALS = itertools.count()

#: An enabled rule with its configured severity and weight, ready for the engine.
ActiveRule = tuple[Rule, Severity, float]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: it keys per-text caches
class EvaluatorConfig:
    key_result_min: int
    key_result_max: int
    rules: Mapping[str, RuleSettings]
    # The rules this config was built for: the built-ins and the plugins loaded then.
    catalogue: Mapping[str, Rule] = field(default_factory=all_rules, repr=False, compare=False)
    # Prebuilt per-target lists of enabled rules, so judging does no dict look-ups.
    objective_rules: tuple[ActiveRule, ...] = field(init=False, repr=False, compare=False)
    key_result_rules: tuple[ActiveRule, ...] = field(init=False, repr=False, compare=False)
    set_rules: tuple[ActiveRule, ...] = field(init=False, repr=False, compare=False)
    # Rules whose findings depend on the call (Rule.per_call): run on every call, never cached.
    objective_call_rules: tuple[ActiveRule, ...] = field(init=False, repr=False, compare=False)
    key_result_call_rules: tuple[ActiveRule, ...] = field(init=False, repr=False, compare=False)
    active: Mapping[str, ActiveRule] = field(init=False, repr=False, compare=False)
    # A number no other config gets: the per-text judgement caches key on it rather than
    # on the config itself, so that they hold no reference the garbage collector must follow.
    serial: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "serial", next(_SERIALS))
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))
        for target, attribute, per_call in (
            ("objective", "objective_rules", False),
            ("objective", "objective_call_rules", True),
            ("key_result", "key_result_rules", False),
            ("key_result", "key_result_call_rules", True),
            ("set", "set_rules", False),
        ):
            active = tuple(
                (rule, self.rules[code].severity, self.rules[code].weight)
                for code, rule in self.catalogue.items()
                if code in self.rules
                and rule.applies_to == target
                and rule.per_call == per_call
                and self.rules[code].enabled
            )
            object.__setattr__(self, attribute, active)
        object.__setattr__(
            self,
            "active",
            {
                rule.code: entry
                for entry in (
                    *self.objective_rules,
                    *self.objective_call_rules,
                    *self.key_result_rules,
                    *self.key_result_call_rules,
                    *self.set_rules,
                )
                for rule in (entry[0],)
            },
        )

    def severity(self, code: str) -> Severity:
        return self.rules[code].severity

    def weight(self, code: str) -> float:
        return self.rules[code].weight

    def enabled(self, code: str) -> bool:
        return self.rules[code].enabled

    def merged(self, overrides: Mapping[str, Any], *, source: str = "overrides") -> EvaluatorConfig:
        """A new config with ``overrides`` (same shape as the TOML file) applied."""
        return _merge(self, overrides, source)


def _merge(base: EvaluatorConfig, data: Mapping[str, Any], source: str) -> EvaluatorConfig:
    unknown = set(data) - _TOP_LEVEL_KEYS
    if unknown:
        raise ValueError(f"{source}: unknown section(s) {sorted(unknown)}; expected {sorted(_TOP_LEVEL_KEYS)}")
    minimum, maximum = base.key_result_min, base.key_result_max
    key_results = data.get("key_results", {})
    if not isinstance(key_results, Mapping):
        raise ValueError(f"{source}: [key_results] must be a table")
    unknown = set(key_results) - _KEY_RESULT_KEYS
    if unknown:
        raise ValueError(f"{source}: unknown key(s) {sorted(unknown)} in [key_results]; expected min, max")
    for key, value in key_results.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{source}: key_results.{key} must be a non-negative integer, got {value!r}")
    minimum = key_results.get("min", minimum)
    maximum = key_results.get("max", maximum)
    if minimum > maximum:
        raise ValueError(f"{source}: key_results.min ({minimum}) is greater than max ({maximum})")

    catalogue = base.catalogue
    rules = dict(base.rules)
    rule_tables = data.get("rules", {})
    if not isinstance(rule_tables, Mapping):
        raise ValueError(f"{source}: [rules] must be a table of [rules.<code>] tables")
    for code, table in rule_tables.items():
        if code not in catalogue:
            raise ValueError(f"{source}: unknown rule code {code!r}; known codes: {', '.join(catalogue)}")
        if not isinstance(table, Mapping):
            raise ValueError(f"{source}: [rules.{code}] must be a table")
        unknown = set(table) - _RULE_KEYS
        if unknown:
            raise ValueError(
                f"{source}: unknown key(s) {sorted(unknown)} in [rules.{code}]; expected severity, weight, enabled"
            )
        current = rules.get(code) or RuleSettings(catalogue[code].severity, 0.0)
        severity = table.get("severity", current.severity)
        if severity not in SEVERITY_ORDER:
            raise ValueError(f"{source}: rules.{code}.severity must be error, warning or info, got {severity!r}")
        weight = table.get("weight", current.weight)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
            raise ValueError(f"{source}: rules.{code}.weight must be a number between 0 and 1, got {weight!r}")
        enabled = table.get("enabled", current.enabled)
        if not isinstance(enabled, bool):
            raise ValueError(f"{source}: rules.{code}.enabled must be true or false, got {enabled!r}")
        rules[code] = RuleSettings(severity, float(weight), enabled)
    missing = set(catalogue) - set(rules)
    if missing:
        raise ValueError(f"{source}: no settings for rule(s) {sorted(missing)}")
    return EvaluatorConfig(key_result_min=minimum, key_result_max=maximum, rules=rules, catalogue=catalogue)


@cache
def default_config() -> EvaluatorConfig:
    """Every rule, built-in or from a plugin (``evaluators.plugins``), with the severity
    and weight it declares (built once). A rules file (``load_config``) overrides these; it
    holds only what an organisation changes."""
    catalogue = all_rules()
    rules = {
        code: RuleSettings(rule.severity, rule.weight if rule.weight is not None else DEFAULT_WEIGHTS[rule.severity])
        for code, rule in catalogue.items()
    }
    return EvaluatorConfig(
        key_result_min=DEFAULT_KEY_RESULTS[0], key_result_max=DEFAULT_KEY_RESULTS[1], rules=rules, catalogue=catalogue
    )


def load_config(path: str | os.PathLike[str] | None = None) -> EvaluatorConfig:
    """The defaults with the user's TOML file (if any) merged over them.

    Raises ValueError naming the file and the offending key for unknown rule codes,
    unknown keys or bad values, and for files that are not valid TOML.
    """
    if path is None:
        return default_config()
    with open(path, "rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{os.fspath(path)}: not valid TOML: {error}") from error
    return _merge(default_config(), data, os.fspath(path))
