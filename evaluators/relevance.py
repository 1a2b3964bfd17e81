"""Is a candidate about the request it was written for?

A model can answer fluently and still answer something else: small models in particular
copy the worked example of their instructions ("Upgrade Elasticsearch" → "Make search easier
to support") whatever they were asked. A candidate is about the request when it shares the
request's subject: a content word of the request or its context, or of the capability the
request's thing serves (given by the caller as ``related``: "Elasticsearch" serves search).
Words are compared by a light stem, so "dashboards" is about "dashboard".

The check is lenient on purpose: one shared word anywhere in the candidate (objective,
problem statement, hypothesis, key results) is enough, and output verbs of the request
("add", "build", "upgrade") never count. It flags what is plainly about something else.

Pure: no I/O, no imports from outside the evaluators.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .lexicon import GENERIC_WORDS, OUTPUT_VERBS, STOPWORDS
from .model import Finding

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# Scripts written without spaces between words: shared words cannot be told apart there.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
_SUFFIXES = (
    ("ies", "y"),
    ("sses", "ss"),
    ("xes", "x"),
    ("ches", "ch"),
    ("shes", "sh"),
    ("ing", ""),
    ("ed", ""),
    ("s", ""),
)
_PREFIX = 5  # words this long or longer match on their first letters ("onboard", "onboarding")
# An objective that takes this share of its words from an example (and at least
# _COPIED_WORDS of them) repeats that example.
_COPIED_SHARE = 0.6
_COPIED_WORDS = 3
# A candidate about nothing in the request is called a copy of an example when it borrows
# at least this many of the example's own words (one could be chance: "time", "support").
_BORROWED_WORDS = 2


def _stem(word: str) -> str:
    word = word.lower().removesuffix("'s")
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not (suffix == "s" and word.endswith("ss")):
            return word[: -len(suffix)] + replacement
    return word


def _words(text: str | None) -> set[str]:
    """Content words of ``text``, stemmed: no stopwords, no one-letter words."""
    found = set()
    for match in _WORD.finditer(text or ""):
        word = match.group().lower()
        if len(word) >= 2 and word not in STOPWORDS:
            found.add(_stem(word))
    return found


# Words any sentence may have, whatever it is about: they say nothing of its subject.
_NO_SUBJECT = frozenset("make please need want like should more most less least very much many also only just".split())


def _subject(text: str | None) -> set[str]:
    """What a request is about: its content words without the verbs that ask for an output."""
    return {w for w in _words(text) if w not in OUTPUT_VERBS and w not in _NO_SUBJECT}


def _same(a: str, b: str) -> bool:
    return a == b or (len(a) >= _PREFIX and len(b) >= _PREFIX and a[:_PREFIX] == b[:_PREFIX])


def _shared(words: set[str], subject: set[str]) -> set[str]:
    return {w for w in words if any(_same(w, s) for s in subject)}


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= 80 else text[:77] + '…'}”"


def judge_relevance(
    request: str,
    objective: str,
    texts: Sequence[str] = (),
    *,
    context: str | None = None,
    related: Sequence[str] = (),
    examples: Sequence[str] = (),
) -> Finding | None:
    """An error-level finding when the candidate (``objective`` and its other ``texts``) is
    not about ``request``; None when it is, or when that cannot be told.

    ``copies_prompt_example``: it repeats one of the prompt's worked ``examples`` instead.
    ``off_topic``: it shares nothing with the request, its context or ``related`` words.
    """
    if _UNSPACED.search(request):
        return None
    subject = _subject(request) | _words(context) | {w for r in related for w in _words(r)}
    if not subject:
        return None  # a request with nothing to share ("Do it"): other rules judge it
    objective_words = _words(objective)
    candidate_words = objective_words.union(*(_words(t) for t in texts))
    on_topic = _shared(candidate_words, subject)
    # The example's own words, less those the request shares (an example about search may be
    # right for a request about search).
    example_words = [
        (example, {w for w in _subject(example) if w not in GENERIC_WORDS and not any(_same(w, s) for s in subject)})
        for example in examples
    ]
    if not _shared(objective_words, subject):
        for example, words in example_words:
            copied = _shared(objective_words, words)
            if len(copied) >= _COPIED_WORDS and len(copied) >= _COPIED_SHARE * len(objective_words):
                return Finding(
                    code="copies_prompt_example",
                    severity="error",
                    message=f"The objective repeats the instructions' worked example {_quoted(example)}, "
                    f"not the request {_quoted(request)}.",
                    suggestion="Write the objective about the request's own subject.",
                )
    if on_topic:
        return None
    # The worked examples are one chain of thought: words borrowed from any of them add up.
    borrowed = set().union(*(_shared(candidate_words, words) for _, words in example_words))
    if len(borrowed) >= _BORROWED_WORDS:
        source = max(example_words, key=lambda pair: len(_shared(candidate_words, pair[1])))[0]
        return Finding(
            code="copies_prompt_example",
            severity="error",
            message=f"The candidate is about the instructions' worked example {_quoted(source)} "
            f"({', '.join(sorted(borrowed)[:4])}), not the request {_quoted(request)}.",
            suggestion="Write the candidate about the request's own subject.",
        )
    return Finding(
        code="off_topic",
        severity="error",
        message=f"The candidate is not about the request: it shares no subject with {_quoted(request)}.",
        suggestion="Name what the request is about, or the capability it serves.",
    )
