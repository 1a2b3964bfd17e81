"""Build hook: with ``REALISE_MYPYC=1`` the wheel carries the evaluators compiled by mypyc.

Every other setting lives in pyproject.toml. Compiling is opt-in, as for mypy and black
(``MYPY_USE_MYPYC``, ``HATCH_BUILD_HOOKS_ENABLE``): an editable install for development runs
the sources as they are, so an edit always takes effect; the container image builds the
compiled wheel (see the Dockerfile and docs/performance.md). Compiled or not, the
evaluators judge identically (tests/test_evaluators_compiled.py).
"""

from __future__ import annotations

import os

from setuptools import setup

# The modules the evaluators run per text. The rest stay Python: the package __init__ files,
# words.py and plugins.py (they call into other packages or run once), docs.py, and model.py,
# whose Structs msgspec and Litestar read field annotations from (compiled classes lose them).
COMPILED_MODULES = [
    "evaluators/config.py",
    "evaluators/engine.py",
    "evaluators/features.py",
    "evaluators/foreign.py",
    "evaluators/grammar.py",
    "evaluators/language.py",
    "evaluators/lexicon.py",
    "evaluators/text.py",
    "evaluators/rules/base.py",
    "evaluators/rules/fluency.py",
    "evaluators/rules/key_result.py",
    "evaluators/rules/objective.py",
    "evaluators/rules/safety.py",
    "evaluators/rules/set_rules.py",
]


def _ext_modules() -> list:
    if os.environ.get("REALISE_MYPYC", "0") in ("", "0"):
        return []
    from mypyc.build import mypycify

    return mypycify(COMPILED_MODULES, opt_level="3", group_name="evaluators_compiled")


setup(ext_modules=_ext_modules())
