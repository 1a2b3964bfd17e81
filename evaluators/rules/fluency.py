"""Is the text well-formed? Garbled candidates (a template filled with a pasted clause,
made-up inflections, doubled words, foreign words in an English frame, invisible
characters, a question) fail whatever else they get right.

What can be read from the text alone is read once per text (:class:`FluencyReading`);
what depends on the call (which words the user wrote, and so may be unknown to the
dictionary) is decided by :func:`problems` with the call's exempt words.
"""

from __future__ import annotations

import re
from typing import Final

from mypy_extensions import mypyc_attr

from .. import features as ft
from .. import lexicon as lx
from ..grammar import comparative
from ..language import ENGLISH
from ..text import NUMBER, PUNCT, WORD, Analysis, token_info
from ..words import MIN_CONFIDENCE, detect_language, english_zipf, plural_noun, third_person_verb, word_classes, zipf_in
from .base import NO_HITS, Hit, Hits

#: Control characters, zero-width and direction marks: never part of an objective, and a
#: way to hide text from the person reading it.
_INVISIBLE: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
#: What a model or a person says around an objective, never in one: a preface ("Sure!
#: Here is your objective:"), a disclaimer ("As an AI language model"), a note to whoever
#: reads it, an instruction to the judge, the first person singular.
_CHATTER: Final = re.compile(
    r"(?i)^\W*(?:sure|certainly|of course|absolutely|okay|ok)\b\W"
    r"|\bas an ai\b|\blanguage model\b|\bhere(?: is|'s| are)\b|\bnote to\b"
    r"|\b(?:ignore|disregard|forget) (?:all |any |the )?(?:previous|prior|above|earlier)\b"
    r"|\b(?:previous|prior) instructions\b|\bsystem prompt\b|\bmark (?:this|it) as\b"
    r"|\blet me know\b|\bhope (?:this|that) helps\b|\bfeel free\b|\bgreat question\b"
    r"|\bhappy to help\b|\b(?:if|would) you(?:'d| would)? like\b|\bmore options\b"
    r"|\byou(?:'re| are) an?\b|\(\s*note\b|\bas requested\b|\brewritten\b"
)
#: Three or more exclamation or question marks: "quicker on busy weekends!!!!!".
_SHOUTING: Final = re.compile(r"[!?]{3,}")
#: The first person singular: a person talking, not an objective (except in the user
#: story it came from: "As a tenant, I want …", an output judged as such).
_FIRST_PERSON: Final = re.compile(r"(?:^|\s)(?:I|I'm|I'll|I've|I'd)(?=[\s,])")
_STORY_OPENING: Final = re.compile(r"(?i)^\W*as (?:a|an|the)\s")


def _could_be_a_slot(text: str, lowered: str) -> bool:
    """False only when _TEMPLATE_SLOT cannot match."""
    return (
        "[" in text
        or "<" in text
        or "{" in text
        or "TODO" in text
        or "TBD" in text
        or "lorem" in lowered
        or "placeholder" in lowered
    )


#: A slot in a template left unfilled: "[OBJECTIVE HERE]", "<objective>", "{{goal}}".
_TEMPLATE_SLOT: Final = re.compile(
    r"\[[^\]]*[A-Z]{3,}[^\]]*\]|(?i:\[[^\]]*\b(?:insert|objective|placeholder|here|your|goal)\b[^\]]*\])"
    r"|<\s*[a-z_ ]{3,}\s*>|\{\{[^}]*\}\}|\{[a-z_]+\}|(?i:\blorem ipsum\b)|\bTODO\b|\bTBD:"
    r"|\b[A-Z]+_[A-Z_]*PLACEHOLDER\b|(?i:^\s*placeholder\b)"
)
#: Inflections a template adds to a word it did not understand ("checkouting", "customersing").
_INFLECTIONS: Final = ("ings", "ing", "ers", "ed", "er", "es", "s", "ly")
#: A word below this Zipf frequency in English is not an English word for the mixing test.
_FOREIGN_ZIPF: Final = 1.0


@mypyc_attr(acyclic=True)
class FluencyReading:
    """Problems found in the text alone, and the words to check against the call's own."""

    __slots__ = ("problems", "unknown")

    def __init__(self, a: Analysis, language: str, *, objective: bool) -> None:
        found: list[Hit] = []
        text = a.text
        invisible = _INVISIBLE.search(text) if not text.isprintable() or not text.isascii() else None
        if invisible is not None:
            found.append(((invisible.start(), invisible.end()), "it contains an invisible or control character"))
        emoji = _emoji(text) if not text.isascii() else -1
        if emoji >= 0 and _has_letters(text):
            found.append(((emoji, emoji + 1), "it contains emoji"))
        if not _has_letters(text):
            found.append(((0, len(text)), "it has no words, only symbols or emoji"))
            self.problems = tuple(found)
            self.unknown: tuple[int, ...] = ()
            return
        chatter = None
        if not lx.CHATTER_WORDS.isdisjoint(a.words):  # every match holds one of these words
            chatter = _CHATTER.search(text)
            if chatter is None and _STORY_OPENING.match(text) is None:
                chatter = _FIRST_PERSON.search(text)
        if chatter is not None:
            found.append(
                ((chatter.start(), chatter.end()), "it is a model's chatter or an instruction, not an objective")
            )
        elif (a.flags & ft.SUSPICIOUS_HINT or not lx.SLOT_WORDS.isdisjoint(a.words)) and _could_be_a_slot(
            text, a.lowered
        ):
            placeholder = _TEMPLATE_SLOT.search(text)
            if placeholder is not None:
                found.append(((placeholder.start(), placeholder.end()), "it is a template slot nobody filled"))
        last = len(a.words) - 1
        while last >= 0 and a.kinds[last] == PUNCT:
            last -= 1
        if last > a.first + 2 and a.words[last] in lx.DANGLING and language == ENGLISH:
            found.append((a.span(last, last), "it stops mid-sentence"))
        shouting = _SHOUTING.search(text) if "!!" in text or "??" in text else None
        if shouting is not None:
            found.append(((shouting.start(), shouting.end()), "it shouts (“!!!”, “???”)"))
        if _only_filler(a):
            found.append(((0, len(text)), "it is a placeholder (“n/a”, “TBD”), not an objective"))
        stripped = text.rstrip()
        if stripped.endswith("?") or (objective and _question_lead(a)):
            found.append(((a.start(a.first), len(stripped)), "it is a question, not a statement of what should change"))
        if language == ENGLISH:
            _agreement(a, found)
            _doubled(a, found)
            _pasted_clause(a, found)
            _mixed_language(a, found)
        self.problems = tuple(found)
        self.unknown = _unknown_words(a) if language == ENGLISH else ()


def problems(reading: FluencyReading, a: Analysis, exempt: frozenset[str] | None) -> Hits:
    """The reading's problems, plus every word unknown to the dictionary that the user did
    not write. Without ``exempt`` (nothing of the user's is known), only made-up
    inflections of known words count: a word a person typed may be a name or jargon."""
    if not reading.problems and not reading.unknown:
        return NO_HITS
    hits: list[Hit] = list(reading.problems)
    for i in reading.unknown:
        word = a.words[i]
        if exempt is not None and word in exempt:
            continue
        made_up = _made_up_inflection(word)
        if not made_up and (exempt is None or _derived_word(word)):
            continue
        span = a.span(i, i)
        hits.append((span, f"“{a.text[span[0] : span[1]]}” is not a word"))
    return hits


def _emoji(text: str) -> int:
    """Offset of the first emoji or pictograph ("🚲", "✨"), or -1."""
    for offset, c in enumerate(text):
        code = ord(c)
        if 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0x2B00 <= code <= 0x2BFF:
            return offset
    return -1


def _has_letters(text: str) -> bool:
    for c in text:
        if c.isalpha():
            return True
    return False


def _question_lead(a: Analysis) -> bool:
    """ "Should we upgrade …", "How might we …", "Why do customers leave" without the mark."""
    words, i = a.words, a.first
    if i + 1 >= len(words) or words[i] not in lx.FLUENCY_QUESTION_WORDS:
        return False
    nxt = words[i + 1]
    if words[i] in ("how", "why", "what", "which", "who", "when", "where"):
        return nxt in lx.FLUENCY_QUESTION_WORDS or nxt in lx.FLUENCY_ASKED_OF or nxt == "to"
    return nxt in lx.FLUENCY_ASKED_OF


def _only_filler(a: Analysis) -> bool:
    words = a.words
    if not words or len(words) > 3:
        return False
    for word in words:
        if word not in lx.FILLERS:
            return False
    return True


#: Subject pronouns and the forms of "be"/"have" they cannot take.
_DISAGREEING: Final = frozenset(
    (pronoun, verb)
    for pronoun, verbs in (
        ("they", "is was has"),
        ("we", "is was has"),
        ("i", "is are has"),
        ("you", "is was has"),
        ("he", "are were have"),
        ("she", "are were have"),
        ("it", "are were have"),
    )
    for verb in verbs.split()
)
_PRONOUN_SUBJECTS: Final = frozenset(pronoun for pronoun, _ in _DISAGREEING)


def _agreement(a: Analysis, found: list[Hit]) -> None:
    """Grammar a fluent writer never produces: "they is", "it are", "more faster",
    "a late parcels"."""
    words, kinds, n = a.words, a.kinds, len(a.words)
    for i in range(a.first, n - 1):
        word = words[i]
        if word not in _AGREEMENT_TRIGGERS and not (word.endswith("er") and words[i + 1] == "more"):
            continue  # (most tokens: one set look-up)
        nxt = words[i + 1]
        if word in lx.RELATIVES and nxt in lx.POSSESSIVE_DETERMINERS:
            found.append((a.span(i, i + 1), f"“{word} {nxt}”: a relative clause without its verb's subject"))
            return
        if nxt == "more" and kinds[i] == WORD and comparative(word):
            found.append((a.span(i, i + 1), f"“{word} {nxt}” compares twice"))
            return
        if word in lx.PLURAL_PRONOUNS and nxt not in lx.NOT_VERBS_AFTER_PRONOUN and third_person_verb(nxt):
            found.append((a.span(i, i + 1), f"“{word} {nxt}” does not agree"))
            return
        if word in _PRONOUN_SUBJECTS and (word, nxt) in _DISAGREEING:
            found.append((a.span(i, i + 1), f"“{word} {nxt}” does not agree"))
            return
        if (
            word in lx.DOUBLE_COMPARATIVE
            and kinds[i + 1] == WORD
            and nxt.endswith("er")
            and nxt not in lx.NOT_COMPARED
            and comparative(nxt)
        ):
            found.append((a.span(i, i + 1), f"“{word} {nxt}” compares twice"))
            return
        if word == "a" and i + 2 < n and kinds[i + 2] == WORD and kinds[i + 1] == WORD:
            noun = words[i + 2]
            after = words[i + 3] if i + 3 < n else ""
            ends_phrase = not after or kinds[i + 3] != WORD or after in lx.STOPWORDS  # not "a new releases page"
            if ends_phrase and plural_noun(noun) and after != "of":
                if comparative(nxt) or "ADJ" in word_classes(nxt):
                    found.append((a.span(i, i + 2), f"“a … {noun}”: one article, several things"))
                    return


_AGREEMENT_TRIGGERS: Final = (
    lx.RELATIVES | _PRONOUN_SUBJECTS | lx.DOUBLE_COMPARATIVE | lx.PLURAL_PRONOUNS | frozenset(("a",))
)


# An article is never followed by another determiner, a pronoun or a preposition ("the of").
_NO_ARTICLE_AFTER: Final = lx.ARTICLES | frozenset(
    "our their your my his her its this these those we i they of to for with from by at on into".split()
)
_REPEATABLE: Final = frozenset("that had".split())  # "that that", "had had": grammatical


def _doubled(a: Analysis, found: list[Hit]) -> None:
    """Doubled words ("the the"), two determiners ("a the", "the our"), and a two-word
    phrase said twice within a few words ("Warehouse pickers can warehouse pickers")."""
    words, lemmas, kinds, n = a.words, a.lemmas, a.kinds, len(a.words)
    for i in range(a.first, n - 1):
        # Lemmas are interned (text.Token): an identity test finds the candidates for a
        # doubled word without comparing strings.
        if lemmas[i] is lemmas[i + 1] and kinds[i] == WORD and words[i] == words[i + 1] and words[i] not in _REPEATABLE:
            found.append((a.span(i, i + 1), f"“{words[i]} {words[i + 1]}” repeats a word"))
            return
        if words[i] in lx.ARTICLES and words[i + 1] in _NO_ARTICLE_AFTER and kinds[i + 1] == WORD:
            found.append((a.span(i, i + 1), f"“{words[i]} {words[i + 1]}” puts two determiners together"))
            return
    meaningful = a.meaningful
    if not _repeats(lemmas, meaningful):
        return  # no meaningful word twice, so no phrase said twice
    for x in range(len(meaningful) - 1):
        i = meaningful[x]
        if meaningful[x + 1] != i + 1:
            continue
        for y in range(x + 2, min(x + 6, len(meaningful) - 1)):
            j = meaningful[y]
            if j - i > 6:
                break
            if (
                meaningful[y + 1] == j + 1
                and words[j] == words[i]
                and words[j + 1] == words[i + 1]
                and not (i > 0 and kinds[i - 1] == NUMBER)  # "1.9 million m3 to 1.6 million m3": units
            ):
                found.append((a.span(i, j + 1), f"“{words[i]} {words[i + 1]}” is said twice"))
                return


def _repeats(lemmas: tuple[str, ...], positions: tuple[int, ...]) -> bool:
    """Whether two of the positions hold the same (interned) lemma."""
    for x in range(1, len(positions)):
        lemma = lemmas[positions[x]]
        for y in range(x):
            if lemmas[positions[y]] is lemma:
                return True
    return False


_CLAUSE_WORDS: Final = lx.OUTPUT_VERBS | lx.OUTCOME_VERBS | lx.DIRECTION_VERBS


def _pasted_clause(a: Analysis, found: list[Hit]) -> None:
    """A sentence pasted into a frame: a determiner before a capitalised verb or pronoun
    ("Make the Improve things …", "the We need …", "the Customers renew …"), or two modals
    with no joiner between ("pickers can … pickers don't")."""
    words, kinds, lemmas, n = a.words, a.kinds, a.lemmas, len(a.words)
    if a.may_have_capitals_after_first():
        for i in range(a.first + 1, n - 1):
            if words[i - 1] not in lx.FLUENCY_DETERMINERS or kinds[i] != WORD:
                continue
            word = words[i]
            base_verb = lemmas[i] in _CLAUSE_WORDS and word == lemmas[i]
            plural_subject = (
                word.endswith("s")
                and kinds[i + 1] == WORD
                and lemmas[i + 1] in _CLAUSE_WORDS
                and words[i + 1] == lemmas[i + 1]
            )
            if not (base_verb or word in lx.PRONOUNS or plural_subject):
                continue
            # Only now the capital, which needs character offsets.
            if not a.is_capitalised(i):
                continue
            raw = a.raw[i]
            if raw.isupper() and len(raw) > 1:
                continue  # an acronym: "the API", "the NHS"
            found.append((a.span(i - 1, i), "a sentence has been pasted into it"))
            return
    last_modal = -1
    for i in range(a.first, n):
        if words[i] in lx.MODALS:
            if last_modal >= 0 and i - last_modal <= 4:
                if not any(words[k] in lx.JOINERS or kinds[k] != WORD for k in range(last_modal + 1, i)):
                    found.append((a.span(last_modal, i), "two clauses run into each other"))
                    return
            last_modal = i


def _mixed_language(a: Analysis, found: list[Hit]) -> None:
    """Two or more words that are not English, close together (short function words such
    as "de la" between them), reading as another language inside an English text: a
    request pasted into an English frame."""
    words, n = a.words, len(a.words)
    if len(a.rare_at) < 2 and a.text.isascii():
        return  # one rare word is jargon, and ASCII holds no other script
    for i in a.rare_at:
        if not _latin(words[i]):
            found.append((a.span(i, i), "it mixes another script into English"))
            return
    foreign = [i for i in a.rare_at if token_info(words[i]).zipf >= 0.0]  # plain words
    if len(foreign) < 2:
        return
    k = 0
    while k < len(foreign):
        start = end = foreign[k]
        count = 1
        while (
            k + 1 < len(foreign)
            and all(len(words[g]) <= 4 or a.kinds[g] != WORD for g in range(end + 1, foreign[k + 1]))
            and foreign[k + 1] - end <= 4
        ):
            k += 1
            end = foreign[k]
            count += 1
        k += 1
        if count < 2 or (start <= a.first and end >= n - 1):
            continue
        # Acronyms ("NPS", "SLA") are no language; finding one needs the raw text, so only
        # for a run that could count.
        if sum(1 for g in foreign if start <= g <= end and not _acronym(a, g)) < 2:
            continue
        language, confidence = detect_language(" ".join(words[start : end + 1]))
        if language != ENGLISH and confidence >= MIN_CONFIDENCE and _more_common_in(a, foreign, start, end, language):
            found.append((a.span(start, end), "it mixes another language into English"))
            return


def _more_common_in(a: Analysis, foreign: list[int], start: int, end: int, language: str) -> bool:
    """Whether most of the run's rare words are words of ``language`` rather than English
    jargon the detector guessed at ("livraison" is common in French; "opensearch" in
    neither)."""
    rare = [i for i in foreign if start <= i <= end]
    theirs = sum(1 for i in rare if zipf_in(a.words[i], language) - token_info(a.words[i]).zipf >= 1.0)
    return 2 * theirs >= len(rare)


def _latin(word: str) -> bool:
    """Latin letters only (with accents): not kana, Han, Arabic, Cyrillic …"""
    for c in word:
        if c.isalpha() and ord(c) > 0x24F:
            return False
    return True


def _acronym(a: Analysis, i: int) -> bool:
    raw = a.raw[i]
    return raw.isupper() and len(raw) > 1


def _unknown_words(a: Analysis) -> tuple[int, ...]:
    """Plain words the English dictionary has never seen (not acronyms, not numbers)."""
    found = []
    for i in a.unknown_at:
        if a.kinds[i] == NUMBER:
            continue
        raw = a.raw[i]
        if raw.isupper() and len(raw) > 1:
            continue
        found.append(i)
    return tuple(found)


_PREFIXES: Final = (
    "re",
    "un",
    "pre",
    "sub",
    "co",
    "non",
    "over",
    "under",
    "self-",
    "multi",
    "mis",
    "de",
    "dis",
    "in",
    "auto",
    "inter",
    "cross",
)


def _derived_word(word: str) -> bool:
    """A rare word built from known ones: a prefix ("resubmissions"), a compound
    ("webhook", "timesheet") or a plural of either. (Not a made-up inflection.)"""
    stem = word[:-1] if word.endswith("s") and len(word) > 4 else word
    for form in (word, stem):
        for prefix in _PREFIXES:
            if form.startswith(prefix) and len(form) - len(prefix) >= 4 and english_zipf(form[len(prefix) :]) >= 2.5:
                return True
        for cut in range(3, len(form) - 2):
            if english_zipf(form[:cut]) >= 3.0 and english_zipf(form[cut:]) >= 3.0:
                return True
    return False


def _made_up_inflection(word: str) -> bool:
    """An unknown word that is a known word plus an inflection: "checkouting",
    "customersing", "newing". (A person's typo or a name rarely has that shape.)"""
    for suffix in _INFLECTIONS:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            if english_zipf(stem) >= 2.5 or (suffix[0] in "ei" and english_zipf(stem + "e") >= 2.5):
                return True
    return False
