"""Rules for one objective: is it an outcome, and is it worded as one?"""

from __future__ import annotations

from typing import Final

from mypy_extensions import mypyc_attr

from .. import features as ft
from .. import foreign
from .. import grammar as g
from .. import lexicon as lx
from ..language import ENGLISH, JUDGED_LANGUAGES, language_of, unsupported_language
from ..model import Mission
from ..text import NUMBER, WORD, Analysis, RecentCache, analyse
from ..words import word_classes
from .base import JUDGED, NO_HITS, Example, Hits, Judged, Rule
from .fluency import FluencyReading
from .fluency import problems as fluency_problems

MAX_OBJECTIVE_WORDS: Final = 20
_STORY_DETAIL: Final = "a user story asks for a feature"
_DEFECT_DETAIL: Final = "it reports a fault to fix; the outcome is people doing the thing without the fault"
_PROJECT_WORDS: Final = lx.ACTIVITY_NOUNS | frozenset(
    "project programme program roadmap phase milestone milestones plan".split()
)


@mypyc_attr(acyclic=True)  # cached; untracked by the garbage collector (see text.Analysis)
class ObjectiveReading:
    """What the objective rules need, read once per text."""

    __slots__ = (
        "a",
        "lead",
        "mission",
        "output",
        "output_detail",
        "solutions",
        "numbers",
        "content",
        "language",
        "fluency",
        "judged",
        "platitude",
    )

    def __init__(self, a: Analysis) -> None:
        self.a = a
        # The findings last built from this reading and the config they were built for
        # (its serial); see engine and KeyResultReading.
        self.judged: Judged | None = None
        language = language_of(a)
        self.language = language
        self.fluency = FluencyReading(a, language, objective=True)
        self.content = g.content_lemmas(a)
        self.platitude = False  # (read for other languages; English has check_vague)
        if language != ENGLISH:
            self._read_foreign(a, language)
            return
        self.lead = g.lead_index(a)
        deadlines, _ = g.deadline_mask(a)
        figures = g.figure_mask(a, deadlines, self.lead)
        self.mission: Mission = "discovery" if g.discovery_lead(a, self.lead) or g.research_question(a) else "delivery"
        self.output, self.output_detail = self._find_output(figures)
        self.solutions = _solution_spans(a, self.lead)
        self.numbers = _numbers(a, figures, self.solutions) if True in figures else ()

    def _read_foreign(self, a: Analysis, language: str) -> None:
        self.lead = a.first
        self.mission = "delivery"
        self.output, self.output_detail = None, None
        self.solutions = ()
        self.numbers = ()
        if language not in JUDGED_LANGUAGES:
            return  # judged by no rule that reads words: kind "unknown"
        base = foreign.lemmas(a, language)
        self.platitude = foreign.platitude(a, language, base)
        if self.platitude:
            return  # "Digitalisierung vorantreiben": no output, no outcome, nothing to check
        if foreign.discovery(a, language, base):
            self.mission = "discovery"
            return
        story = foreign.story_want(a, language)
        if story is not None:
            self.output, self.output_detail = story, _STORY_DETAIL
            return
        fault = foreign.defect(a, language, base)
        if fault is not None:
            self.output, self.output_detail = fault, _DEFECT_DETAIL
            return
        self.output = foreign.output_lead(a, language, base)
        self.numbers = tuple([i for i in a.number_at if i >= a.first])

    def _find_output(self, figures: g.Mask) -> tuple[g.Span | None, str | None]:
        a, lead = self.a, self.lead
        story = g.user_story_want(a)
        if story is not None:
            return story, _STORY_DETAIL
        if self.mission == "discovery":
            return None, None
        fault = g.defect_report(a, lead) or g.system_behaviour(a, lead)
        if fault is None:
            wanted = g.asks_for_a_thing(a)
            if wanted is not None:
                return wanted, "it asks for a thing to be made; the outcome is what it should change"
            speaker = g.first_person(a) or g.chat_marker(a)
            if speaker is not None:
                # "when i click save draft it logs me out???": someone reporting or asking
                return speaker, "it is a person's report or request; the outcome is what should change for them"
        if fault is not None:
            return fault, _DEFECT_DETAIL
        wanted = g.requirement(a)
        if wanted is not None:
            return wanted, "it states a requirement for a feature"
        verb = g.deliverable_lead(a, lead, has_figure=True in figures)
        if verb is not None:
            return verb, None
        noun = g.activity_noun_lead(a, lead)
        if noun is not None:
            return noun, None
        done = g.done_phrase(a, lead, figures) or g.approval_goal(a, lead)
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
        instruction = g.instruction_lead(a, lead)
        if instruction is not None:
            return instruction, "it asks for work to be done, not for the difference it should make"
        means = g.prescribed_solution(a, lead)
        if means is not None:
            # "Strengthen security by rolling out hardware keys": the change, with its
            # deliverable already chosen.
            return means, "it prescribes the deliverable; name the change and leave the means to the team"
        named = g.bare_thing(a)
        if named is not None:
            return named, "it names a thing to make, not the difference it should make"
        last = _last_word(a)
        if 0 <= last - lead < 3 and words[last] in lx.ACTIVITY_NOUNS:
            return (lead, last), None  # "ERP replacement", "Kubernetes upgrade"
        if lemmas[lead] in lx.SCHEDULE_VERBS and words[lead] == lemmas[lead]:
            for k in range(lead + 1, min(lead + 6, len(words))):
                if words[k] in lx.SCHEDULE_NOUNS:
                    return (lead, k), None  # "Hit every milestone on the delivery plan"
        for i in range(lead + 1, len(words) - 1):
            if (
                words[i] == "on"
                and words[i + 1] in lx.ON_TIME_WORDS
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
    return tuple(
        [
            i
            for i in range(len(figures))
            if figures[i] and i not in in_solution and (a.kinds[i] == NUMBER or a.words[i] in lx.NUMBER_WORDS)
        ]
    )


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
    """ "discovery" for learning objectives ("Explore …", "Find out whether …"), else "delivery"."""
    return read_objective(text).mission


# ------------------------------------------------------------------------------ checks


def _span(r: ObjectiveReading, tokens: g.Span) -> tuple[int, int]:
    return r.a.span(*tokens)


def reports_fault(text: str) -> bool:
    """Whether ``text`` reports a fault ("Reset emails arrive 20 minutes late", "Bug: login
    fails on Safari"): the outcome is people doing the thing without it."""
    return read_objective(text).output_detail == _DEFECT_DETAIL


def check_output_verb(r: ObjectiveReading) -> Hits:
    if r.output is None:
        return NO_HITS
    span = _span(r, r.output)
    return [(span, r.output_detail or f"“{r.a.text[span[0] : span[1]]}” names a deliverable")]


def check_solution_named(r: ObjectiveReading) -> Hits:
    if not r.solutions:
        return NO_HITS
    hits = []
    for tokens in r.solutions:
        span = _span(r, tokens)
        hits.append((span, r.a.text[span[0] : span[1]]))
    return hits


def check_number_in_objective(r: ObjectiveReading) -> Hits:
    if not r.numbers:
        return NO_HITS
    first = r.numbers[0]
    end = first + 1 if first + 1 < len(r.a.words) and r.a.words[first + 1] == "%" else first
    span = _span(r, (first, end))
    return [(span, r.a.text[span[0] : span[1]])]


def check_too_long(r: ObjectiveReading) -> Hits:
    if r.a.word_count <= MAX_OBJECTIVE_WORDS:
        return NO_HITS
    return [((0, len(r.a.text)), str(r.a.word_count))]


def check_business_as_usual(r: ObjectiveReading) -> Hits:
    a, lead = r.a, r.lead
    if lead < len(a.words) and a.lemmas[lead] in lx.BUSINESS_AS_USUAL_VERBS and a.kinds[lead] == WORD:
        span = _span(r, (lead, lead))
        return [(span, a.text[span[0] : span[1]])]
    return NO_HITS


#: Lead words that, with nothing specific after them, promise nothing in particular.
_VAGUE_LEADS: Final = lx.IMPROVEMENT_VERBS | frozenset(
    "be become get do make drive unlock achieve deliver leverage create maximise maximize take go reach".split()
)


def check_vague(r: ObjectiveReading) -> Hits:
    """Every meaningful word is a platitude: "Improve things", "Make the product better for
    users", "Drive excellence across the board", "World class everything"."""
    if r.language != ENGLISH:
        return [((r.a.start(r.a.first), len(r.a.text)), None)] if r.platitude else NO_HITS
    a = r.a
    seen = False
    for i in a.meaningful:
        if i < a.first:
            continue
        seen = True
        word, base = a.words[i], a.lemmas[i]
        if not (
            word in lx.VAGUE_WORDS
            or word in lx.GENERIC_WORDS
            or base in lx.GENERIC_WORDS
            or base in _VAGUE_LEADS
            or word in lx.PERIOD_WORDS
        ):
            return NO_HITS
    if not seen or a.number_at:
        return NO_HITS
    return [((a.start(a.first), len(a.text)), None)]


def check_language_unsupported(r: ObjectiveReading) -> Hits:
    return unsupported_language(r.language)


@mypyc_attr(acyclic=True)
class ObjectiveCall:
    """One objective as judged in one call: its reading, the request it was written for
    (when known, read as an objective) and the words the user wrote (request and context),
    which the dictionary need not know."""

    __slots__ = ("r", "request", "exempt")

    def __init__(self, r: ObjectiveReading, request: ObjectiveReading | None, exempt: frozenset[str] | None) -> None:
        self.r = r
        self.request = request
        self.exempt = exempt


def check_fluency(c: ObjectiveCall) -> Hits:
    hits = fluency_problems(c.r.fluency, c.r.a, c.exempt)
    request = c.request
    if request is not None and request.language != c.r.language and c.r.language not in JUDGED_LANGUAGES:
        # Written for an English (or German …) request, in a language no one asked for.
        names = lx.LANGUAGE_NAMES
        detail = (
            f"it is in {names.get(c.r.language, c.r.language)}, "
            f"the request in {names.get(request.language, request.language)}"
        )
        return [*hits, ((0, len(c.r.a.text)), detail)]
    return hits


ECHO_RUN: Final = 4


def check_echo(c: ObjectiveCall) -> Hits:
    """Four or more words in a row from an output-style request: the request pasted into
    a frame ("Make the Send a weekly newsletter to users effortless for users")."""
    request = c.request
    if request is None or request.output is None or c.r.mission == "discovery":
        return NO_HITS  # a learning objective asks the request's own question: "Learn whether …"
    a, b = c.r.a, request.a
    if len(a.words) < ECHO_RUN or len(b.words) < ECHO_RUN:
        return NO_HITS
    theirs = _word_positions(b)
    if request.output_detail == _STORY_DETAIL:
        theirs = _story_output_words(b, request.output, theirs)
    grams = {tuple([b.words[k] for k in theirs[j : j + ECHO_RUN]]) for j in range(len(theirs) - ECHO_RUN + 1)}
    ours = _word_positions(a)
    best: tuple[int, int] | None = None
    j = 0
    while j <= len(ours) - ECHO_RUN:
        gram = tuple([a.words[k] for k in ours[j : j + ECHO_RUN]])
        if (
            gram in grams
            and sum(1 for k in ours[j : j + ECHO_RUN] if a.kinds[k] != WORD or a.words[k] not in lx.STOPWORDS) >= 2
        ):
            end = j + ECHO_RUN
            while end < len(ours) and tuple([a.words[k] for k in ours[end - ECHO_RUN + 1 : end + 1]]) in grams:
                end += 1
            if best is None or end - j > best[1] - best[0]:
                best = (j, end)
            j = end
        else:
            j += 1
    if best is None:
        return NO_HITS
    span = a.span(ours[best[0]], ours[best[1] - 1])
    return [(span, a.text[span[0] : span[1]])]


def _story_output_words(b: Analysis, want: g.Span, positions: list[int]) -> list[int]:
    """The words of a user story an objective must not repeat: its want, when the want asks
    for something to be made ("I want to add campers"). The "so that" clause is the outcome
    and a want that is already an ability ("I want to see which forms I have submitted")
    is one too, so repeating either, pronouns resolved, is the rewrite, not an echo."""
    words, n = b.words, len(b.words)
    start = want[1] + 1
    while start < n and words[start] in _STORY_WANT_LEAD:
        start += 1
    end = next(
        (
            k
            for k in range(start, n)
            if words[k] in ("so", "because") or (words[k] == "in" and k + 2 < n and words[k + 1] == "order")
        ),
        n,
    )
    if (
        start < n
        and b.kinds[start] == WORD
        and b.lemmas[start] not in lx.OUTPUT_VERBS
        and "VERB" in word_classes(b.lemmas[start])
    ):
        return []
    return [k for k in positions if start <= k < end]


#: Words between a story's "I want" and its verb: "to be able to", "would like to have".
_STORY_WANT_LEAD: Final = frozenset("want wants like to be able have would".split())


def _word_positions(a: Analysis) -> list[int]:
    return [i for i in range(a.first, len(a.words)) if a.kinds[i] == WORD or a.kinds[i] == NUMBER]


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
        languages=JUDGED,
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
        languages=JUDGED,
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
        severity="error",
        message="The objective says neither who benefits nor what change anyone could observe.",
        suggestion=(
            "Name the people and the experience or measure that should change, "
            "e.g. “Shoppers on phones finish checkout without help”."
        ),
        description=(
            "Every meaningful word is a platitude: improvement or empty verbs (improve, make, drive, "
            "be …), vague words (things, everything, better, world class) and generic nouns "
            "(product, users, customers, experience, excellence, quality, growth): “Improve "
            "things”, “Make the product better for users”, “Drive excellence across the board”."
        ),
        example_fail=Example("Make the product better for users"),
        example_pass=Example("Optimise delivery routes for drivers in rural areas"),
        check=check_vague,
        languages=JUDGED,  # German, French and Spanish by their own platitude lists
    ),
    Rule(
        code="not_fluent",
        applies_to="objective",
        severity="error",
        message="This objective is not well-formed text: {detail}.",
        suggestion="Rewrite it as one plain sentence about the change, in the words a person would use.",
        description=(
            "Words that are no words (not in wordfreq's English list and not written by the user; "
            "without the user's words, only made-up inflections such as “checkouting”), a doubled "
            "word or two determiners (“the the”, “a the”), a two-word phrase said twice, a clause "
            "pasted into a frame (“the Increase NPS …”, “can … don't”), foreign words inside "
            "English, control or invisible characters, no letters at all, or a question."
        ),
        example_fail=Example("Make the Improve things effortless for users"),
        example_pass=Example("Make ordering repeat prescriptions effortless for patients"),
        check=check_fluency,
        languages=None,
        per_call=True,
    ),
    Rule(
        code="echoes_request",
        applies_to="objective",
        severity="error",
        message="The objective repeats the request (“{detail}”) instead of saying what it should change.",
        suggestion="Ask why the request matters and name that difference; do not reuse the request's words.",
        description=(
            f"With the original request given and judged an output: a run of {ECHO_RUN} or more words "
            "of the request, at least two of them meaningful, repeated in the objective."
        ),
        example_fail=Example(
            "Make the send a weekly newsletter to users effortless",
            evidence="Send a weekly newsletter to users",
        ),
        example_pass=Example(
            "Subscribers keep up with what changed without logging in",
            evidence="Send a weekly newsletter to users",
        ),
        check=check_echo,
        languages=JUDGED,
        per_call=True,
    ),
    Rule(
        code="language_unsupported",
        applies_to="objective",
        severity="warning",
        message="The text is in {detail}, which the evaluators cannot judge yet: its kind is unknown.",
        suggestion="Judge it by hand, or write it in English, German, French or Spanish.",
        description=(
            "The detected language (lingua, on texts that do not read as English) is not English, "
            "German, French or Spanish. No other rule that reads words judges the text."
        ),
        example_fail=Example("Klanten vinden sneller een antwoord zonder te bellen"),
        example_pass=Example("Customers find an answer without calling us"),
        check=check_language_unsupported,
        languages=None,
        weight=0.0,
    ),
)
