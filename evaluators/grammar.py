"""Readings shared by several rules: where the lead verb is, whether it names a
deliverable, which tokens are figures, deadlines, baselines and placeholders.

Everything here works on an :class:`~evaluators.text.Analysis` (tokens already
lowercased and lemmatised) with set look-ups, and returns token indices; rules turn
them into character spans.
"""

from __future__ import annotations

from typing import Final

from mypy_extensions import mypyc_attr

from . import features as ft
from . import lexicon as lx
from .foreign import ForeignMeasures
from .text import (
    IRREGULAR_PARTICIPLES,
    NUMBER,
    PUNCT,
    SYMBOL,
    WORD,
    Analysis,
    is_participle,
    is_year,
    mark_span,
    token_info,
)
from .text import lemma as lemma_of
from .words import is_comparative, plural_noun, third_person_verb, word_classes

Span = tuple[int, int]  # token indices, both inclusive
Mask = tuple[bool, ...]  # one flag per token

_DEADLINE_CONNECTIVES: Final = (
    frozenset(
        """
    the end of this next each every calendar financial fiscal following last current same
    a an per all whole entire first second third fourth final its our their
    """.split()
    )
    | lx.PERIOD_WORDS
)


# ---------------------------------------------------------------------------- lead word


def lead_index(a: Analysis, *, skip_deadline_clause: bool = False) -> int:
    """Index of the first meaningful word: after "We will", "To", "Successfully" and,
    for key results, a leading "By the end of the quarter," clause."""
    words, n = a.words, len(a.words)
    i = a.first
    if skip_deadline_clause and i < n and words[i] in lx.CLAUSE_OPENERS:
        for j in range(i + 1, min(i + 12, n)):
            if words[j] == ",":
                i = j + 1
                break
    if i < n and words[i] in lx.SUBJECT_PRONOUNS:
        i += 1
        while i < n and words[i] in lx.INTENT_WORDS:
            i += 1
        if i < n and words[i] == "to":
            i += 1
    elif i < n and words[i] == "to" and i + 1 < n:
        i += 1
    else:
        i = _after_subject_and_modal(a, i)
    for _ in range(2):
        if (
            i + 1 < n
            and a.kinds[i + 1] == WORD
            and (
                words[i] in lx.ADVERB_FILLERS
                or (words[i].endswith("ly") and len(words[i]) > 4 and a.lemmas[i + 1] in lx.OUTPUT_VERBS)
            )
        ):
            i += 1
    return min(i, max(n - 1, 0))


def _after_subject_and_modal(a: Analysis, i: int) -> int:
    """Past "The HR team will", "Our council is going to": a short subject of plain words
    then a modal ("will", "must", "is going to", "plans to"). Otherwise ``i``."""
    if not a.flags & ft.MODAL:
        return i
    words, kinds, n = a.words, a.kinds, len(a.words)
    if i >= n or (words[i] == a.lemmas[i] and a.lemmas[i] in _LEAD_VERBS):
        return i  # "Test whether customers will pay": a verb leads, not a subject
    for m in range(i + 1, min(i + 5, n - 1)):
        word = words[m]
        before = words[m - 1]
        if (
            kinds[m - 1] != WORD
            or before in lx.SUBORDINATORS
            or before in lx.CONJUNCTION_WORDS
            or before in lx.QUESTION_WORDS
        ):
            return i  # not a plain subject
        if word in ft.SUBJECT_MODALS:
            j = m + 1
            if word in ("is", "are"):  # only "is going to", not "is reliable"
                if not (j + 1 < n and words[j] == "going" and words[j + 1] == "to"):
                    return i
                j += 2
            elif word not in lx.MODALS_WITHOUT_TO:
                if words[j] != "to":  # "plans to", "aims to"
                    return i
                j += 1
            if j < n and kinds[j] == WORD:
                return j
            return i
    return i


_LEAD_VERBS: Final = lx.OUTPUT_VERBS | lx.OUTCOME_VERBS | lx.DISCOVERY_VERBS


def is_question_follow(a: Analysis, i: int) -> bool:
    """Whether a question word follows token i ("test whether", "find out which")."""
    words = a.words
    for j in (i + 1, i + 2):
        if j < len(words) and words[j] in lx.QUESTION_WORDS and words[j] != "out":
            return True
    return False


def discovery_lead(a: Analysis, i: int) -> bool:
    """Whether token i opens a learning objective ("Explore …", "Test whether …")."""
    if i >= len(a.words) or a.kinds[i] != WORD:
        return False
    word, base = a.words[i], a.lemmas[i]
    if base not in lx.DISCOVERY_VERBS or not (word == base or word.endswith("ing")):
        return False
    if base in lx.DISCOVERY_VERBS_NEEDING_QUESTION:
        return is_question_follow(a, i)
    # "Understand …", "Explore …": but not a noun subject ("Research shows …").
    nxt = a.words[i + 1] if i + 1 < len(a.words) else ""
    return nxt not in lx.SUBJECT_FOLLOWERS


def comparative(word: str) -> bool:
    """Whether a word is a comparative ("faster", "easier", "better"); the dictionary is
    asked only about words that could be one."""
    return (word.endswith("er") or word in lx.IRREGULAR_COMPARATIVES) and is_comparative(word)


def _used_as_noun(a: Analysis, i: int) -> bool:
    """Whether a verb-looking first word is really a noun: "Build times halve",
    "Release cadence doubles", "Test coverage rises", "Builds are reliable". (Never a word
    with no noun reading: "Implement rate limiting" is an instruction.)"""
    word = a.words[i]
    return _reads_as_subject(a, i) and (word.endswith("ing") or "NOUN" in word_classes(word))


def _reads_as_subject(a: Analysis, i: int) -> bool:
    """The shape of a noun subject at i, whatever the word."""
    words, lemmas, n = a.words, a.lemmas, len(a.words)
    if i + 1 >= n:
        return False
    nxt = words[i + 1]
    if nxt in lx.SUBJECT_FOLLOWERS:
        return True
    if (
        i + 2 < n
        and nxt.endswith("s")
        and nxt != lemmas[i + 1]
        and a.kinds[i + 2] == WORD
        and words[i + 2] == lemmas[i + 2]
        and words[i + 2] not in lx.STOPWORDS
        and "VERB" in word_classes(words[i + 2])
        and "ADJ" not in word_classes(words[i + 2])
        and "ADV" not in word_classes(words[i + 2])
    ):
        return True  # "Trial users discover enough value": a plural subject, then its verb
    if lemmas[i + 1] in lx.METRIC_NOUNS:
        # "Release cadence doubles", "Test coverage at 80%" (not "Implement rate limiting"):
        # the measure named then moves, holds or has a figure.
        return any(
            lemmas[j] in lx.DIRECTION_VERBS
            or words[j] in lx.SUBJECT_FOLLOWERS
            or a.kinds[j] == NUMBER
            or words[j] in lx.LIMIT_WORDS
            or (j == i + 2 and lemmas[j] in lx.OUTCOME_VERBS)  # "Build times stop slowing us down"
            for j in range(i + 2, n)
        )
    if i + 2 < n and lemmas[i + 2] in lx.METRIC_NOUNS and nxt not in lx.DETERMINERS:
        # "Training completion rate rises" (a measure) vs "Build customer success team".
        return any(lemmas[j] in lx.DIRECTION_VERBS or words[j] in lx.SUBJECT_FOLLOWERS for j in range(i + 3, n))
    # "Inventory shrinkage under 1% of sales", "Release lead time falls to 2 days": a
    # compound noun, then a limit on a figure or a measure moving. (Not "Migrate 100% of
    # workloads", "Fix bugs within 2 days": a figure or determiner right after the verb,
    # or a plural object, reads as the task's object.)
    if (
        a.kinds[i + 1] == WORD
        and nxt not in lx.DETERMINERS
        and nxt not in lx.STOPWORDS
        and (not nxt.endswith("s") or words[i] in lx.ALSO_NOUNS)
    ):
        for j in range(i + 2, n - 1):
            if words[j] in lx.LIMIT_WORDS and (a.kinds[j + 1] == NUMBER or a.kinds[j + 1] == SYMBOL):
                return True
            if lemmas[j] in lx.DIRECTION_VERBS and words[j] != lemmas[j] and words[j].endswith("s"):
                return True
            if (
                lemmas[j] in lx.DIRECTION_VERBS
                and words[j] == lemmas[j]
                and nxt.endswith("s")
                and words[j + 1] == "from"
            ):
                return True  # "Trial accounts inviting a teammate rise from …"
    return False


def deliverable_lead(a: Analysis, i: int, *, has_figure: bool) -> Span | None:
    """Token span of a deliverable verb opening at i ("Build", "Set up", "Roll out"), or
    None when the word there leads a change ("Make search cheaper", "Enable caseworkers
    to decide", "Build trust", "Deliver 300 qualified leads a month")."""
    words, lemmas, n = a.words, a.lemmas, len(a.words)
    if i >= n or a.kinds[i] != WORD:
        return None
    word, base = words[i], lemmas[i]
    nxt = words[i + 1] if i + 1 < n else ""
    phrase = (base, nxt) in lx.OUTPUT_PHRASES
    if base not in lx.OUTPUT_VERBS and not phrase:
        return None
    if not (word == base or word.endswith("ing") or (word.startswith("re-") and word[3:] == base)):
        return None  # "Builds …", "Upgraded …": a subject, not an instruction
    if _used_as_noun(a, i):
        return None
    if (
        i > a.first
        and words[i - 1] in ("we", "they")
        and any(words[k] in lx.MORE_OR_LESS or (a.kinds[k] == WORD and comparative(words[k])) for k in range(i + 1, n))
    ):
        return None  # "We deliver the same work on less fuel": how things are, compared
    end = i + 1 if phrase else i
    if base == "make" and nxt not in ("a", "an", "new") and not _count_follows(a, i + 1):
        return None  # "Make search supportable": make + object + state is a change
    if base == "enable":
        for j in range(i + 2, min(i + 8, n - 1)):
            if words[j] == "to" and a.kinds[j + 1] == WORD:
                return None  # "Enable caseworkers to decide on the day"
    if base == "move" and nxt in lx.MOVE_WITHOUT_DESTINATION:
        return None
    if _abstract_object(a, end):
        return None  # "Build trust with partners": you cannot ship trust
    if base in lx.RESULT_VERBS and has_figure:
        head = _counted_head(a, end + 1)
        if head >= 0 and (lemmas[head] in lx.RESULT_NOUNS or words[head] in lx.RESULT_NOUNS):
            return None  # "Deliver 300 qualified leads a month": a result
    return (i, end)


def _abstract_object(a: Analysis, verb_end: int) -> bool:
    """Whether the verb ending at ``verb_end`` acts on something no team can ship: "Build
    trust with partners", "Meet the needs of carers"."""
    words, n = a.words, len(a.words)
    for j in range(verb_end + 1, min(verb_end + 4, n)):
        if a.lemmas[j] in lx.ABSTRACT_OUTCOME_NOUNS and (
            j + 1 >= n or words[j + 1] in lx.STOPWORDS or a.kinds[j + 1] == PUNCT or words[j + 1] in lx.AMONG
        ):
            return True
    return False


def _count_follows(a: Analysis, i: int) -> bool:
    """A count (not a share) at token i: "500 cold calls", not "90% of claims"."""
    n = len(a.words)
    if i >= n or not (a.kinds[i] == NUMBER or a.words[i] in lx.NUMBER_WORDS):
        return False
    return not (i + 1 < n and a.words[i + 1] in lx.SHARE_WORDS)


def _counted_head(a: Analysis, start: int) -> int:
    """The noun a figure after ``start`` counts: the last word of the phrase after the
    first figure ("300 qualified leads a month" → leads; "8 customer case study videos" →
    videos; "£2m of pipeline" → pipeline), or -1."""
    words, kinds, n = a.words, a.kinds, len(a.words)
    j = start
    while j < n and j < start + 4 and not (kinds[j] == NUMBER or words[j] in lx.NUMBER_WORDS):
        j += 1
    if j >= n or j >= start + 4:
        return -1
    head = -1
    j += 1
    while j < n and j < start + 10:
        word = words[j]
        if kinds[j] == WORD and word not in lx.STOPWORDS:
            head = j
        elif word == "of" and head < 0 or kinds[j] == SYMBOL or kinds[j] == NUMBER:
            pass  # "£2m of pipeline", "40 %": the counted noun comes later
        else:
            break
        j += 1
    return head


def artefact_phrase(a: Analysis, i: int, *, as_object: bool) -> Span | None:
    """A thing to make, from token i: "a new e-commerce website", "our booking app".
    Determiners first, then at most four plain words ending in an artefact noun (a
    website, app, portal, podcast …). Standing alone (``as_object`` False: "A new website
    for the garden centres") it must be "new" or indefinite and end the phrase; as the
    object of a verb ("Get our booking app listed") anything may follow."""
    words, kinds, n = a.words, a.kinds, len(a.words)
    j = i
    indefinite = j < n and words[j] in ("a", "an")
    while j < n and words[j] in lx.DETERMINERS and words[j] != "new":
        j += 1
    new = j < n and words[j] in ("new", "brand-new")
    # "A redesigned onboarding flow", "An upgraded data platform", "Enhanced fraud alerts
    # feature for …": whatever it is, a deliverable (or improvement) verb made it.
    remade = (
        (indefinite or j == a.first)
        and j < n
        and is_participle(words[j])
        and words[j] != a.lemmas[j]
        and (a.lemmas[j] in lx.OUTPUT_VERBS or (a.lemmas[j] in lx.IMPROVEMENT_VERBS and not indefinite))
    )
    if new or remade:
        j += 1
    if not as_object and not (new or remade or indefinite):
        return None
    for k in range(j, min(j + 5, n)):
        word = words[k]
        if kinds[k] != WORD or word in lx.STOPWORDS:
            return None
        after_a_noun = k + 1 >= n or kinds[k + 1] == PUNCT or words[k + 1] in lx.AFTER_A_THING
        if remade and not as_object and after_a_noun:
            return (i, k)
        if word in lx.ARTEFACT_NOUNS or a.lemmas[k] in lx.ARTEFACT_NOUNS:
            after = words[k + 1] if k + 1 < n else ""
            if as_object or not after or kinds[k + 1] == PUNCT or after in lx.AFTER_A_THING:
                return (i, k)
            return None  # "The new API is used by most partners": a subject, then its verb
    return None


def _leads_a_change(a: Analysis, i: int) -> bool:
    """Whether token i is an imperative change verb: "Reduce …", "Increase …", "Lower …"."""
    return (
        i < len(a.words)
        and a.words[i] == a.lemmas[i]
        and (a.lemmas[i] in lx.OUTCOME_VERBS or a.lemmas[i] in lx.DIRECTION_VERBS)
    )


def prescribed_solution(a: Analysis, lead: int) -> Span | None:
    """A change whose means are the deliverable: "Strengthen security by rolling out
    hardware keys", "Boost engagement with a redesigned newsletter". The change verb
    leads; "by" + a deliverable verb's "-ing", or "with"/"through"/"via" + a new or
    remade thing, says what will be produced."""
    words, lemmas, n = a.words, a.lemmas, len(a.words)
    # "Make onboarding faster by building …": make + object + state is a change too.
    if not _leads_a_change(a, lead) and not (
        words[lead] == "make" and lead + 1 < n and words[lead + 1] not in ("a", "an", "new")
    ):
        return None
    for j in range(lead + 2, n - 1):
        word = words[j]
        if word == "by":
            verb, base = words[j + 1], lemmas[j + 1]
            particle = words[j + 2] if j + 2 < n else ""
            phrase = (base, particle) in lx.OUTPUT_PHRASES
            if not verb.endswith("ing") or not (base in lx.OUTPUT_VERBS or phrase):
                continue
            if base in lx.RESEARCH_VERBS and base not in lx.BUILD_LIKE:
                continue  # "by testing …", "by interviewing …": learning, not producing
            obj = j + 3 if phrase else j + 2
            # It must have an object: "by rolling out hardware keys", not "by delivering
            # on time" (a way of working).
            if obj < n and (words[obj] in lx.DETERMINERS or (a.kinds[obj] == WORD and words[obj] not in lx.STOPWORDS)):
                return (j, obj - 1)
        elif word in ("with", "through", "via") and j + 2 < n:
            k = j + 1
            if words[k] in ("a", "an", "the", "our"):
                k += 1
            if k < n and (
                words[k] in ("new", "brand-new")
                or (is_participle(words[k]) and lemmas[k] in lx.OUTPUT_VERBS and words[k] != lemmas[k])
            ):
                return (j, k)
    return None


def _moves_later(a: Analysis, start: int) -> bool:
    """A finite verb of a measure after ``start``: "stays", "rises", "falls below"."""
    words, lemmas = a.words, a.lemmas
    for k in range(start, len(words)):
        word = words[k]
        if word in lx.HOLD_WORDS or (lemmas[k] in lx.DIRECTION_VERBS and word != lemmas[k] and word.endswith("s")):
            return True
    return False


def activity_noun_lead(a: Analysis, i: int) -> Span | None:
    """A nominalised deliverable near the start: "Launch of the app", "Successful
    migration of email", "The rollout of SSO"."""
    words, n = a.words, len(a.words)
    for j in range(i, min(i + 3, n - 1)):
        if words[j] in lx.ACTIVITY_NOUNS and words[j + 1] in ("of", "for", "to"):
            if j > i and _leads_a_change(a, i):
                return None  # "Increase adoption of search": the noun is what should change
            if _moves_later(a, j + 2):
                return None  # "On-time completion of jobs stays above 95%": a measure's name
            return (j, j)
        if a.kinds[j] != WORD or (j > i and words[j - 1] not in lx.DETERMINERS and j != i + 1):
            break
    return None


def done_phrase(a: Analysis, start: int, figure_mask: Mask) -> Span | None:
    """A deliverable reported as done: "RBAC is implemented", "… goes live", "… is in
    place", "… enabled by default", "Mailboxes migrated to the new server"."""
    if not a.has_ed and not a.flags & ft.DONE:
        return None
    words, lemmas, kinds, n = a.words, a.lemmas, a.kinds, len(a.words)
    # After an imperative change verb ("Lower energy use per unit produced"), a participle
    # after a noun describes that noun; the sentence already has its verb.
    changes = _leads_a_change(a, start)
    for j in range(start + 1, n):
        word = words[j]
        if word not in _DONE_SCAN_WORDS and not word.endswith("ed"):
            continue  # nothing below can start or stop a done phrase at this word
        prev = words[j - 1]
        if word in lx.SUBORDINATORS:
            return None
        if word == "live" and (lemmas[j - 1] in ("go", "be") or _names_a_thing(a, j - 1)):
            # "… goes live", "… is live", and "New homepage live by June": after a singular
            # noun, "live" cannot be the verb (that would be "lives").
            return (j - 1, j) if _nothing_measured_after(a, j, figure_mask) else None
        if word == "place" and prev == "in":
            # "Controls are in place", "Put a CRM in place": a deliverable, done.
            return (j - 1, j) if _nothing_measured_after(a, j, figure_mask) else None
        if kinds[j] != WORD:
            continue
        following = words[j + 1] if j + 1 < n else ""
        done_word = (
            word in lx.DONE_WORDS
            and following not in ("to", "for")
            and (
                # "The new wing is open by autumn", not "The library is open until 8pm".
                word not in lx.STATE_WORDS or not following or kinds[j + 1] == PUNCT or following in lx.WHEN_OR_WHERE
            )
        )
        participle = (
            is_participle(word)
            and lemmas[j] in lx.OUTPUT_VERBS
            and (
                word != lemmas[j]
                # "set up", "put in", "run out": participles spelt like the verb, shown by the particle
                or (word in IRREGULAR_PARTICIPLES and (lemmas[j], following) in lx.OUTPUT_PHRASES)
            )
        )
        if not (done_word or participle):
            continue
        if following in lx.HOW_IT_IS_DONE or words[j + 1 : j + 4] == ("on", "the", "first"):
            continue  # "repairs are done right the first time", "data is ready when people start"
        if any(comparative(words[k]) for k in range(j + 1, min(j + 3, n)) if kinds[k] == WORD):
            continue  # "People arriving are assessed much sooner": a change in how, not a delivery
        if any(words[k] in lx.NEGATING for k in range(max(start, j - 3), j)):
            continue  # "Households pay on time without being sent enforcement letters"
        if any(lemmas[k] == "get" and words[k + 1] in lx.POSSESSIVES for k in range(max(start, j - 5), j - 1)):
            continue  # "Homeowners get their panels fitted in one visit": a service to people
        aux = prev in lx.DONE_AUXILIARIES or (j >= 2 and words[j - 2] in lx.DONE_AUXILIARIES and prev.endswith("ly"))
        by_default = j + 2 < n and words[j + 1] == "by" and words[j + 2] == "default"
        after_noun = (
            participle
            and not changes
            and (word.endswith("ed") or (lemmas[j], following) in lx.OUTPUT_PHRASES)
            and kinds[j - 1] == WORD
            and prev not in lx.STOPWORDS
            and not is_participle(prev)
            and (
                j + 1 >= n
                or words[j + 1] in lx.STOPWORDS
                or kinds[j + 1] == PUNCT
                or words[j + 1] in ("across", "everywhere", "online", "company-wide", "off", "out", "up")
            )
        )
        if (aux or by_default or after_noun) and _nothing_measured_after(a, j, figure_mask):
            return ((j - 1) if aux else j, j)
    return None


# The words done_phrase acts on, besides "-ed" participles.
_DONE_SCAN_WORDS: Final = lx.SUBORDINATORS | {"live", "place"} | lx.DONE_WORDS | IRREGULAR_PARTICIPLES


def _nothing_measured_after(a: Analysis, j: int, figure_mask: Mask) -> bool:
    """A done-phrase followed by a measured change ("Features released each week rise
    from 2 to 5"), a share ("… to 90% of care homes") or a threshold ("… within 2 days")
    reports a measure, not a task. A plain count ("Training delivered to 300 residents")
    still counts what was handed over."""
    words, lemmas = a.words, a.lemmas
    for k in range(j + 1, len(words)):
        if lemmas[k] in lx.DIRECTION_VERBS and words[k] != lemmas[k]:
            return False
        if figure_mask[k] and _measures(a, k):
            return False
    return True


def _measures(a: Analysis, k: int) -> bool:
    """Whether the figure at k states a share or a threshold rather than a count."""
    words, n = a.words, len(a.words)
    if k + 1 < n and words[k + 1] in lx.SHARE_MARKS:
        return True
    if a.kinds[k] != NUMBER and a.words[k] not in lx.NUMBER_WORDS:
        return True  # "all", "none", "halve": not a count of things
    for m in range(max(0, k - 3), k):
        if words[m] in lx.LIMIT_WORDS:
            return True
    return False


def _names_a_thing(a: Analysis, i: int) -> bool:
    """Whether token i is a singular noun that "live" after it describes ("New homepage
    live"): a word, not a stopword, pronoun or plural. "now"/"fully" before "live" are
    skipped: "The portal now live"."""
    words = a.words
    if i > a.first and words[i] in ("now", "fully"):
        i -= 1
    word = words[i]
    return (
        a.kinds[i] == WORD
        and word not in lx.STOPWORDS
        and word not in lx.PLURALS_WITHOUT_S
        and not word.endswith("s")
        and word not in lx.AUXILIARY_LIKE
    )


def user_story_want(a: Analysis) -> Span | None:
    """The "I want" of a user story ("As a user, I want to export CSV so that …")."""
    words, n = a.words, len(a.words)
    i = a.first
    if i >= n or words[i] != "as":
        return None
    for j in range(i + 2, min(i + 30, n - 1)):
        if words[j] in ("i", "we") and words[j + 1] in (
            "want",
            "would",
            "need",
            "can",
            "should",
            "wish",
            "like",
            "don't",
            "do",
            "only",
            "must",
            "expect",
            "am",
            "'d",
            "i'd",
            "require",
            "prefer",
            "could",
            "may",
        ):
            return (j, j + 1)
        if words[j] in ("i'd", "we'd", "i'm"):
            return (j, j)
    return None


# ------------------------------------------------------------------ figures and deadlines


class _Unmarked(dict):
    """n → a tuple of n False: the mask of a text with nothing to mark, shared (tuples
    are immutable) so that most texts build no mask at all."""

    def __missing__(self, n: int) -> tuple[bool, ...]:
        mask = (False,) * n
        if n <= 512:
            self[n] = mask
        return mask


_UNMARKED: Final = _Unmarked()


def deadline_mask(a: Analysis) -> tuple[Mask, Span | None]:
    """Tokens that belong to a deadline or cadence ("by the end of the quarter", "every
    month", "in Q3", "a month") and the first such span."""
    words, kinds, n = a.words, a.kinds, len(a.words)
    first: Span | None = None
    # Deadlines end in a period word or a year; most texts have neither (their bits say
    # so) and skip the scan.
    candidates = list(a.period_at)
    if a.number_at:
        years = [j for j in a.number_at if len(words[j]) == 4 and words[j][:2] in ("19", "20")]
        if years:
            candidates = sorted(candidates + years)
    if not candidates:
        return _UNMARKED[n], None
    mask = [False] * n
    for j in candidates:
        word = words[j]
        year = kinds[j] == NUMBER
        opener = -1
        k = j - 1
        while k >= max(a.first, j - 6):
            w = words[k]
            if kinds[k] == NUMBER and not is_year(a, k):
                # "within 2 days", "in under 10 minutes": a threshold on the measure, not a
                # deadline; a deadline phrase never runs through a count.
                break
            if w in lx.DEADLINE_OPENERS and not (w in ("a", "an") and k != j - 1):
                opener = k
            elif w not in _DEADLINE_CONNECTIVES:
                break
            k -= 1
        if opener < 0 and (word in lx.STANDALONE_PERIODS or year or word == "year-end"):
            opener = j
        if opener < 0:
            continue
        mark_span(mask, opener, j)
        if first is None:
            first = (opener, j)
    return (tuple(mask) if first is not None else _UNMARKED[n]), first


def figure_mask(a: Analysis, deadlines: Mask, lead: int) -> Mask:
    """Tokens that state a quantity: numbers, number words, "halve"/"double", and a
    leading "All"/"Every"/"No" — outside deadlines."""
    words, n = a.words, len(a.words)
    mask = [False] * n
    marked = False
    first = a.first
    for i in a.number_at:
        # Not a list marker ("2. …", "KR3:") nor a reference ("#42", "issue #7").
        if not deadlines[i] and i >= first and (i == 0 or words[i - 1] != "#"):
            mask[i] = marked = True
    # Figure words are rare: only scan the words when the text has one.
    if a.flags & (ft.FIGURE_WORD | ft.MULTIPLIER):
        lemmas, kinds = a.lemmas, a.kinds
        for i in range(n):
            if kinds[i] == WORD and not deadlines[i]:
                word = words[i]
                if word in lx.NUMBER_WORDS or lemmas[i] in ft.MULTIPLIERS or word in ("none", "nobody"):
                    mask[i] = marked = True
    if lead < n and words[lead] in lx.QUANTIFIER_WORDS and a.kinds[lead] == WORD and not deadlines[lead]:
        mask[lead] = marked = True
    if a.flags & ft.CADENCE:  # "from weekly to daily": cadences as the values of a measure
        for i in range(1, n):
            if words[i] in lx.CADENCE_VALUES and words[i - 1] in ("from", "to") and not deadlines[i]:
                mask[i] = marked = True
    return tuple(mask) if marked else _UNMARKED[n]


def placeholders(a: Analysis) -> tuple[Span, ...]:
    """Explicit stand-ins for an unknown figure: "to be measured", "TBD", "$N",
    "baseline unknown"."""
    words, n = a.words, len(a.words)
    if not a.flags & ft.PLACEHOLDER:
        return ()
    found: list[Span] = []
    i = 0
    while i < n:
        word = words[i]
        if word == "to" and i + 2 < n and words[i + 1] == "be" and words[i + 2] in lx.PLACEHOLDER_PARTICIPLES:
            found.append((i, i + 2))
            i += 3
            continue
        if word in lx.PLACEHOLDER_WORDS:
            if word != "n" or _placeholder_n(a, i):
                found.append((i, i))
        elif (word == "baseline" or word == "target") and i + 1 < n and words[i + 1] in lx.PLACEHOLDER_PARTICIPLES:
            found.append((i, i + 1))  # "from a baseline measured in September", "a target agreed with …"
        i += 1
    return tuple(found)


def _placeholder_n(a: Analysis, i: int) -> bool:
    # "N" is a placeholder next to a currency, percent or comparison ("$N", "N%", "at least N").
    words = a.words
    prev = words[i - 1] if i else ""
    nxt = words[i + 1] if i + 1 < len(words) else ""
    return (
        prev in ("$", "£", "€", "least", "to", "of", "from", "reach", "≥", ">")
        or nxt == "%"
        or (i + 1 < len(words) and a.kinds[i + 1] == WORD and nxt not in lx.STOPWORDS)
    )


@mypyc_attr(acyclic=True)  # holds only tuples, bools and spans: never in a cycle
class Measures:
    """How a key result states its change: figures, baseline, target, threshold."""

    __slots__ = (
        "figures",
        "deadline",
        "deadline_span",
        "placeholders",
        "has_figure",
        "has_baseline",
        "has_target",
        "is_threshold",
        "has_direction",
        "has_metric",
        "holds_current_level",
    )

    def __init__(self, a: Analysis, lead: int, foreign: ForeignMeasures | None = None) -> None:
        if foreign is not None:  # German, French, Spanish: read by evaluators/foreign.py
            self.deadline, self.deadline_span = foreign.deadline, foreign.deadline_span
            self.figures = foreign.figures
            self.placeholders: tuple[Span, ...] = ()
            self.has_figure, self.has_baseline = foreign.has_figure, foreign.has_baseline
            self.has_target, self.is_threshold = foreign.has_target, foreign.is_threshold
            self.has_direction, self.has_metric = False, foreign.has_figure
            self.holds_current_level = False
            return
        words, lemmas, kinds, n = a.words, a.lemmas, a.kinds, len(a.words)
        self.deadline, self.deadline_span = deadline_mask(a)
        figures = figure_mask(a, self.deadline, lead)
        self.figures = figures
        found_placeholders = placeholders(a)
        self.placeholders = found_placeholders
        figure_at = [i for i in range(n) if figures[i]] if True in figures else []
        self.has_figure = bool(figure_at)
        placeholder_at = (
            {k for start, end in found_placeholders for k in range(start, end + 1)} if found_placeholders else ()
        )

        # Baseline: "from 40%", "from a baseline to be measured", or a relative change.
        baseline_tokens: set[int] = set()
        flags = a.flags
        has_baseline = flags & (ft.MULTIPLIER | ft.YOY) != 0
        if flags & ft.BASELINE_TRIGGER:
            for i, word in enumerate(words):
                if word not in ft.BASELINE_TRIGGERS:
                    continue  # every branch below starts from a trigger word
                if word == "from" or word in ft.BASELINE_WORDS:
                    for k in range(i + 1, min(i + 4, n)):
                        if figures[k] or k in placeholder_at or (word == "from" and words[k] in ft.BASELINE_WORDS):
                            has_baseline = True
                            if word == "from":
                                baseline_tokens.add(k)
                            break
                elif word in ("by", "up", "down") and i + 1 < n and figures[i + 1]:
                    if word != "by" or (i + 2 < n and words[i + 2] in ft.PERCENT_WORDS):
                        has_baseline = True  # "by 15%", "up 20 %"
                elif word == "year" and i + 2 < n and words[i + 1] in ("on", "over") and words[i + 2] == "year":
                    has_baseline = True
                elif word in ft.PERCENT_WORDS and i + 1 < n and words[i + 1] in lx.MORE_OR_LESS:
                    has_baseline = True  # "20% more time"
        if not has_baseline:
            for i in figure_at:
                if kinds[i] == NUMBER and words[i].endswith("x"):  # "2x", "10x"
                    has_baseline = True
                    break
        self.has_baseline = has_baseline

        has_target = False
        for start, _ in found_placeholders:
            if "from" not in words[max(0, start - 3) : start]:
                has_target = True
                break
        if not has_target:
            for i in figure_at:
                if i not in baseline_tokens:
                    has_target = True
                    break
        self.has_target = has_target

        # Threshold: a level to hold ("under 800 ms", "99.95% or above", "zero", "every").
        threshold = False
        if flags & ft.THRESHOLD:
            deadline = self.deadline
            threshold_words = lx.THRESHOLD_WORDS
            for i in figure_at:
                if words[i] in ("zero", "none", "nobody") or (i == lead and words[i] in lx.QUANTIFIER_WORDS):
                    threshold = True
                    break
                for k in range(max(0, i - 3), i):
                    if words[k] in threshold_words and not deadline[k]:
                        threshold = True
                        break
                if threshold:
                    break
        if not threshold and "or" in words:
            for i in range(n - 1):
                if words[i] == "or" and words[i + 1] in lx.AFTER_OR_THRESHOLD:
                    threshold = True
                    break
        self.holds_current_level = _holds_current_level(a)
        if self.holds_current_level:
            threshold = True
        self.is_threshold = threshold
        self.has_direction = flags & ft.DIRECTION != 0 or (lead < n and lemmas[lead] in lx.OUTCOME_VERBS)
        self.has_metric = self.has_figure or flags & ft.METRIC != 0


def compound_joint(a: Analysis, figures: Mask) -> int | None:
    """Index of an "and" joining two measured clauses ("NPS reaches 50 and churn falls
    to 3%"), or None. Ranges ("between 5 and 10") are not compounds."""
    words, lemmas, kinds, n = a.words, a.lemmas, a.kinds, len(a.words)
    if not a.flags & ft.CONJUNCTION or True not in figures:
        return None
    joints = [i for i in range(n) if words[i] in ft.CONJUNCTIONS]
    directions = lx.DIRECTION_VERBS
    for position in range(len(joints)):
        joint = joints[position]
        left_start = joints[position - 1] + 1 if position > 0 else 0
        right_stop = joints[position + 1] if position + 1 < len(joints) else n
        if left_start >= joint or joint + 1 >= right_stop:
            continue  # a clause is empty
        if figures[joint - 1] and figures[joint + 1]:
            continue  # "between 5 and 10", "3 and 4 star reviews"
        if True not in figures[left_start:joint]:
            continue  # the left clause is not measured
        if True not in figures[joint + 1 : right_stop]:
            measured = False
            for i in range(joint + 1, right_stop):
                if lemmas[i] in directions:
                    measured = True
                    break
            if not measured:
                continue  # nor is the right one
        for i in range(joint + 1, right_stop):
            if kinds[i] == WORD and words[i] not in lx.STOPWORDS and words[i] not in lx.PERIOD_WORDS:
                return joint  # and it has words of its own
    return None


def content_lemmas(a: Analysis) -> tuple[str, ...]:
    """The distinct meaningful words of a text, in order, for comparing two texts.
    Figures are left out: two key results on the same metric with different targets are
    still duplicates. A tuple, not a set: readings are cached, and the garbage collector
    stops tracking a tuple of strings but scans every set at each collection."""
    lemmas, first = a.lemmas, a.first
    content: list[str] = []
    for i in a.meaningful:
        if i < first:
            continue
        lemma = lemmas[i]
        for seen in content:
            if seen is lemma:  # lemmas are interned (text.Token): `is` is `==` here
                break
        else:
            content.append(lemma)
    return tuple(content)


__all__ = [
    "Measures",
    "Span",
    "activity_noun_lead",
    "compound_joint",
    "content_lemmas",
    "artefact_phrase",
    "deadline_mask",
    "deliverable_lead",
    "discovery_lead",
    "done_phrase",
    "figure_mask",
    "prescribed_solution",
    "asks_for_a_thing",
    "chat_marker",
    "instruction_lead",
    "system_behaviour",
    "lead_index",
    "measure_verb",
    "research_question",
    "placeholders",
    "user_story_want",
]


# ----------------------------------------------------------------------------- defects


_ARRIVAL_STEMS: Final = ("arriv", "load", "come", "came", "run", "respond", "show", "deliver", "sent", "open")


def defect_report(a: Analysis, lead: int) -> Span | None:
    """A bug report or a symptom: "Fix the checkout", "Checkout button does nothing on
    Safari 17", "Cannot delete data with a non admin role", "Export times out", "NPE when
    saving", "reset emails arrive 20 minutes late". Not when the text asks for the fault
    to go ("Fewer payments fail", "Customers pay without errors"): that is the outcome."""
    words, lemmas, kinds, n = a.words, a.lemmas, a.kinds, len(a.words)
    if lead >= n:
        return None
    if lemmas[lead] in lx.FIX_VERBS and words[lead] == lemmas[lead]:
        return (lead, lead)
    named = _fault_named(a)
    if named is not None:
        return named
    for i in range(0, a.first):
        if words[i] in lx.DEFECT_WORDS:
            return (i, i)  # "Timezone bug: appointments show up on the next day"
    found: Span | None = None
    in_condition = False
    for i in range(a.first, n):
        if kinds[i] != WORD and kinds[i] != NUMBER:
            continue
        word = words[i]
        if lemmas[i] in lx.FIX_VERBS and i > lead and words[i] == lemmas[i]:
            return None  # "Households find and fix leaks": people fixing, the change wanted
        if (
            (word in lx.FAULT_REMEDIES and not (word == "no" and i > a.first))
            or (i == lead and lemmas[i] in lx.OUTCOME_VERBS and words[i] == lemmas[i])
            or ((word == "nothing" or word == "no") and i == a.first)  # "Nothing gets lost", "No student misses …"
        ):
            return None
        if found is not None:
            continue
        if word in lx.CONDITION_OPENERS and i > a.first:
            in_condition = True  # "… the moment they get stuck": the situation, not a fault report
        elif word in lx.DEFECT_WORDS and kinds[i] == WORD:
            if not in_condition:
                found = (i, i)
        elif word in lx.SYMPTOM_VERBS or (word in lx.SYSTEM_SYMPTOM_VERBS and i > a.first):
            found = (i, i)  # "Map pins vanish", "Checkout rejects valid Eircodes"
        elif word in lx.SYMPTOM_QUALIFIERS and i > a.first and i + 1 < n and _qualifies_a_fault(a, i):
            found = (i, i + 1)  # "shows Sunday twice", "still show last month's code"
        elif (
            word.startswith("mis")
            and len(word) > 6
            and i > a.first
            and token_info(word).zipf < 3.5
            and "VERB" in word_classes(lemma_of(word[3:]))
        ):
            found = (i, i)  # "Scanner misreads barcodes", "miscalculates the VAT"
        elif lemmas[i] == "cut" and i > a.first and i + 1 < n and words[i + 1] == "off":
            found = (i, i + 1)  # "The label printer cuts off the dosage line"
        elif lemmas[i] == "take" and i > a.first and _takes_a_while(a, i):
            found = (i, i + 3)  # "Reset emails take twenty minutes to arrive"
        elif word in ("problem", "problems", "issue", "issues") and i + 1 < n and words[i + 1] == "with":
            found = (i, i + 1)  # "Performance problem with the coverage recorder"
        elif len(word) > 9 and word.endswith(("exception", "error")):
            found = (i, i)  # "StringIndexOutOfBoundsException in …"
        elif word == "race" and i + 1 < n and words[i + 1] == "condition":
            found = (i, i + 1)
        elif word in lx.BROKEN_PASSIVES and i > a.first and words[i - 1] in lx.PASSIVE_AUXILIARIES:
            found = (i - 1, i)  # "Rejected jobs are dropped", "users get logged out"
        elif word in ("doesn't", "don't", "didn't", "won't", "wouldn't") or (
            word in ("does", "do", "did") and i + 1 < n and words[i + 1] == "not"
        ):
            if i > a.first and words[i - 1] in lx.RELATIVE_WORDS:
                continue  # "hand back what doesn't fit": a description, not a fault
            k = i + 2 if words[i + 1 : i + 2] == ("not",) else i + 1
            while k < n and (words[k] in ("always", "ever", "really") or words[k].endswith("ly")):
                k += 1  # "does not always produce"
            if (
                k < n
                and kinds[k] == WORD
                and lemmas[k] not in lx.NEGATED_OUTCOME_VERBS
                and words[k] not in lx.NEGATED_OUTCOME_VERBS
            ):
                found = (i, k)  # "URL doesn't select the issue", "does not always produce"
        elif word in lx.FAULT_VERBS:
            found = (i, i)
        elif word in lx.NEGATED_FAULTS:
            verbs = lx.NEVER_BROKEN if word == "never" else lx.BROKEN_FEATURE_VERBS
            for k in range(i + 1, min(i + 4, n)):
                stem = words[k].removesuffix("ing").removesuffix("ed")
                if (
                    lemmas[k] in verbs
                    or words[k] in verbs
                    or stem in verbs
                    or words[k] in lx.BROKEN_PASSIVES
                    # headline style, no auxiliary: "Push notifications not delivered on Huawei"
                    or (
                        word == "not"
                        and k == i + 1
                        and words[k].endswith("ed")
                        and words[i - 1] not in lx.PASSIVE_AUXILIARIES
                    )
                ):
                    found = (i, k)
                    break
            if found is None and word == "never":
                return None  # "Customers never see an error page": the outcome wanted
            if found is None:
                found = _more_symptoms(a, i)  # "Menus aren't visible"
            if found is None and word in ("cannot", "can't", "cant", "unable") and i <= lead + 3:
                found = (i, i)  # "Cannot delete data with a non admin role"
        elif lemmas[i] in lx.SHOWS_NOTHING and i > a.first and i + 1 < n and words[i + 1] in ("nothing", "blank"):
            found = (i, i + 1)  # "Checkout button does nothing", "Search returns nothing"
        elif word == "times" and i + 1 < n and words[i + 1] == "out" and i > a.first:
            found = (i, i + 1)
        elif word == "timed" and i + 1 < n and words[i + 1] == "out":
            found = (i, i + 1)
        elif word in lx.LATE_WORDS and i > a.first:
            for k in range(max(a.first, i - 4), i):
                if words[k].startswith(_ARRIVAL_STEMS):
                    found = (k, i)  # "emails arrive 20 minutes late", "pages load slowly"
                    break
        elif word == "no" and i + 1 < n and words[i + 1] in ("results", "data", "response", "email", "emails"):
            if i > a.first and lemmas[i - 1] in ("return", "show", "get", "give", "display", "find"):
                found = (i - 1, i + 1)
        else:
            found = _more_symptoms(a, i)
    return found


_CHANGE_VERBS: Final = (
    lx.OUTCOME_VERBS
    | lx.DIRECTION_VERBS
    | lx.DISCOVERY_VERBS
    | lx.BUSINESS_AS_USUAL_VERBS
    | lx.IMPROVEMENT_VERBS
    | lx.FRAMING_VERBS
)


def instruction_lead(a: Analysis, lead: int) -> Span | None:
    """An instruction whose verb names work, not a change: "Support ES5 syntax in the
    parser", "Expose a statistics endpoint", "Deprecate the v1 API". Change verbs
    ("Reduce", "Keep", "Learn", "Make … easier") are left to the other readings, and so is
    a word that reads as a noun subject ("Support tickets fall", "Search stays fast")."""
    words, n = a.words, len(a.words)
    if lead >= n - 1 or a.kinds[lead] != WORD:
        return None  # a lone word is a name or a platitude, not an instruction
    if lead > a.first and words[a.first] not in lx.SUBJECT_PRONOUNS:
        return None  # "More developers will love Sourcegraph": what people will do
    word = words[lead]
    if word != a.lemmas[lead] or word in _CHANGE_VERBS or word in lx.OUTPUT_VERBS or "VERB" not in word_classes(word):
        return None  # deliverable verbs have their own, finer reading (deliverable_lead)
    if _abstract_object(a, lead):
        return None
    nxt = words[lead + 1]
    if nxt in lx.SUBJECT_FOLLOWERS or nxt in lx.MORE_OR_LESS or a.kinds[lead + 1] == PUNCT or _used_as_noun(a, lead):
        return None  # "Lose less water to leaks": a change
    classes = word_classes(word)
    if "NOUN" in classes or "ADJ" in classes or "ADV" in classes:
        # The word could be a subject ("Support agents close tickets", "Content across the
        # site reads well"): only an object that cannot follow a noun makes it an
        # instruction: a determiner, a figure or a name ("Support ES5 syntax", "Expose a
        # statistics endpoint", "Support disablePropertiesAsHeaders").
        if not (
            nxt in lx.DETERMINERS
            or a.kinds[lead + 1] == NUMBER
            or (lead + 1) in a.unknown_at
            or any(c.isdigit() for c in nxt)
        ):
            return None
    for k in range(lead + 1, n):
        if a.kinds[k] == WORD and comparative(words[k]):
            return None  # "The finance team will close the books faster": a change named
    return (lead, lead)


def _more_symptoms(a: Analysis, i: int) -> Span | None:
    """Other ways people report a fault: an HTTP error status ("returns HTTP 500"), an
    error code ("ERR_CONNECTION_RESET"), "is off by one hour", a regression ("since the
    update on Tuesday", "work again"), something said or shown "instead of" what should be,
    "un…able" ("basically unreadable"), "at random", a redirect loop, a negated state
    ("Menus aren't visible"), data "lost after upgrade"."""
    words, kinds, n = a.words, a.kinds, len(a.words)
    word = words[i]
    nxt = words[i + 1] if i + 1 < n else ""
    prev = words[i - 1] if i > 0 else ""
    if kinds[i] == NUMBER:
        if word in lx.HTTP_FAULTS and (
            prev in ("http", "error", "returns", "gives", "throws", "a", "an") or nxt in ("error", "errors")
        ):
            return (i, i)
        return None
    if word.startswith("err_") or (word == "off" and nxt == "by" and i > a.first):
        return (i, i + (1 if word == "off" else 0))
    if (word == "since" or (word == "after" and prev in ("started", "began", "broke", "stopped"))) and any(
        words[k] in lx.AFTER_A_CHANGE for k in range(i + 1, min(i + 5, n))
    ):
        return (i, i + 1)  # a regression: "3x since yesterday's deploy", "started after the 3.1 deploy"
    if (
        word == "longer"
        and prev == "no"
        and i > a.first
        and (a.lemmas[i + 1 if i + 1 < n else i] in lx.BROKEN_FEATURE_VERBS or nxt in ("found", "available", "visible"))
    ):
        return (i - 1, i)  # "data file no longer found", "reports no longer send"
    if word == "again" and prev in lx.WORKS_AGAIN:
        return (i - 1, i)  # "Make the date picker work again"
    if word == "instead" and any(
        words[k] == "should" or a.lemmas[k] in ("say", "show", "display", "read") for k in range(a.first, i)
    ):
        return (i, i)  # "says 'anual' instead of 'annual'", "…, should show the note instead"
    if word.startswith("un") and word.endswith(("able", "ible")) and len(word) > 7 and i > a.first:
        return (i, i)  # "unreadable", "unusable"
    if word == "negative" and a.lemmas[i - 1] in ("go", "become", "turn") and i > a.first:
        return (i - 1, i)  # "Stock count goes negative when an order is refunded"
    if (word in ("expected", "actual") and nxt == ":") or word == "reproduce" or word == "repro":
        return (i, i)  # "Steps to reproduce: … Expected: … Actual: …"
    if (
        word.endswith("ing")
        and a.lemmas[i - 1] == "keep"
        and i > a.first
        and (word in lx.FAULT_GERUNDS or word in lx.FAULT_GERUNDS_KEPT)
    ):
        return (i - 1, i)  # "Pay station keeps rejecting contactless cards"
    if word in ("match", "matches", "correspond") and prev in lx.NEGATED_FAULTS:
        return (i - 1, i)  # "totals don't match the invoice"
    if (word == "mistake" and prev == "by") or (word == "down" and prev == "upside"):
        return (i - 1, i)  # "mandates cancelled by mistake", "invoices scan upside down"
    if word == "random" and prev == "at":
        return (i - 1, i)
    if word == "loop" and prev in ("redirect", "infinite", "endless", "login"):
        return (i - 1, i)
    if word in ("isn't", "aren't", "wasn't", "weren't") and i > a.first and nxt.endswith(("ible", "able", "ed", "ing")):
        return (i, i + 1)  # "Menus aren't visible", "Totals aren't updated"
    if (
        word in lx.BROKEN_PASSIVES
        and i > a.first
        and nxt in ("after", "when", "during", "on", "if", "since", "whenever")
    ):
        return (i, i)  # "Configuration lost after upgrade"
    return None


def system_behaviour(a: Analysis, lead: int) -> Span | None:
    """A thing, named in a few words, doing something now, stated as it is: "Visitor kiosk
    prints badges with yesterday's date", "Notification badge says 3 unread", "sync tool
    writes log files into the working directory". That is a report of behaviour (a fault,
    as people file them), not a change wanted: a change names people, a measure or a
    comparison ("Finance closes the month quickly", "Every customer gets a reply within a
    day")."""
    words, lemmas, kinds, n = a.words, a.lemmas, a.kinds, len(a.words)
    if lead != a.first or lead >= n - 2 or kinds[lead] != WORD:
        return None
    first = words[lead]
    if (first in lx.DETERMINERS and first != "the") or lemmas[lead] in _VERB_LISTS or word_classes(first) == _VERB_ONLY:
        return None  # "Cut the time …", "Make …": an instruction, judged elsewhere
    if first in lx.QUANTIFIED_SUBJECTS:
        return None  # "No student misses a class …", "Every order arrives …": a promise
    for k in range(lead, n):
        other = words[k]
        if (
            other in lx.FAULT_REMEDIES
            or other in lx.LIMITS
            or other in lx.HOW_IT_IS_DONE
            or (kinds[k] == WORD and comparative(other))
        ):
            return None  # "… closes the month quickly", "Fewer tenants …": a change wanted
    start = lead + 1 if first == "the" else lead
    if plural_noun(words[start]) or words[start] in lx.PLURALS_WITHOUT_S:
        return None  # "Customers get accurate answers", "People only see …": plural
    subject_end = start
    for j in range(start + 1, min(start + 8, n - 1)):
        word = words[j]
        if kinds[j] == NUMBER or word in lx.SUBJECT_PREPOSITIONS or word == "the":
            continue  # "Visitor kiosk at the Hamlin St entrance", "Self-checkout at store 14"
        if kinds[j] != WORD or word in lx.STOPWORDS:
            return None
        if not third_person_verb(word):
            if plural_noun(word):
                return None  # "Business teams …": a plural subject
            subject_end = j
            continue
        after = words[j + 1]
        if plural_noun(word) and (
            after in (".", ",", ";", "!", "?")
            or (
                lemma_of(after) == after
                and "VERB" in word_classes(after)
                and after not in lx.STOPWORDS
                and after not in lx.PARTICLES
            )
        ):
            return None  # "Business teams act …": the plural of a noun, then its verb
        if words[j - 1] in lx.STOPWORDS and words[j - 1] != "the" and kinds[j - 1] == WORD:
            return None
        verb = lemmas[j]
        if after in ("as", "like"):
            return None  # "Content across the site reads as one clear voice": a quality
        if (
            verb in lx.STATE_VERBS
            or (verb in lx.OUTCOME_VERBS and verb not in lx.FEATURE_BEHAVIOUR_VERBS)
            or verb in lx.HOLD_WORDS
            or (verb in lx.DIRECTION_VERBS and (after in lx.DIRECTIONS or a.kinds[j + 1] == NUMBER))
        ):
            return None  # "Churn goes down", "Checkout feels fast"
        return (subject_end, j)
    return None


def _takes_a_while(a: Analysis, i: int) -> bool:
    """ "takes twenty minutes to arrive", "takes 40s to load": a wait reported, not a limit
    wanted ("take less than 2 minutes to sign up")."""
    words, n = a.words, len(a.words)
    k = i + 1
    if k < n and words[k] in lx.LIMIT_BEFORE_FIGURE:
        return False
    if k < n and (a.kinds[k] == NUMBER or words[k] in lx.NUMBER_WORDS):
        unit = words[k].lstrip("0123456789.,") if a.kinds[k] == NUMBER else ""
        if unit in lx.TIME_UNITS and k + 1 < n and words[k + 1] == "to":
            return True  # "takes 40s to load"
        if k + 1 < n and words[k + 1] in ("+", "plus"):
            k += 1  # "takes 40+ seconds to load"
        return k + 2 < n and words[k + 1] in lx.TIME_UNITS and words[k + 2] == "to"
    return words[k : k + 2] == ("forever", "to") or words[k : k + 2] == ("ages", "to")


def _qualifies_a_fault(a: Analysis, i: int) -> bool:
    """ "twice" (not "twice as many", "twice a week"), "still" before a verb, "even when"."""
    words, nxt = a.words, a.words[i + 1]
    if words[i] == "twice":
        return nxt not in ("as", "a", "an", "per", "each", "every", "weekly", "monthly", "daily")
    if words[i] == "even":
        return nxt in ("when", "though", "tho", "if", "after", "for", "with")
    if words[i] == "although":
        return True  # "the email arrives in Spanish although her account is in English"
    return a.kinds[i + 1] == WORD and (a.lemmas[i + 1] in lx.STILL_SHOWN or words[i + 1] in lx.NEGATED_FAULTS)


def _fault_named(a: Analysis) -> Span | None:
    """A fault the text still names, whatever verb leads it: "Eliminate the duplicate-charge
    bug" (a specific bug, with "the"), "Make the CSV import stop dropping rows", "Push
    notifications stop arriving late" (a system asked to stop misbehaving)."""
    words, n = a.words, len(a.words)
    for i in range(a.first, n):
        word = words[i]
        if word in lx.FAULT_NOUNS:
            for k in range(max(a.first, i - 4), i):
                if words[k] in ("the", "this", "that") and all(a.kinds[m] != PUNCT for m in range(k, i)):
                    return (k, i)  # "Eliminate the duplicate-charge bug", "Stop the 500 errors"
        elif (
            i == a.first
            and word in lx.REMOVING
            and any(words[k] in lx.DEFECT_WORDS or words[k] in lx.REPEATED_FAULT for k in range(i + 1, min(i + 5, n)))
        ):
            return (i, i)  # "Eliminate duplicate charges on parking sessions", "Stop sending duplicate alerts"
        elif a.lemmas[i] == "stop" and any(
            words[k] == "from" and k + 1 < n and words[k + 1] in lx.FAULT_GERUNDS
            for k in range(i + 1, min(i + 7, n - 1))
        ):
            return (i, i)  # "Stop the mobile app from crashing during uploads"
        elif a.lemmas[i] == "stop" and i > a.first and i + 1 < n and words[i + 1].endswith("ing"):
            if words[i + 1] in lx.FAULT_GERUNDS:
                return (i, i + 1)
            if i + 2 < n and words[i + 2] in lx.LATE_WORDS:
                return (i, i + 2)  # "Push notifications stop arriving late"
    return None


def asks_for_a_thing(a: Analysis) -> Span | None:
    """ "We need a way for managers to approve timesheets", "We want a dashboard for …": a
    request for something to be made."""
    words, n = a.words, len(a.words)
    i = a.first
    if (
        i + 2 < n
        and words[i] in ("we", "i", "they")
        and words[i + 1] in lx.ASKING
        and words[i + 2] in ("a", "an", "some", "the")
    ):
        return (i, i + 2)
    return None


def research_question(a: Analysis) -> bool:
    """A question about people that the team wants answered: "Do receptionists actually use
    the waitlist?", "Are members who use the app more likely to renew? Find out". (Not
    "Should we upgrade …?" or "Can we …?": those ask for a decision about work.)"""
    words, n = a.words, len(a.words)
    i = a.first
    if "?" not in words or i + 1 >= n or words[i] not in lx.QUESTION_OPENERS:
        return False
    return words[i + 1] not in lx.ASKED_OF


def chat_marker(a: Analysis) -> Span | None:
    """A message to the team ("hey quick one -", "fyi", "pls fix", "can someone check"):
    someone asking for work, never an objective."""
    words, n = a.words, len(a.words)
    if lx.CHAT_MARKERS.isdisjoint(words) and "someone" not in words:
        return None
    for i in range(n):
        if words[i] in lx.CHAT_MARKERS:
            return (i, i)
        if words[i] == "someone" and i > 0 and words[i - 1] in ("can", "could"):
            return (i - 1, i)
    return None


def first_person(a: Analysis) -> Span | None:
    """The first person singular, outside a user story: a person writing about themselves
    ("when i click save it logs me out", "I need a CSV export"). An objective speaks of
    the people who benefit, never as one of them."""
    if lx.FIRST_PERSON.isdisjoint(a.words):
        return None
    for i in range(a.first, len(a.words)):
        if a.words[i] in lx.FIRST_PERSON:
            return (i, i)
    return None


def approval_goal(a: Analysis, lead: int) -> Span | None:
    """ "Achieve SOC 2 certification", "Obtain the operating licence by June": a sign-off
    to get, an event rather than a measure, even with a number in its name."""
    words, n = a.words, len(a.words)
    if lead >= n or a.lemmas[lead] not in lx.APPROVAL_LEADS or words[lead] != a.lemmas[lead]:
        return None
    for k in range(lead + 1, min(lead + 7, n)):
        if words[k] in lx.APPROVAL_WORDS:
            return (lead, k)
        if a.kinds[k] == PUNCT:
            break
    return None


_MEASURE_VERBS: Final = lx.DIRECTION_VERBS | frozenset("stay stays remain remains hold holds".split())


def measure_verb(a: Analysis, lead: int) -> int:
    """Index of a verb, after the lead, that moves or holds a measure at a level ("Hosting
    costs fall from …", "Audit findings stay at or below …"), or -1."""
    words, lemmas = a.words, a.lemmas
    if lx.MOVES_TO.isdisjoint(words):
        return -1
    for i in range(lead + 1, len(words) - 1):
        if (lemmas[i] in _MEASURE_VERBS or words[i] in _MEASURE_VERBS) and words[i + 1] in lx.MOVES_TO:
            return i
    return -1


def _holds_current_level(a: Analysis) -> bool:
    """ "Search error rate stays at or below today's level", "Order value holds at its
    current level or above", "Opt-outs stay below a threshold agreed with the clinics": a
    hold word, then a level that is already measured or one agreed with someone."""
    words, n = a.words, len(a.words)
    if lx.HOLD_WORDS.isdisjoint(words):
        return False
    for i in range(n):
        if words[i] in lx.HOLD_WORDS:
            for k in range(i + 1, min(i + 9, n)):
                if words[k] in lx.CURRENT_LEVEL_WORDS:
                    return True
                if words[k] in lx.AGREED_LEVEL_NOUNS:
                    for j in range(k + 1, min(k + 6, n)):
                        if words[j] in lx.AGREED_WORDS:
                            return True
    return False


_VERB_LISTS: Final = (
    lx.OUTPUT_VERBS | lx.OUTCOME_VERBS | lx.DIRECTION_VERBS | lx.DISCOVERY_VERBS | lx.BUSINESS_AS_USUAL_VERBS
)
MAX_THING_WORDS: Final = 4
_NOT_A_THING_ENDINGS: Final = ("er", "est", "ly", "al", "ful", "ive", "ous", "able", "ible", "ity", "ness")


def bare_thing(a: Analysis) -> Span | None:
    """A name of a thing with no verb, no comparison and no measure: "SSO", "dark mode",
    "CSV export", "A loyalty card for the café chain", "Authorization for /roles" (but not
    "Faster checkout", "Customer retention in Europe" or "Happy customers in every store")."""
    words, n = a.words, len(a.words)
    start = a.first
    end = n - 1
    while end >= start and a.kinds[end] == PUNCT and words[end] != ")":
        end -= 1
    if end < start or end - start + 1 > MAX_THING_WORDS * 2:
        return None
    nouns = 0
    for i in range(start, end + 1):
        word, kind = words[i], a.kinds[i]
        if kind != WORD:
            if kind == NUMBER or word in lx.NAME_MARKS or (kind == SYMBOL and i > start):
                continue  # "Windows 10", "(bus and modules)", "/roles"
            return None
        if word in lx.IN_A_NAME:
            if i == end:
                return None
            continue
        if word in lx.STOPWORDS or word in lx.FAULT_REMEDIES:
            return None
        head = i == end or words[i + 1] in lx.IN_A_NAME or a.kinds[i + 1] != WORD
        after_plural = (
            i > start and a.kinds[i - 1] == WORD and words[i - 1].endswith("s") and words[i - 1] not in lx.IN_A_NAME
        )
        classes = word_classes(word)
        if (a.lemmas[i] in _VERB_LISTS or classes == _VERB_ONLY) and (i == start or not head or after_plural):
            # A verb leading, or after its subject ("Customers renew online"); as the last
            # word of a name it is a noun ("Accessibility audit", "Bulk edit").
            return None
        if "VERB" in classes and after_plural:
            return None  # "Prisoners leave with skills": a sentence
        if (
            word.endswith(_NOT_A_THING_ENDINGS)
            and len(word) > 4
            and ("NOUN" not in classes or (head and word.endswith(_NOUN_ENDINGS)))
        ):
            return None  # "faster", "reliably", "Continuity of process": a change or a quality
        if head and (
            word in lx.METRIC_NOUNS
            or word in lx.GUARDRAIL_WORDS
            or word in lx.GROWTH_WORDS
            or a.lemmas[i] in lx.METRIC_NOUNS
        ):
            return None  # "Customer retention in Europe", "Net new ARR": a measure
        if word not in lx.NEW and classes == _ADJECTIVE_ONLY:
            return None  # "Happy customers", "Safe streets": a state wanted
        nouns += 1
    if nouns == 0 or (end - start + 1 > MAX_THING_WORDS and nouns < 2):
        return None
    return (start, end)


_ADJECTIVE_ONLY: Final = frozenset(("ADJ",))
# Endings of nouns of a quality ("accessibility", "awareness"): before the head noun they
# name a kind of thing ("Accessibility audit"); as the head, a quality wanted.
_NOUN_ENDINGS: Final = ("ity", "ness")
_VERB_ONLY: Final = frozenset(("VERB",))


def requirement(a: Analysis) -> Span | None:
    """ "An administrator should be able to revoke keys", "Must be able to type a URL": a
    requirement for a feature, like a user story."""
    words, n = a.words, len(a.words)
    for i in range(a.first + 1, n - 1):
        if words[i] in ("should", "must") and a.lemmas[i + 1] in lx.FEATURE_VERBS and words[i + 1] == a.lemmas[i + 1]:
            return (i, i + 1)  # "The HDFS store library should support compression"
    for i in range(a.first, n - 3):
        if words[i + 1] == "be" and words[i + 2] == "able" and words[i + 3] == "to":
            if words[i] in lx.REQUIREMENT_MODALS or (
                words[i] == "to" and i > a.first and words[i - 1] in lx.REQUIREMENT_MODALS
            ):
                return (i, i + 3)
    return None
