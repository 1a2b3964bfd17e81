"""The rule catalogue. ``RULES`` maps each stable code to its :class:`Rule`, in the
order they are documented: objective rules, key-result rules, set rules."""

from __future__ import annotations

from types import MappingProxyType

from .. import _accel

_accel.extend(__path__, __name__)  # the compiled rule modules first, when they are in use

from .base import AppliesTo, Example, Hit, Rule  # noqa: E402
from .key_result import KEY_RESULT_RULES  # noqa: E402
from .objective import OBJECTIVE_RULES  # noqa: E402
from .safety import SUSPICIOUS_KEY_RESULT, SUSPICIOUS_OBJECTIVE  # noqa: E402
from .set_rules import SET_RULES  # noqa: E402

RULES: MappingProxyType[str, Rule] = MappingProxyType(
    {
        rule.code: rule
        for rule in (*OBJECTIVE_RULES, SUSPICIOUS_OBJECTIVE, *KEY_RESULT_RULES, SUSPICIOUS_KEY_RESULT, *SET_RULES)
    }
)

__all__ = ["RULES", "AppliesTo", "Example", "Hit", "Rule", "OBJECTIVE_RULES", "KEY_RESULT_RULES", "SET_RULES"]
