"""What the evaluators ask of well-kept language packages: is this an English word, which
language is this text in, what is a word's base form in another language.

All three ship their data inside their wheels (no download at run time) and load it on
first use, once per process:

- ``wordfreq``: word frequencies of English, the dictionary behind :func:`english_zipf`
  (about 36 MB once loaded).
- ``lingua``: language detection for short texts, limited to :data:`DETECTED_LANGUAGES`
  in its low-accuracy mode (about 40 MB, a fraction of a millisecond a text). The rules
  ask it only about texts that do not read as English word by word
  (:func:`evaluators.language.language_of`), so English texts never pay for it.
- ``simplemma``: lemmas of German, French and Spanish words (:func:`foreign_lemma`).
- ``lemminflect``: which parts of speech an English word can be (:func:`word_classes`),
  to tell an instruction ("Expose an endpoint") from a noun subject ("Support tickets …").

This module is not compiled (see ``COMPILED_MODULES`` in setup.py): it only calls into the
packages, and the compiled modules memoise what it answers per token.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

#: Languages lingua tells apart (ISO 639-1). Texts in others come out as the nearest of
#: these, which the rules treat like any unsupported language.
DETECTED_LANGUAGES = ("en de fr es pt it nl pl sv da nb fi tr ru uk cs ar he ja zh ko hi id vi el ro hu").split()
#: Below this confidence lingua's answer is no answer ("und").
MIN_CONFIDENCE = 0.5


def zipf_in(word: str, language: str) -> float:
    """How common a lowercase word is in ``language`` (ISO 639-1), on the same scale (from
    wordfreq's small list for languages other than English: words rarer than about Zipf 3
    count as 0); 0
    for a language wordfreq has no list for or needs an extra tokeniser for (Chinese,
    Japanese: their scripts are told apart without frequencies). Each language's list
    loads on first use."""
    if language in _NEEDS_TOKENISER:
        return 0.0
    try:
        # The small lists (the commonest words, about 1 MB each) load in milliseconds and
        # hold what tells languages apart; the English list is the large one.
        return float(_zipf()(word, language, wordlist="large" if language == "en" else "small"))
    except LookupError:
        return 0.0


_NEEDS_TOKENISER = frozenset(("zh", "ja", "ko"))


def english_zipf(word: str) -> float:
    """How common a lowercase word is in English, on wordfreq's Zipf scale: 0 for a word
    it has never seen, about 3 for "backlog", 7 for "the"."""
    return float(_zipf()(word, "en", wordlist="large"))


@cache
def _zipf() -> Any:
    from wordfreq import zipf_frequency

    return zipf_frequency


def detect_language(text: str) -> tuple[str, float]:
    """The most likely language of ``text`` (ISO 639-1) and lingua's confidence in it;
    ("und", 0.0) when lingua cannot tell."""
    candidates = language_candidates(text, 1)
    return candidates[0] if candidates else ("und", 0.0)


def language_candidates(text: str, limit: int = 5) -> tuple[tuple[str, float], ...]:
    """lingua's most likely languages for ``text`` with their confidences, best first."""
    values = _detector().compute_language_confidence_values(text)
    return tuple((value.language.iso_code_639_1.name.lower(), float(value.value)) for value in values[:limit])


@cache
def _detector() -> Any:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in DETECTED_LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def foreign_lemma(word: str, language: str) -> str:
    """The base form of a lowercase word of ``language`` ("aktualisieren" for
    "aktualisiert"), or the word itself when simplemma does not know it."""
    return str(_lemmatize()(word, lang=language))


@cache
def _lemmatize() -> Any:
    from simplemma import lemmatize

    return lemmatize


@dataclass(frozen=True, slots=True)
class WordReadings:
    """What lemminflect's dictionary says of one lowercase English word, read once."""

    classes: frozenset[str]  # the parts of speech whose lemma is the word itself
    third_person_verb: bool  # a form of another verb, ending in s ("prints", "says")
    plural_noun: bool  # a form of another noun, ending in s ("prints", "teams")
    comparative: bool  # a form of another adjective or adverb ("faster"), or better/worse/more/less


_IRREGULAR_COMPARATIVES = frozenset(("better", "worse", "more", "less"))


@cache
def word_readings(word: str) -> WordReadings:
    """One dictionary look-up per word, whatever is asked of it (memoised)."""
    from lemminflect import getAllLemmas

    lemmas = getAllLemmas(word)
    ends_in_s = word.endswith("s")

    def inflected(upos: str) -> bool:
        return any(lemma != word for lemma in lemmas.get(upos, ()))

    return WordReadings(
        classes=frozenset(upos for upos, forms in lemmas.items() if word in forms),
        third_person_verb=ends_in_s and inflected("VERB"),
        plural_noun=ends_in_s and inflected("NOUN"),
        comparative=word in _IRREGULAR_COMPARATIVES or (word.endswith("er") and (inflected("ADJ") or inflected("ADV"))),
    )


def word_classes(word: str) -> frozenset[str]:
    """The parts of speech a lowercase English word can be in its own form (``VERB`` for
    "expose", ``NOUN`` and ``VERB`` for "support", nothing for "exposes" or a made-up word)."""
    return word_readings(word).classes


def third_person_verb(word: str) -> bool:
    """Whether a lowercase word can be a verb in the third person singular ("prints",
    "says", "goes")."""
    return word.endswith("s") and word_readings(word).third_person_verb


def plural_noun(word: str) -> bool:
    """Whether a lowercase word can be the plural of a noun ("prints", "teams"; not
    "series", "status")."""
    return word.endswith("s") and word_readings(word).plural_noun


def is_comparative(word: str) -> bool:
    """Whether a lowercase word is a comparative adjective or adverb ("faster", "easier",
    "better")."""
    return word_readings(word).comparative


def prepare(languages: tuple[str, ...] = ("de", "fr", "es")) -> None:
    """Load every package's data now rather than on first use (about 2 s; lemmatising the
    first German word alone takes 1 s). A server calls this before it starts answering, so
    no user's request pays for it and the loaded data can be frozen out of the garbage
    collector's scans with the rest of start-up."""
    word_readings("support")
    english_zipf("the")
    language_candidates("Die Datenbank aktualisieren")
    for language in languages:
        zipf_in("de", language)
        foreign_lemma("test", language)
