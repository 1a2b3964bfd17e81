"""Rules an organisation adds without forking: any installed distribution that declares an
entry point in the ``realise.rules`` group contributes rules, judged and configured exactly
like the built-in ones (``[rules.<code>]`` in a rules file sets their severity, weight or
switches them off).

An entry point names a :class:`~evaluators.rules.Rule`, an iterable of them, or a
function with no arguments that returns either::

    [project.entry-points."realise.rules"]
    banned_terms = "acme_okr_rules:RULES"

A rule's ``check`` gets the same reading the built-in rules of its kind get (see
``docs/rules.md``, "Adding a rule"). Plugins are loaded once, when the first config is
built; a plugin that fails to load, or whose code clashes with another rule, stops the
service from starting with a message naming the entry point: a rule set that silently
lacks an organisation's rules would judge wrongly without anyone knowing.
The application switches plugins off with ``use_plugins(False)`` (``REALISE_RULE_PLUGINS=0``;
to rule one out when debugging).

This module is not compiled: it runs once per process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType

from .rules import RULES, Rule

ENTRY_POINT_GROUP = "realise.rules"
_enabled = True  # the application's setting (REALISE_RULE_PLUGINS), through use_plugins()
_CODE = re.compile(r"[a-z][a-z0-9_]{1,63}")
_TARGETS = frozenset(("objective", "key_result", "set"))


class PluginError(RuntimeError):
    """A rule plugin could not be used; the message names the entry point and why."""


def load_plugin_rules(points: Iterable[EntryPoint] | None = None) -> tuple[Rule, ...]:
    """The rules of every entry point in ``realise.rules`` (or of ``points``), checked."""
    if points is None:
        if not _enabled:
            return ()
        points = entry_points(group=ENTRY_POINT_GROUP)
    found: dict[str, tuple[Rule, str]] = {}
    for point in sorted(points, key=lambda p: p.name):
        origin = f"rule plugin {point.name!r} ({point.value})"
        try:
            loaded = point.load()
        except Exception as error:  # any import failure: report which plugin, and why
            raise PluginError(f"{origin} could not be loaded: {type(error).__name__}: {error}") from error
        for rule in _rules_of(loaded, origin):
            _check_rule(rule, origin)
            if rule.code in RULES:
                raise PluginError(f"{origin}: rule code {rule.code!r} is a built-in rule's; choose another code")
            if rule.code in found:
                raise PluginError(f"{origin}: rule code {rule.code!r} is also defined by {found[rule.code][1]}")
            found[rule.code] = (rule, origin)
    return tuple(rule for rule, _ in found.values())


def _rules_of(loaded: object, origin: str) -> list[Rule]:
    if callable(loaded) and not isinstance(loaded, Rule):
        try:
            loaded = loaded()
        except Exception as error:
            raise PluginError(f"{origin}: calling it failed: {type(error).__name__}: {error}") from error
    if isinstance(loaded, Rule):
        return [loaded]
    if isinstance(loaded, Iterable) and not isinstance(loaded, (str, bytes, Mapping)):
        rules = list(loaded)
        for item in rules:
            if not isinstance(item, Rule):
                raise PluginError(f"{origin}: {item!r} is not an evaluators.rules.Rule")
        return rules
    raise PluginError(f"{origin}: expected a Rule, an iterable of Rules or a function returning them, got {loaded!r}")


def _check_rule(rule: Rule, origin: str) -> None:
    if not _CODE.fullmatch(rule.code):
        raise PluginError(f"{origin}: rule code {rule.code!r} must be lowercase letters, digits and _ (2–64)")
    if rule.applies_to not in _TARGETS:
        raise PluginError(
            f"{origin}: rule {rule.code!r} applies to {rule.applies_to!r}; expected one of {sorted(_TARGETS)}"
        )
    if rule.severity not in ("error", "warning", "info"):
        raise PluginError(
            f"{origin}: rule {rule.code!r} has severity {rule.severity!r}; expected error, warning or info"
        )
    if not callable(rule.check):
        raise PluginError(f"{origin}: rule {rule.code!r} has no callable check")


@cache
def all_rules() -> Mapping[str, Rule]:
    """The built-in rules, then the plugins' (loaded on first call)."""
    return MappingProxyType({**RULES, **{rule.code: rule for rule in load_plugin_rules()}})


def use_plugins(enabled: bool) -> None:
    """Load the installed rule plugins or not; configs built before keep their rules."""
    global _enabled
    if enabled != _enabled:
        _enabled = enabled
        reload()


def reload() -> Mapping[str, Rule]:
    """Look for plugins again (after installing one in a running process, and in tests);
    configs built before keep the rules they were built with."""
    from .config import default_config

    all_rules.cache_clear()
    default_config.cache_clear()
    return all_rules()
