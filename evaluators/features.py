"""Which word lists a text touches, as bits of one int.

Rules reject most texts with a test like "does the text hold any period word?" before
they look at single tokens. As set scans (``PERIOD_WORDS.isdisjoint(words)``) those tests
were a sixth of an uncached evaluation: a key result asks about seventeen lists. Instead
each distinct token's bits are computed once (``token_flags``, memoised in
:mod:`evaluators.text`), a text's ``Analysis.flags`` is their union, and each test is a
bit test: ``a.flags & PERIOD``.

The word lists that only these tests and the grammar share are defined here; the
grammar imports them for its token-by-token work, so the bit and the list cannot drift.
"""

from __future__ import annotations

from typing import Final

from . import lexicon as lx

# --------------------------------------------------------------------- word lists

#: Words that can report a deliverable as done without an "-ed" ending.
DONE_TRIGGERS: Final = lx.DONE_WORDS | frozenset(
    "live place built rebuilt written rewritten held run made set done begun chosen drawn sent".split()
)
MULTIPLIERS: Final = frozenset("halve double triple quadruple twice half".split())
FIGURE_WORDS: Final = frozenset(lx.NUMBER_WORDS) | frozenset(("none", "nobody"))
PLACEHOLDER_TRIGGERS: Final = lx.PLACEHOLDER_WORDS | frozenset(("be", "baseline", "target"))
YEAR_ON_YEAR: Final = frozenset("yoy year-on-year year-over-year".split())
BASELINE_WORDS: Final = frozenset("baseline today today's current currently now".split())
PERCENT_WORDS: Final = frozenset("% percent pp points percentage".split())
BASELINE_TRIGGERS: Final = BASELINE_WORDS | frozenset("from by up down year".split()) | PERCENT_WORDS
CONJUNCTIONS: Final = frozenset("and & ; plus while whilst".split())
#: After a named subject, the words that say what it will do next: "The HR team will roll
#: out …", "Our council is going to open …", "The board plans to …".
SUBJECT_MODALS: Final = frozenset("will shall must 'll is are plans aims intends wants needs".split())

# ---------------------------------------------------------------------------- bits
# Literal values: mypyc folds them into the compiled code (docs/performance.md); a test checks
# that they are distinct single bits. FLAGS lists them all.
# Set when a token as written is in the list:
DONE: Final = 1 << 0
PERIOD: Final = 1 << 1
FIGURE_WORD: Final = 1 << 2
PLACEHOLDER: Final = 1 << 3
YOY: Final = 1 << 4
BASELINE_TRIGGER: Final = 1 << 5
THRESHOLD: Final = 1 << 6
CONJUNCTION: Final = 1 << 7
MILESTONE: Final = 1 << 8
# Set when a token's lemma is in the list:
MULTIPLIER: Final = 1 << 9
DIRECTION: Final = 1 << 10
# Set when a token as written or its lemma is in the list:
METRIC: Final = 1 << 11
GUARDRAIL: Final = 1 << 12
GROWTH: Final = 1 << 13
# Set when a token could belong to a link, markup or an instruction to a model (see
# rules/safety.py): a token that is one of these characters, or holds one of these words.
SUSPICIOUS_HINT: Final = 1 << 14
# Set when a token names a technology (TECH_NOUNS), or looks like a version ("v2"):
TECH: Final = 1 << 15
VERSION: Final = 1 << 16
# Set when a token is a cadence value ("weekly", "daily"):
CADENCE: Final = 1 << 17
# Set when a token is one of SUBJECT_MODALS:
MODAL: Final = 1 << 18
FLAGS: Final = (
    DONE,
    PERIOD,
    FIGURE_WORD,
    PLACEHOLDER,
    YOY,
    BASELINE_TRIGGER,
    THRESHOLD,
    CONJUNCTION,
    MILESTONE,
    MULTIPLIER,
    DIRECTION,
    METRIC,
    GUARDRAIL,
    GROWTH,
    SUSPICIOUS_HINT,
    TECH,
    VERSION,
    CADENCE,
    MODAL,
)
SUSPICIOUS_CHARACTERS: Final = frozenset(':<&{`*_#[|"-+>')
SUSPICIOUS_FRAGMENTS: Final = tuple(
    "www ignore disregard forget bypass override say treat always system you developer inst sys".split()
)

_BY_WORD: Final[tuple[tuple[int, frozenset[str]], ...]] = (
    (DONE, DONE_TRIGGERS),
    (PERIOD, lx.PERIOD_WORDS),
    (FIGURE_WORD, FIGURE_WORDS),
    (PLACEHOLDER, PLACEHOLDER_TRIGGERS),
    (YOY, YEAR_ON_YEAR),
    (BASELINE_TRIGGER, BASELINE_TRIGGERS),
    (THRESHOLD, lx.THRESHOLD_WORDS),
    (CONJUNCTION, CONJUNCTIONS),
    (MILESTONE, lx.LEARNING_MILESTONE_WORDS),
    (TECH, lx.TECH_NOUNS),
    (CADENCE, lx.CADENCE_VALUES),
    (MODAL, SUBJECT_MODALS),
    (METRIC, lx.METRIC_NOUNS),
    (GUARDRAIL, lx.GUARDRAIL_WORDS),
    (GROWTH, lx.GROWTH_WORDS),
)
_BY_LEMMA: Final[tuple[tuple[int, frozenset[str]], ...]] = (
    (MULTIPLIER, MULTIPLIERS),
    (DIRECTION, lx.DIRECTION_VERBS),
    (METRIC, lx.METRIC_NOUNS),
    (GUARDRAIL, lx.GUARDRAIL_WORDS),
    (GROWTH, lx.GROWTH_WORDS),
)


def token_flags(word: str, lemma: str) -> int:
    """The bits of one token: which lists hold it as written, and which its lemma."""
    flags = 0
    for bit, words in _BY_WORD:
        if word in words:
            flags |= bit
    for bit, lemmas in _BY_LEMMA:
        if lemma in lemmas:
            flags |= bit
    if len(word) > 1 and word[0] == "v" and word[1].isdigit():
        flags |= VERSION
    if "-" in word:
        head, _, rest = word.partition("-")
        if head in lx.PERIOD_PREFIXES and rest in lx.PERIOD_WORDS:
            flags |= PERIOD  # "by mid-Q2", "before end-June"
    if word in SUSPICIOUS_CHARACTERS:
        flags |= SUSPICIOUS_HINT
    else:
        for fragment in SUSPICIOUS_FRAGMENTS:
            if fragment in word:
                flags |= SUSPICIOUS_HINT
                break
    return flags
