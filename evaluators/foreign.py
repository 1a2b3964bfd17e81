"""Readings of German, French and Spanish texts: the same questions the English grammar
answers (does a deliverable lead, is it a bug report, a user story, a learning objective;
which tokens are figures, baselines, thresholds, deadlines), answered with each language's
own word lists (lexicon.FOREIGN_*) and simplemma's lemmas.

Coarser than the English grammar on purpose: it never guesses past what the lists say,
and whatever it cannot read stays a plain outcome without findings rather than a false one.
"""

from __future__ import annotations

from . import lexicon as lx
from .text import NUMBER, WORD, Analysis, is_year, mark_span
from .words import foreign_lemma, zipf_in

Span = tuple[int, int]
Mask = tuple[bool, ...]


def lemmas(a: Analysis, language: str) -> tuple[str, ...]:
    return tuple([foreign_lemma(w, language).lower() if k == WORD else w for w, k in zip(a.words, a.kinds)])


def platitude(a: Analysis, language: str, base: tuple[str, ...]) -> bool:
    """Every content word is a platitude of ``language`` (lx.FOREIGN_GENERIC_WORDS), the rest
    are its commonest words."""
    generic = lx.FOREIGN_GENERIC_WORDS[language]
    seen = False
    for i in range(a.first, len(a.words)):
        if a.kinds[i] != WORD:
            continue
        word = a.words[i]
        if word in generic or base[i] in generic:
            seen = True
        elif zipf_in(word, language) < lx.FOREIGN_FUNCTION_ZIPF:
            return False
    return seen


def _lead(a: Analysis, language: str) -> int:
    fillers = lx.FOREIGN_LEAD_FILLERS[language]
    i = a.first
    while i < len(a.words) and (a.words[i] in fillers or a.kinds[i] != WORD):
        i += 1
    return i


def story_want(a: Analysis, language: str) -> Span | None:
    """ "Als Nutzer möchte ich …", "En tant que client, je veux …", "Como usuario quiero …"."""
    lowered = a.lowered[a.start(a.first) :] if a.first < len(a.words) else ""
    if not lowered.startswith(lx.FOREIGN_STORY_OPENERS[language]):
        return None
    wants = lx.FOREIGN_STORY_WANTS[language]
    for i in range(a.first, min(a.first + 12, len(a.words))):
        if a.words[i] in wants:
            return (a.first, i)
    return None


def defect(a: Analysis, language: str, base: tuple[str, ...]) -> Span | None:
    """A bug report: a fault word, or "does not work" (a negation near a working verb)."""
    faults = lx.FOREIGN_DEFECT_WORDS[language]
    works = lx.FOREIGN_WORKS_VERBS[language]
    negations = lx.FOREIGN_NEGATIONS[language]
    words = a.words
    for i in range(len(words)):
        if words[i] in faults or base[i] in faults:
            return (i, i)
        if base[i] in works or _form_of(words[i], works):
            for k in range(max(0, i - 2), min(len(words), i + 3)):
                if words[k] in negations:
                    return (min(i, k), max(i, k))
    return None


def _form_of(word: str, verbs: frozenset[str]) -> bool:
    """A conjugated form the lemmatiser left alone ("carga" for "cargar", "funktioniert"
    for "funktionieren"): the verb's stem and at most a short ending."""
    for verb in verbs:
        stem = verb[:-2]
        if len(stem) >= 4 and word.startswith(stem) and len(word) <= len(verb) + 2:
            return True
    return False


def output_lead(a: Analysis, language: str, base: tuple[str, ...]) -> Span | None:
    """A deliverable verb first (after fillers), or last (German puts the infinitive at the
    end: "Die Datenbank auf PostgreSQL 16 aktualisieren")."""
    verbs = lx.FOREIGN_OUTPUT_VERBS[language]
    lead = _lead(a, language)
    if lead < len(a.words) and (base[lead] in verbs or a.words[lead] in lx.FOREIGN_OUTPUT_NOUNS[language]):
        return (lead, lead)
    last = len(a.words) - 1
    while last > lead and a.kinds[last] != WORD:
        last -= 1
    if last > lead and base[last] in verbs and language == "de":
        return (last, last)
    return None


def discovery(a: Analysis, language: str, base: tuple[str, ...]) -> bool:
    lead = _lead(a, language)
    return lead < len(a.words) and base[lead] in lx.FOREIGN_DISCOVERY_VERBS[language]


def deadline_mask(a: Analysis, language: str) -> tuple[Mask, Span | None]:
    """Deadlines and cadences: an opener within three words before a period word or a
    year ("bis Ende Juni", "d'ici fin juin 2027", "antes de junio"), or Q1–Q4 and H1/H2."""
    words, n = a.words, len(a.words)
    openers = lx.FOREIGN_DEADLINE_OPENERS[language]
    mask = [False] * n
    first: Span | None = None
    for j in range(n):
        word = words[j]
        if not (word in lx.FOREIGN_PERIOD_WORDS or is_year(a, j) or word in lx.STANDALONE_PERIODS):
            continue
        opener = j if word in lx.STANDALONE_PERIODS or is_year(a, j) else -1
        for k in range(j - 1, max(-1, j - 4), -1):
            if a.kinds[k] == NUMBER and not is_year(a, k):
                break
            if words[k] in openers:
                opener = k
        if opener < 0:
            continue
        mark_span(mask, opener, j)
        if first is None:
            first = (opener, j)
    return tuple(mask), first


class ForeignMeasures:
    """How a key result in German, French or Spanish states its change."""

    __slots__ = ("deadline", "deadline_span", "figures", "has_figure", "has_baseline", "has_target", "is_threshold")

    @staticmethod
    def nothing(a: Analysis) -> ForeignMeasures:
        """For a language no rule reads: no figure, no deadline."""
        return ForeignMeasures(a, "", ())

    def __init__(self, a: Analysis, language: str, base: tuple[str, ...]) -> None:
        if not language:
            n = len(a.words)
            self.deadline = self.figures = tuple([False] * n)
            self.deadline_span = None
            self.has_figure = self.has_baseline = self.has_target = self.is_threshold = False
            return
        words, n = a.words, len(a.words)
        deadline, deadline_span = deadline_mask(a, language)
        self.deadline = deadline
        self.deadline_span = deadline_span
        figures = tuple([a.kinds[i] == NUMBER and not deadline[i] and i >= a.first for i in range(n)])
        self.figures = figures
        figure_at = [i for i in range(n) if figures[i]]
        self.has_figure = bool(figure_at)
        baseline_words = lx.FOREIGN_BASELINE_WORDS[language]
        threshold_words = lx.FOREIGN_THRESHOLD_WORDS[language]
        baseline_at: set[int] = set()
        threshold = False
        for i in figure_at:
            for k in range(max(0, i - 2), i):
                if words[k] in baseline_words:
                    baseline_at.add(i)
                if words[k] in threshold_words:
                    threshold = True
        multiplier = any(b in lx.FOREIGN_MULTIPLIERS[language] for b in base)
        # "de 30 % à 45 %": a starting figure with another after it; "um 20 %" alone is
        # a relative change, which also says where it starts.
        self.has_baseline = multiplier or bool(baseline_at)
        self.has_target = (
            multiplier
            or any(i not in baseline_at for i in figure_at)
            or (len(baseline_at) == 1 and language == "de" and any(words[k] == "um" for k in range(n)))
        )
        self.is_threshold = threshold
