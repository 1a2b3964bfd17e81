"""Rule-based evaluators for objectives and key results.

Pure, deterministic and fast: no model, no network. The only reads are of data shipped
in well-kept packages' wheels (wordfreq's English word list, lingua's language models,
simplemma's lemmas), once per process on first use (see ``evaluators/words.py``).

A wheel built with ``REALISE_MYPYC=1`` (setup.py; the container image is) carries the modules
compiled by mypyc, three to four times as fast, with identical judgements; an editable
install runs the sources. ``COMPILED`` says which runs here, ``COMPILED_STATUS`` in words.
"""

import importlib.machinery

from . import engine
from .config import EvaluatorConfig, RuleSettings, default_config, load_config
from .engine import clear_caches, evaluate, judge_key_result, judge_objective
from .model import Evaluation, Finding, KeyResultJudgement, ObjectiveJudgement
from .plugins import all_rules
from .relevance import judge_relevance
from .rules import RULES
from .rules.objective import detect_mission, reports_fault
from .words import prepare

COMPILED = str(engine.__file__).endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
COMPILED_STATUS = f"compiled by mypyc ({engine.__file__})" if COMPILED else "pure Python"

__all__ = [
    "COMPILED",
    "COMPILED_STATUS",
    "RULES",
    "Evaluation",
    "EvaluatorConfig",
    "Finding",
    "KeyResultJudgement",
    "ObjectiveJudgement",
    "RuleSettings",
    "all_rules",
    "reports_fault",
    "clear_caches",
    "default_config",
    "detect_mission",
    "evaluate",
    "judge_key_result",
    "judge_objective",
    "judge_relevance",
    "load_config",
    "prepare",
]
