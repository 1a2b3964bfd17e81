"""Rules for one objective: is it an outcome, and is it worded as one?"""

from __future__ import annotations

from typing import Final

from .. import features as ft
from .. import grammar as g
from .. import lexicon as lx
from ..model import Mission
from ..text import NUMBER, WORD, Analysis, RecentCache, analyse

try:
    from mypy_extensions import mypyc_attr
except ImportError:  # no mypy installed, so nothing is compiled and the marks change nothing
    from .._marks import mypyc_attr  # type: ignore[assignment]
from .base import NO_HITS, Example, Hits, Judged, Rule

MAX_OBJECTIVE_WORDS: Final = 20
_ON_TIME_WORDS: Final = frozenset("time budget schedule plan track".split())
# "Hit every milestone", "Meet the roadmap deadlines": delivering a schedule.
_SCHEDULE_VERBS: Final = frozenset("hit meet make achieve".split())
_SCHEDULE_NOUNS: Final = frozenset("milestone milestones deadline deadlines roadmap deliverables".split())
_PROJECT_WORDS: Final = lx.ACTIVITY_NOUNS | frozenset("project programme program roadmap phase milestone milestones plan".split())


@mypyc_attr(acyclic=True)  # cached; untracked by the garbage collector (see text.Analysis)
class ObjectiveReading:
    """What the objective rules need, read once per text."""

    __slots__ = (
        "a", "lead", "mission", "output", "output_detail", "solutions", "numbers", "content",
        "judged",
    )

    def __init__(self, a: Analysis) -> None:
        self.a = a
        self.lead = g.lead_index(a)
        deadlines, _ = g.deadline_mask(a)
        figures = g.figure_mask(a, deadlines, self.lead)
        self.mission: Mission = "discovery" if g.discovery_lead(a, self.lead) else "delivery"
        self.output, self.output_detail = self._find_output(figures)
        self.content = g.content_lemmas(a)
        # The findings last built from this reading and the config they were built for
        # (its serial); see engine and KeyResultReading.
        self.judged: Judged | None = None
        self.solutions = _solution_spans(a, self.lead)
        self.numbers = _numbers(a, figures, self.solutions) if True in figures else ()

    def _find_output(self, figures: g.Mask) -> tuple[g.Span | None, str | None]:
        a, lead = self.a, self.lead
        story = g.user_story_want(a)
        if story is not None:
            return story, "a user story asks for a feature"
        if self.mission == "discovery":
            return None, None
        verb = g.deliverable_lead(a, lead, has_figure=True in figures)
        if verb is not None:
            return verb, None
        noun = g.activity_noun_lead(a, lead)
        if noun is not None:
            return noun, None
        done = g.done_phrase(a, lead, figures)
        if done is not None:
            return done, None
        words, lemmas = a.words, a.lemmas
        if lead >= len(words):
            return None, None  # no words at all ("", "KR1:")
        thing = g.artefact_phrase(a, lead, as_object=False)
        if thing is not None:
            # "A new website for the garden centres": a thing, with no change named.
            return thing, "it names a thing to make, not the difference it should make"
        if words[lead] == "get" and lead + 1 < len(words):
            thing = g.artefact_phrase(a, lead + 1, as_object=True)
            if thing is not None:
                return (lead, thing[1]), None  # "Get the iOS app into the App Store"
            for k in range(lead + 1, min(lead + 9, len(words))):
                if words[k] in lx.APPROVAL_WORDS:
                    return (lead, k), None  # "Get the trial protocol approved", "Get EASA approval"
        means = g.prescribed_solution(a, lead)
        if means is not None:
            # "Strengthen security by rolling out hardware keys": the change, with its
            # deliverable already chosen.
            return means, "it prescribes the deliverable; name the change and leave the means to the team"
        last = _last_word(a)
        if 0 <= last - lead < 3 and words[last] in lx.ACTIVITY_NOUNS:
            return (lead, last), None  # "ERP replacement", "Kubernetes upgrade"
        if lemmas[lead] in _SCHEDULE_VERBS and words[lead] == lemmas[lead]:
            for k in range(lead + 1, min(lead + 6, len(words))):
                if words[k] in _SCHEDULE_NOUNS:
                    return (lead, k), None  # "Hit every milestone on the delivery plan"
        for i in range(lead + 1, len(words) - 1):
            if (
                words[i] == "on"
                and words[i + 1] in _ON_TIME_WORDS
                and any(words[k] in _PROJECT_WORDS for k in range(max(lead, i - 4), i))
            ):
                # "… migration project on time": delivering a plan. ("Suppliers are paid on
                # time" is a promise to people, so it needs a project word before it.)
                return (i, i + 1), None
        return None, None


def _last_word(a: Analysis) -> int:
    """Index of the last word token (before a closing full stop), or -1."""
    i = len(a.words) - 1
    while i >= 0 and a.kinds[i] != WORD:
        i -= 1
    return i


def _numbers(a: Analysis, figures: g.Mask, solutions: tuple[g.Span, ...]) -> tuple[int, ...]:
    """Figures (digits or number words) that are not part of a named solution."""
    in_solution = {k for s, e in solutions for k in range(s, e + 1)}
    return tuple([
        i for i in range(len(figures))
        if figures[i] and i not in in_solution and (a.kinds[i] == NUMBER or a.words[i] in lx.NUMBER_WORDS)
    ])


def _solution_spans(a: Analysis, lead: int) -> tuple[g.Span, ...]:
    """Named technologies, products and versions ("to Kubernetes", "Elasticsearch 8",
    "Microsoft 365", "Python 3.12", "v2")."""
    # Every span starts at a tech noun, a "v2", a word before a number or a capital after
    # the first letter: most objectives have none of these.
    if not a.flags & (ft.TECH | ft.VERSION) and not a.number_at and not a.may_have_capitals_after_first():
        return ()
    words, kinds, n = a.words, a.kinds, len(a.words)
    spans: list[g.Span] = []
    i = lead + 1
    while i < n:
        word = words[i]
        start = -1
        if kinds[i] == WORD:
            next_is_number = i + 1 < n and kinds[i + 1] == NUMBER
            if (
                (word in lx.TECH_NOUNS and word not in lx.TECH_NAMES_ALSO_WORDS)
                or (next_is_number and word in ("version", "release"))  # "version 8"
                or (word[0] == "v" and len(word) > 1 and word[1].isdigit())  # "v2"
            ):
                start = i
            elif (
                # The rest needs a capital ("to Kubernetes", "Teams", "Microsoft 365"), and
                # finding one needs character offsets: test everything else first.
                (
                    word in lx.TECH_NOUNS
                    or words[i - 1] in lx.SOLUTION_PREPOSITIONS
                    or (next_is_number and not g.is_year(a, i + 1))
                )
                and word not in lx.CALENDAR_WORDS
                and word != "i"
                and a.is_capitalised(i)
            ):
                start = i
        if start < 0:
            i += 1
            continue
        end = start
        while end + 1 < n and (
            (kinds[end + 1] == NUMBER and not g.is_year(a, end + 1))
            or (kinds[end + 1] == WORD and words[end + 1] not in lx.STOPWORDS and a.is_capitalised(end + 1))
        ):
            end += 1
        spans.append((start, end))
        i = end + 1
    return tuple(spans)


_readings: Final[RecentCache[str, ObjectiveReading]] = RecentCache(4096)


def _read(text: str) -> ObjectiveReading:
    return ObjectiveReading(analyse(text))


def read_objective(text: str) -> ObjectiveReading:
    return _readings.get_or_compute(text, _read)


def clear_cache() -> None:
    _readings.clear()



def detect_mission(text: str) -> Mission:
    """"discovery" for learning objectives ("Explore …", "Find out whether …"), else "delivery"."""
    return read_objective(text).mission


# ------------------------------------------------------------------------------ checks


def _span(r: ObjectiveReading, tokens: g.Span) -> tuple[int, int]:
    return r.a.span(*tokens)


def check_output_verb(r: ObjectiveReading) -> Hits:
    if r.output is None:
        return NO_HITS
    span = _span(r, r.output)
    return [(span, r.output_detail or f"“{r.a.text[span[0]:span[1]]}” names a deliverable")]


def check_solution_named(r: ObjectiveReading) -> Hits:
    if not r.solutions:
        return NO_HITS
    hits = []
    for tokens in r.solutions:
        span = _span(r, tokens)
        hits.append((span, r.a.text[span[0]:span[1]]))
    return hits


def check_number_in_objective(r: ObjectiveReading) -> Hits:
    if not r.numbers:
        return NO_HITS
    first = r.numbers[0]
    end = first + 1 if first + 1 < len(r.a.words) and r.a.words[first + 1] == "%" else first
    span = _span(r, (first, end))
    return [(span, r.a.text[span[0]:span[1]])]


def check_too_long(r: ObjectiveReading) -> Hits:
    if r.a.word_count <= MAX_OBJECTIVE_WORDS:
        return NO_HITS
    return [((0, len(r.a.text)), str(r.a.word_count))]


def check_business_as_usual(r: ObjectiveReading) -> Hits:
    a, lead = r.a, r.lead
    if lead < len(a.words) and a.lemmas[lead] in lx.BUSINESS_AS_USUAL_VERBS and a.kinds[lead] == WORD:
        span = _span(r, (lead, lead))
        return [(span, a.text[span[0]:span[1]])]
    return NO_HITS


_EMPTY_LEADS: Final = frozenset("be become get do".split())


def check_vague(r: ObjectiveReading) -> Hits:
    a, lead = r.a, r.lead
    if lead >= len(a.words):
        return NO_HITS
    base = a.lemmas[lead]
    if base not in lx.IMPROVEMENT_VERBS and base not in _EMPTY_LEADS:
        return NO_HITS
    for w, k in zip(a.words[lead + 1:], a.kinds[lead + 1:]):
        if k == WORD and w not in lx.VAGUE_WORDS and w not in lx.STOPWORDS:
            return NO_HITS
    return [((a.start(a.first), len(a.text)), None)]


# ------------------------------------------------------------------------------- rules

OBJECTIVE_RULES: Final[tuple[Rule, ...]] = (
    Rule(
        code="output_verb",
        applies_to="objective",
        severity="error",
        message="This objective is an output: {detail}.",
        suggestion=(
            "Ask why it is needed and name the change it should make for people or the "
            "organisation, e.g. “Staff rely on email without outages” instead of “Migrate email”."
        ),
        description=(
            "Led by a deliverable verb (build, create, implement, upgrade, migrate, launch, "
            "ship, set up, roll out …), also after a subject (“The team will roll out …”), or a "
            "disguised one (deliver the roadmap, finish/complete X, the launch of X, X is "
            "implemented, X goes live, hit every milestone, get the app into the store, … project "
            "on time); a thing named on its own (“A new website for …”); or a user story "
            "(“As a …, I want …”). A purpose clause does not rescue it."
        ),
        example_fail=Example("Roll out a new intranet to increase collaboration"),
        example_pass=Example("Colleagues find the answer they need without asking around"),
        check=check_output_verb,
    ),
    Rule(
        code="solution_named",
        applies_to="objective",
        severity="warning",
        message="The objective names a solution ({detail}) rather than the change it should bring.",
        suggestion="Leave the technology or product to the key results or the plan; say what it should change.",
        description=(
            "A named technology, product or version: a capitalised name after to/with/on/using/via, "
            "a name with a version number, a v-number, or a well-known tech noun (Kubernetes, Kafka …)."
        ),
        example_fail=Example("Move our services to Kubernetes"),
        example_pass=Example("Teams ship changes without waiting for infrastructure tickets"),
        check=check_solution_named,
    ),
    Rule(
        code="number_in_objective",
        applies_to="objective",
        severity="warning",
        message="The objective contains a number ({detail}); numbers belong in key results.",
        suggestion="Keep the objective qualitative and move the figure into a key result.",
        description=(
            "A figure (digits or a number word) outside a deadline; version numbers of a named "
            "product count as solution_named instead."
        ),
        example_fail=Example("Win 40 new schools as customers"),
        example_pass=Example("Schools choose us over paper-based planning"),
        check=check_number_in_objective,
    ),
    Rule(
        code="too_long",
        applies_to="objective",
        severity="info",
        message="The objective is long ({detail} words); a short one is easier to remember.",
        suggestion=f"Aim for {MAX_OBJECTIVE_WORDS} words or fewer; move detail into key results.",
        description=f"More than {MAX_OBJECTIVE_WORDS} words.",
        example_fail=Example(
            "Help every new member of the finance team feel confident with month end reporting "
            "processes and the tools we use so that they can work alone sooner"
        ),
        example_pass=Example("New finance starters close the month on their own sooner"),
        check=check_too_long,
    ),
    Rule(
        code="business_as_usual",
        applies_to="objective",
        severity="info",
        message="“{detail}” describes business as usual rather than a change.",
        suggestion="If nothing should change, it may not need an objective; otherwise say what should be different.",
        description="Led by maintain, continue, keep, sustain, preserve, uphold, carry on.",
        example_fail=Example("Continue to support the legacy billing platform"),
        example_pass=Example("Customers trust their bills without calling us"),
        check=check_business_as_usual,
    ),
    Rule(
        code="vague",
        applies_to="objective",
        severity="info",
        message="The objective does not say what should improve or for whom.",
        suggestion="Name the experience or measure that should change and who benefits.",
        description=(
            "An improvement verb (improve, enhance, optimise, boost …) or be/become/get/do with "
            "nothing specific after it (“Improve things”, “Be better”)."
        ),
        example_fail=Example("Optimise everything"),
        example_pass=Example("Optimise delivery routes for drivers in rural areas"),
        check=check_vague,
    ),
)
