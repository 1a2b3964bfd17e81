"""Rules for one key result: does it measure a change, and is the figure real?"""

from __future__ import annotations

import re
from typing import Final

from mypy_extensions import mypyc_attr

from .. import features as ft
from .. import foreign
from .. import grammar as g
from .. import lexicon as lx
from ..language import ENGLISH, JUDGED_LANGUAGES, language_of, unsupported_language
from ..model import Mission
from ..text import NUMBER, WORD, Analysis, RecentCache, analyse, number_value
from .base import JUDGED, NO_HITS, Example, Hits, Judged, Rule
from .fluency import FluencyReading
from .fluency import problems as fluency_problems


@mypyc_attr(acyclic=True)  # cached; untracked by the garbage collector (see text.Analysis)
class KeyResultReading:
    """What the key-result rules need, read once per text (mission-independent)."""

    __slots__ = (
        "a",
        "lead",
        "m",
        "deliverable",
        "research_lead",
        "done",
        "compound",
        "milestone",
        "content",
        "pushes_growth",
        "guards",
        "language",
        "fluency",
        "judged",
        "covers_all",
        "reach",
        "measure_verb",
    )

    def __init__(self, a: Analysis) -> None:
        self.a = a
        self.judged: Judged | None = None
        language = language_of(a)
        self.language = language
        self.fluency = FluencyReading(a, language, objective=False)
        self.content = g.content_lemmas(a)
        if language != ENGLISH:
            self._read_foreign(a, language)
            return
        lead = g.lead_index(a, skip_deadline_clause=True)
        self.lead = lead
        m = g.Measures(a, lead)
        self.m = m
        self.deliverable = g.deliverable_lead(a, lead, has_figure=m.has_figure) or g.activity_noun_lead(a, lead)
        if self.deliverable is not None and a.lemmas[lead] in lx.GUARDRAIL_LEADS and m.is_threshold:
            self.deliverable = None  # "Hold gross margin at 78% or above": a guardrail, not an event
        self.done = g.done_phrase(a, lead, m.figures) or g.approval_goal(a, lead)
        words, lemmas = a.words, a.lemmas
        self.research_lead = (
            lead < len(words)
            and a.kinds[lead] == WORD
            and lemmas[lead] in lx.RESEARCH_VERBS
            and (words[lead] == lemmas[lead] or words[lead].endswith("ing"))
        )
        self.compound = g.compound_joint(a, m.figures)
        self.milestone = a.flags & ft.MILESTONE != 0
        # "Every restore test succeeds …" (all of them, the measure) and, for research, a
        # reach anywhere ("interview every pharmacy", "covering each segment").
        self.reach = any(word in lx.COVERAGE_WORDS for word in words)
        self.covers_all = self.reach and words[a.first] in lx.COVERAGE_WORDS
        self.measure_verb = g.measure_verb(a, lead)
        # For the set's guardrail rule: does it push growth or speed, or protect something?
        self.guards = a.flags & ft.GUARDRAIL != 0
        self.pushes_growth = a.flags & ft.GROWTH != 0
        # (``judged``: the findings last built from this reading, and the (config, mission)
        # they were built for; see engine. One entry, not a dict: nearly every call uses the
        # default config, and a dict of them would be one more object for the collector.)

    def _read_foreign(self, a: Analysis, language: str) -> None:
        self.lead = a.first
        self.research_lead = False
        self.done = None
        self.compound = None
        self.milestone = False
        self.covers_all = self.reach = False
        self.measure_verb = -1
        self.guards = self.pushes_growth = False
        if language in JUDGED_LANGUAGES:
            base = foreign.lemmas(a, language)
            self.m = g.Measures(a, a.first, foreign.ForeignMeasures(a, language, base))
            self.deliverable = foreign.output_lead(a, language, base)
        else:
            self.m = g.Measures(a, a.first, foreign.ForeignMeasures.nothing(a))
            self.deliverable = None


_readings: Final[RecentCache[str, KeyResultReading]] = RecentCache(4096)


def _read(text: str) -> KeyResultReading:
    return KeyResultReading(analyse(text))


def read_key_result(text: str) -> KeyResultReading:
    return _readings.get_or_compute(text, _read)


def clear_cache() -> None:
    _readings.clear()


@mypyc_attr(acyclic=True)
class KeyResultContext:
    """One key result as judged in one call: its reading plus the call's mission and
    (for generated key results) the figures found in the evidence."""

    __slots__ = ("r", "mission", "evidence_figures", "exempt", "activity", "measurable")

    def __init__(
        self,
        r: KeyResultReading,
        mission: Mission,
        evidence_figures: frozenset[str] | None,
        exempt: frozenset[str] | None = None,
    ) -> None:
        self.r = r
        self.mission = mission
        self.evidence_figures = evidence_figures
        self.exempt = exempt  # the words the user wrote, when known (see rules/fluency.py)
        self.activity = _activity_span(r, mission)
        self.measurable = _measurable(r, mission)


def _activity_span(r: KeyResultReading, mission: Mission) -> g.Span | None:
    if mission == "discovery" and (r.research_lead or _bounded(r)):
        # Interviews, experiments, write-ups and decisions, with a date or a reach, are
        # the right key results for learning.
        return None
    activity = r.done if r.done is not None else r.deliverable
    if activity is not None and activity[1] < r.measure_verb:
        # "Hosting costs fall from …", "Donations completed by keyboard users rise from
        # …": the work word names the metric, and the measure moves.
        return None
    return activity


def _bounded(r: KeyResultReading) -> bool:
    """A piece of work with a date, a figure or a reach ("every pharmacy interviewed")."""
    return r.m.deadline_span is not None or r.m.has_figure or r.reach


def _measurable(r: KeyResultReading, mission: Mission) -> bool:
    m = r.m
    if m.has_figure:
        return True
    if m.placeholders and (m.has_direction or m.has_metric):
        return True  # "… rises from a baseline to be measured to a target to be agreed"
    if m.holds_current_level:
        return True  # "Error rate stays at or below today's level": a guardrail on a known level
    if r.covers_all and r.measure_verb < 0 and r.deliverable is None and r.done is None and m.deadline_span is not None:
        return True  # "Every quarterly restore test succeeds through the year": all of them, by a date
    # A learning milestone or a piece of research with a date is checkable: "Decide go or
    # no-go by June", "Interview 15 practice managers by May".
    return mission == "discovery" and _bounded(r)


def figure_keys(a: Analysis, include: g.Mask | None = None) -> frozenset[str]:
    """Comparable forms of every figure in a text: "2,000" and "2k" → "2000"."""
    keys: set[str] = set()
    for i, (word, kind) in enumerate(zip(a.words, a.kinds)):
        if include is not None and not include[i]:
            continue
        key = _figure_key(word, kind)
        if key is not None:
            keys.add(key)
    return frozenset(keys)


_DIGITS: Final = re.compile(r"\d+(?:[.,]\d+)*(?:k|m|bn)?")


def evidence_figure_keys(text: str) -> frozenset[str]:
    """Every figure the user wrote, also inside other tokens: "6.0-breakit" gives 6.0 and
    6, "v2" gives 2, as well as the figures of the text's tokens."""
    keys = set(figure_keys(analyse(text)))
    lowered = text.lower()
    for fraction, percent in lx.FRACTION_PERCENTS.items():
        if fraction in lowered:
            keys.add(percent)  # "half of applicants give up" makes "from 50%" the user's figure
    for match in _DIGITS.finditer(lowered):
        value = number_value(match.group(0))
        if value is None:
            continue
        keys.add(f"{value:g}")
        keys.add(f"{int(value):d}")
    return frozenset(keys)


def _figure_key(word: str, kind: str) -> str | None:
    if kind == NUMBER:
        value = number_value(word)
        return word if value is None else f"{value:g}"
    if word in lx.NUMBER_WORDS:
        return f"{lx.NUMBER_WORDS[word]:g}"
    return None


# ------------------------------------------------------------------------------ checks


def _span(c: KeyResultContext, tokens: g.Span) -> tuple[int, int]:
    return c.r.a.span(*tokens)


def _words(c: KeyResultContext, span: tuple[int, int]) -> str:
    return c.r.a.text[span[0] : span[1]]


def check_activity(c: KeyResultContext) -> Hits:
    if c.activity is None:
        return NO_HITS
    span = _span(c, c.activity)
    return [(span, _words(c, span))]


def check_unmeasurable(c: KeyResultContext) -> Hits:
    if c.measurable:
        return NO_HITS
    a = c.r.a
    # A text that is only a label ("KR1: ") has no words after it to point at.
    return [((a.start(a.first), len(a.text)) if a.first < len(a.words) else None, None)]


def _judges_measure(c: KeyResultContext) -> bool:
    return c.activity is None and c.measurable


_MISSING: Final[Hits] = ((None, None),)  # a "missing" finding has no words to point at


def check_no_target(c: KeyResultContext) -> Hits:
    m = c.r.m
    if _judges_measure(c) and m.has_figure and not m.has_target and not m.placeholders:
        return _MISSING
    return NO_HITS


def check_no_baseline(c: KeyResultContext) -> Hits:
    m = c.r.m
    if _judges_measure(c) and c.mission == "delivery" and m.has_target and not m.has_baseline and not m.is_threshold:
        return _MISSING
    return NO_HITS


def check_no_deadline(c: KeyResultContext) -> Hits:
    if _judges_measure(c) and c.r.m.deadline_span is None:
        return _MISSING
    return NO_HITS


def check_compound(c: KeyResultContext) -> Hits:
    if c.r.compound is None:
        return NO_HITS
    return [(_span(c, (c.r.compound, c.r.compound)), None)]


def check_invented_baseline(c: KeyResultContext) -> Hits:
    if c.evidence_figures is None or not c.r.m.has_figure:
        return NO_HITS
    a, deadline = c.r.a, c.r.m.deadline
    hits = []
    for i, (word, kind) in enumerate(zip(a.words, a.kinds)):
        if deadline[i]:
            continue  # a deadline is a planning choice, not a measurement
        key = _figure_key(word, kind)
        if key is None or key == "0" or key in c.evidence_figures:
            continue
        if kind != NUMBER and (i == 0 or a.words[i - 1] not in lx.LEVEL_PREPOSITIONS):
            continue  # "contracts needing more than two rounds": a word defines the metric
        end = i + 1 if i + 1 < len(a.words) and a.words[i + 1] == "%" else i
        span = _span(c, (i, end))
        hits.append((span, _words(c, span)))
    return hits


def check_baseline_unknown(c: KeyResultContext) -> Hits:
    if not c.r.m.placeholders:
        return NO_HITS
    hits = []
    for tokens in c.r.m.placeholders:
        span = _span(c, tokens)
        hits.append((span, _words(c, span)))
    return hits


def check_fluency(c: KeyResultContext) -> Hits:
    return fluency_problems(c.r.fluency, c.r.a, c.exempt)


def check_language_unsupported(c: KeyResultContext) -> Hits:
    return unsupported_language(c.r.language)


KEY_RESULT_RULES: Final[tuple[Rule, ...]] = (
    Rule(
        code="kr_activity",
        applies_to="key_result",
        severity="error",
        message="This key result is a task or deliverable (“{detail}”), not a measured change.",
        suggestion=(
            "Measure what the work should change instead, e.g. “Online bookings grow from 15% "
            "to 60% of appointments” rather than “Launch online booking”."
        ),
        description=(
            "Led by a deliverable or task verb, even with a number (run 4 webinars, migrate 120 "
            "mailboxes, recruit three analysts), a nominalised one (launch of X), or phrased as done "
            "(X is implemented, … goes live, … enabled by default). A counted result after "
            "deliver/sign/generate (300 qualified leads a month) is not a task. Under a discovery "
            "objective, research tasks (interview, survey, test, prototype …) are allowed."
        ),
        example_fail=Example("Hold 6 customer roundtables"),
        example_pass=Example("Repeat purchases rise from 18% to 25% of orders by June"),
        check=check_activity,
        languages=JUDGED,
    ),
    Rule(
        code="kr_unmeasurable",
        applies_to="key_result",
        severity="error",
        message="This key result cannot be measured: it has no metric, number or threshold.",
        suggestion="Name the metric and the level it should reach, e.g. “Weekly active users grow from 800 to 1,200”.",
        description=(
            "No figure (digits, number word, halve/double, a leading all/every/no) and no explicit "
            "placeholder next to a named metric or direction. Under a discovery objective a "
            "learning milestone with a deadline (decide/confirm/reject … by June) also counts."
        ),
        example_fail=Example("Make onboarding smoother"),
        example_pass=Example("New starters complete onboarding in under 3 days"),
        check=check_unmeasurable,
        languages=JUDGED,
    ),
    Rule(
        code="kr_no_target",
        applies_to="key_result",
        severity="warning",
        message="The key result gives a starting figure but no target.",
        suggestion="Add the level to reach: “from 40% to 55%”, not only “from 40%”.",
        description="Every figure is a baseline (“from N”) and no target or placeholder follows.",
        example_fail=Example("Grow the share of repeat customers from 18%"),
        example_pass=Example("Grow the share of repeat customers from 18% to 25%"),
        check=check_no_target,
        languages=JUDGED,
    ),
    Rule(
        code="kr_no_baseline",
        applies_to="key_result",
        severity="warning",
        message="The key result gives a target but not where it starts, so the change is unclear.",
        suggestion=(
            "Add today's value (“from 40% to 55%”) or a relative change (“up 20%”), "
            "or write “from a baseline to be measured”."
        ),
        description=(
            "A target with no “from X”, no relative change (by 15%, up 20 %, halve, year on year) and "
            "not a standing threshold (under/above/at least/or above/zero …). Not applied to "
            "discovery objectives."
        ),
        example_fail=Example("Net promoter score reaches 45 by Q4"),
        example_pass=Example("Net promoter score rises from 31 to 45 by Q4"),
        check=check_no_baseline,
        languages=JUDGED,
    ),
    Rule(
        code="kr_no_deadline",
        applies_to="key_result",
        severity="info",
        message="The key result has no deadline or cadence.",
        suggestion="Say by when or how often: “by the end of Q3”, “every month”, “all quarter”.",
        description=(
            "No deadline or cadence: by/before/in/within + a date, month, quarter, year or year end; "
            "every/each/per/a + period; all quarter; Q1–Q4, H1/H2, a year."
        ),
        example_fail=Example("Average handling time falls from 9 to 6 minutes"),
        example_pass=Example("Average handling time falls from 9 to 6 minutes by the end of March"),
        check=check_no_deadline,
        languages=JUDGED,
    ),
    Rule(
        code="kr_compound",
        applies_to="key_result",
        severity="warning",
        message="This key result joins two measures; each should be its own key result.",
        suggestion="Split it into two key results so each can be tracked and scored.",
        description=(
            "“and” (or “;”, “plus”, “while”) joining two clauses that each carry a figure or direction; "
            "ranges like “between 5 and 10” do not count."
        ),
        example_fail=Example("Churn falls to 3% and NPS rises to 50 by Q3"),
        example_pass=Example("Churn falls from 5% to 3% by Q3"),
        check=check_compound,
    ),
    Rule(
        code="invented_baseline",
        applies_to="key_result",
        severity="error",
        message="“{detail}” does not appear in the request or context: the figure may be invented.",
        suggestion=(
            "Use only figures the team gave, or write “from a baseline to be measured to a target to be agreed”."
        ),
        description=(
            "Generated key results only (evidence given): a figure outside a deadline that appears "
            "nowhere in the request and context (zero is exempt)."
        ),
        example_fail=Example(
            "Search relevance complaints fall from 120 to 30 a month",
            evidence="Upgrade Elasticsearch; users complain search results are poor",
        ),
        example_pass=Example(
            "Search relevance complaints fall from 120 to 30 a month",
            evidence="Upgrade Elasticsearch; we get about 120 complaints a month and want 30",
        ),
        check=check_invented_baseline,
        languages=JUDGED,
        per_call=True,
    ),
    Rule(
        code="baseline_unknown",
        applies_to="key_result",
        severity="info",
        message="“{detail}” is a placeholder: measure it before the period starts.",
        suggestion="Agree who measures the baseline and when, and fill in the target once it is known.",
        description="An explicit placeholder for a figure: to be measured/agreed/confirmed, TBD, TBC, unknown, $N.",
        example_fail=Example("Failed logins fall from a baseline to be measured to a target to be agreed by Q3"),
        example_pass=Example("Failed logins fall from 400 to 100 a week by Q3"),
        check=check_baseline_unknown,
    ),
    Rule(
        code="kr_not_fluent",
        applies_to="key_result",
        severity="error",
        message="This key result is not well-formed text: {detail}.",
        suggestion="Rewrite it as one plain sentence: the metric, where it starts, where it should be, and by when.",
        description="As not_fluent, for a key result.",
        example_fail=Example("Checkouting time falls from 4 to 2 minutes by June"),
        example_pass=Example("Checkout time falls from 4 to 2 minutes by June"),
        check=check_fluency,
        languages=None,
        per_call=True,
    ),
    Rule(
        code="kr_language_unsupported",
        applies_to="key_result",
        severity="warning",
        message="The text is in {detail}, which the evaluators cannot judge yet: whether it is measurable is unknown.",
        suggestion="Judge it by hand, or write it in English, German, French or Spanish.",
        description="As language_unsupported, for a key result.",
        example_fail=Example("Klanttevredenheid stijgt van 7 naar 8 voor het einde van het jaar"),
        example_pass=Example("Customer satisfaction rises from 7 to 8 by the end of the year"),
        check=check_language_unsupported,
        languages=None,
        weight=0.0,
    ),
)
