"""The rule catalogue. ``RULES`` maps each stable code to its :class:`Rule`, in the
order they are documented: objective rules, key-result rules, set rules."""

from __future__ import annotations

from types import MappingProxyType

from .base import AppliesTo, Example, Hit, Rule
from .key_result import KEY_RESULT_RULES
from .objective import OBJECTIVE_RULES
from .safety import SUSPICIOUS_KEY_RESULT, SUSPICIOUS_OBJECTIVE
from .set_rules import SET_RULES

RULES: MappingProxyType[str, Rule] = MappingProxyType(
    {
        rule.code: rule
        for rule in (*OBJECTIVE_RULES, SUSPICIOUS_OBJECTIVE, *KEY_RESULT_RULES, SUSPICIOUS_KEY_RESULT, *SET_RULES)
    }
)

__all__ = ["RULES", "AppliesTo", "Example", "Hit", "Rule", "OBJECTIVE_RULES", "KEY_RESULT_RULES", "SET_RULES"]
