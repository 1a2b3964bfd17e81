"""Rule-based evaluators for objectives and key results.

Pure, deterministic and fast: no model, no network. The only reads are of data shipped
in well-kept packages' wheels (wordfreq's English word list, lingua's language models,
simplemma's lemmas), once per process on first use (see ``evaluators/words.py``).

When ``python -m evaluators._build`` has compiled them with mypyc and the build matches the
current sources, the compiled modules are used (three to four times as fast); otherwise pure
Python.
``COMPILED`` says which, ``COMPILED_STATUS`` why (see ``evaluators/_accel.py``).
"""

from . import _accel

# Before any other submodule is imported: a valid compiled build goes first on __path__.
COMPILED, COMPILED_STATUS = _accel.activate(__path__)

from .config import EvaluatorConfig, RuleSettings, default_config, load_config  # noqa: E402
from .engine import clear_caches, evaluate, judge_key_result, judge_objective  # noqa: E402
from .model import Evaluation, Finding, KeyResultJudgement, ObjectiveJudgement  # noqa: E402
from .plugins import all_rules  # noqa: E402
from .relevance import judge_relevance  # noqa: E402
from .rules import RULES  # noqa: E402
from .rules.objective import detect_mission, reports_fault  # noqa: E402
from .words import prepare  # noqa: E402

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
