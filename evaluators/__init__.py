"""Rule-based evaluators for objectives and key results.

Pure, deterministic and fast: no model, no network, no I/O at judge time (the
packaged ``rules.toml`` is read once, on first use).
"""

from .config import EvaluatorConfig, RuleSettings, default_config, load_config
from .engine import clear_caches, evaluate, judge_key_result, judge_objective
from .model import Evaluation, Finding, KeyResultJudgement, ObjectiveJudgement
from .rules import RULES
from .rules.objective import detect_mission

__all__ = [
    "RULES",
    "Evaluation",
    "EvaluatorConfig",
    "Finding",
    "KeyResultJudgement",
    "ObjectiveJudgement",
    "RuleSettings",
    "clear_caches",
    "default_config",
    "detect_mission",
    "evaluate",
    "judge_key_result",
    "judge_objective",
    "load_config",
]
