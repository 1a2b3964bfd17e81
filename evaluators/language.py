"""Which language a judged text is in.

English texts are recognised word by word, for free: their tokens' English frequencies
are already known (``Analysis.rare_at``). Only a text with letters outside ASCII, or
whose words are mostly rare in English, is handed to the detector
(:func:`evaluators.words.detect_language`), and even then jargon ("Upgrade Elasticsearch",
"SSO") stays English unless the detector is sure and at least two words are not English.
"""

from __future__ import annotations

from typing import Final

from . import lexicon as lx
from .text import WORD, Analysis, token_info
from .words import MIN_CONFIDENCE, language_candidates, zipf_in

#: Languages judged by their own word lists and patterns (see evaluators/foreign.py);
#: texts in any other language are marked unknown, never judged by English rules.
JUDGED_LANGUAGES: Final = frozenset(("en", "de", "fr", "es"))
ENGLISH: Final = "en"
#: A detector confidence above which one rare word is enough to call a text foreign.
SURE: Final = 0.9
_ENGLISH_VERBS: Final = lx.OUTPUT_VERBS | lx.OUTCOME_VERBS | lx.DIRECTION_VERBS
UNDETERMINED: Final = "und"


def language_of(a: Analysis) -> str:
    """ISO 639-1 code of the text's language ("en" when in doubt), computed once."""
    language = a._language
    if language is None:
        language = _detect(a)
        a._language = language
    return language


def _detect(a: Analysis) -> str:
    words = a.kinds.count(WORD)
    if words == 0:
        return ENGLISH  # figures and marks only: nothing to tell
    rare = len(a.rare_at)
    foreign_letters = not a.lowered.isascii() and _has_foreign_letters(a.lowered)
    if not foreign_letters and (
        rare == 0 or ((3 * rare < words or _known_in_english(a)) and _english_evidence(a, range(len(a.words))) > 0)
    ):
        return ENGLISH  # ("Launch invoicing": rare, but English words, led by an English verb)
    language, confidence = _vote(a, foreign_letters)
    if language == ENGLISH or language == UNDETERMINED:
        return ENGLISH if language == ENGLISH or 3 * rare < words else UNDETERMINED
    if rare < 2 and not foreign_letters and confidence < SURE:
        return ENGLISH  # one rare word: jargon in English, unless the detector is sure
    if _english_frame(a, language):
        return ENGLISH  # English around foreign words: judged (and flagged) as English
    return language


def _vote(a: Analysis, foreign_letters: bool) -> tuple[str, float]:
    """Of the detector's five best guesses (and English), the language whose words are the most
    common in that language: a short Spanish bug report reads to the detector as French, but
    "cierra", "abrir" and "carrito" are Spanish words. A text nobody can place is undetermined;
    with words English does not have, it is not English."""
    candidates = language_candidates(a.text)
    if not candidates:
        return UNDETERMINED, 0.0
    best, confidence = candidates[0]
    if best == ENGLISH and confidence >= MIN_CONFIDENCE:
        return best, confidence  # other languages share English's short words: no vote
    plain = [i for i in range(len(a.words)) if a.kinds[i] == WORD]
    scores: dict[str, float] = {}
    for language, _ in candidates:
        scores[language] = sum(zipf_in(a.words[i], language) for i in plain)
    if not foreign_letters:
        scores[ENGLISH] = sum(max(token_info(a.words[i]).zipf, 0.0) for i in plain)
    if not scores:
        return UNDETERMINED, 0.0
    winner = max(scores, key=scores.__getitem__)
    if winner != ENGLISH and confidence < MIN_CONFIDENCE and scores[winner] < 2.0 * len(plain):
        return UNDETERMINED, confidence  # neither the detector nor the words are sure
    return winner, max(confidence, MIN_CONFIDENCE)


#: How much more common in English than in the detected language a word must be to be
#: English, not a loanword both share ("tenants" 3.9 against 1.5 in German; "an" is both).
_DISTINCTLY_ENGLISH: Final = 1.5


def _english_frame(a: Analysis, language: str) -> bool:
    """Whether two or more of the words that are not rare in English are distinctly
    English: "Tenants get … erledigt", "Customers can … without calling support" around a
    pasted German phrase, where the whole text reads as German to the detector."""
    rare = set(a.rare_at)
    english = 0
    for i in range(len(a.words)):
        if a.kinds[i] != WORD or i in rare:
            continue
        word = a.words[i]
        if token_info(word).zipf - zipf_in(word, language) >= _DISTINCTLY_ENGLISH:
            english += 1
            if english >= 2:
                return True
    return False


#: Rare English words ("invoicing" 2.5) against words English corpora hardly know
#: ("mejorar" 0.9, "vorantreiben" 0): above this, a word is English.
_KNOWN_ENGLISH: Final = 1.5


def _known_in_english(a: Analysis) -> bool:
    for i in a.rare_at:
        if token_info(a.words[i]).zipf < _KNOWN_ENGLISH:
            return False
    return True


def _english_evidence(a: Analysis, positions: range | list[int]) -> int:
    """English function words (not "a" or "i", which other languages share) and words of
    the English verb lists among ``positions``."""
    count = 0
    for i in positions:
        word = a.words[i]
        if (word in lx.STOPWORDS and len(word) > 1) or a.lemmas[i] in _ENGLISH_VERBS:
            count += 1
    return count


def _has_foreign_letters(lowered: str) -> bool:
    # Typographic quotes, dashes and € are not letters: only letters outside ASCII say
    # anything about the language ("é", "ü", "ñ", Arabic, kana).
    for c in lowered:
        if ord(c) > 127 and c.isalpha():
            return True
    return False


def unsupported_language(language: str) -> tuple[tuple[None, str], ...]:
    """The finding of a language no rule reads (its name, for the message), or none."""
    if language in JUDGED_LANGUAGES:
        return ()
    return ((None, lx.LANGUAGE_NAMES.get(language, language)),)
