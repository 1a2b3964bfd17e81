"""An example rule plugin: objectives that use terms this organisation has agreed not to
use in OKRs ("MVP", "phase 2", "quick win": they name a delivery plan, not a change).

Install it next to realise (``pip install ./examples/rule-plugin``) and every evaluation
gets ``house_terms``; a rules file can change its severity or switch it off like any rule::

    [rules.house_terms]
    severity = "error"
"""

from __future__ import annotations

import re

from evaluators.rules import Example, Rule
from evaluators.rules.base import NO_HITS, Hits
from evaluators.rules.objective import ObjectiveReading

#: The organisation's list; whole words, any case.
HOUSE_TERMS = ("mvp", "phase 2", "phase two", "quick win", "quick wins", "low-hanging fruit")
_TERMS = re.compile(r"\b(?:" + "|".join(re.escape(term) for term in HOUSE_TERMS) + r")\b", re.IGNORECASE)


def check_house_terms(reading: ObjectiveReading) -> Hits:
    """The check gets the objective's reading; ``reading.a.text`` is the text as written,
    and each hit is (character span, detail for the message)."""
    text = reading.a.text
    return [((match.start(), match.end()), match.group(0)) for match in _TERMS.finditer(text)] or NO_HITS


RULES = [
    Rule(
        code="house_terms",
        applies_to="objective",
        severity="warning",
        message="“{detail}” is a term we agreed not to use in objectives: it names a delivery plan, not a change.",
        suggestion="Say what will be different for the people it serves, and leave the delivery plan to the team.",
        description="An objective uses a term from the organisation's list (MVP, phase 2, quick win …).",
        example_fail=Example("Ship the MVP of self-service returns"),
        example_pass=Example("Shoppers return items without contacting support"),
        check=check_house_terms,
    )
]
