"""What a request is about: the thing it names and the capability that thing serves.

"Upgrade Elasticsearch" is about search; "Send a weekly newsletter to users" about product
updates by email. Outcomes are written about the capability, never about the request's own
words, so the objective cannot paste the request ("Make the Send a weekly newsletter to
users effortless"). The map from things to capabilities is data
(``rewriter/data/capabilities.toml``), not code.

Invariant: :attr:`Thing.phrase` is at most :data:`MAX_PHRASE_WORDS` words, all of them the
user's own, so a frame that names it can repeat at most that many of the request's words
in a row.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from evaluators import lexicon as lx
from evaluators.words import english_zipf, plural_noun, word_classes

DATA = Path(__file__).resolve().parent / "data" / "capabilities.toml"
MAX_PHRASE_WORDS = 3

#: Words before a noun that say nothing about what it is ("the whole onboarding flow").
_DETERMINERS = frozenset(
    """
    a an the our your their my its his her this that these those some any all every each
    whole entire new old existing current brand more better proper few several
    """.split()
)
_ARTICLES = frozenset("a an the this that these those our your their my its his her some any every each all".split())
#: Where a noun phrase ends: prepositions, conjunctions, relative words.
_BOUNDARIES = frozenset(
    """
    to for of so that which whether what why how who whom whose with in on at from by because when where before after
    as into onto via using without if than and or but so until unless while since per across
    over under between through about against within instead off out up down away back onto inside
    is are was were be being been
    will would should could can cannot can't does doesn't do don't did didn't has have had not
    """.split()
)
#: A request whose noun phrase is only these names nothing anyone could act on.
#: Verbs that end a bug report's subject: "Checkout crashes …", "Login fails …".
_REPORTED_VERBS = (
    frozenset(
        """
    crashes crashed freezes froze hangs hung breaks broke keeps kept stops stopped takes took shows
    showed loads returns returned throws threw times timed gets got goes went sends sent spins
    charges charged logs redirects opens closes appears displays duplicates drops dropped lets allows
    gives makes triggers causes needs
    go come arrive fail break crash freeze hang load lag time appear disappear vanish
    """.split()
    )
    | lx.FAULT_VERBS
    | lx.SYMPTOM_VERBS
    | lx.SYSTEM_SYMPTOM_VERBS
)
#: Pronouns end a phrase ("which consent forms | I have submitted").
_PRONOUNS = frozenset("i we you they he she me us them i'm we're i'd we'd i've".split())
#: Nouns that only hold the noun after "of": "a list of products" is about products.
_CONTAINERS = frozenset(
    (
        "list set number kind type range selection bunch couple variety group pair collection lot lots series part "
        "parts piece"
    ).split()
)
#: Words that can only be a verb or an adverb end a phrase: "Reset emails | arrive late",
#: "REST call | incorrectly returns 204".
_NOT_IN_A_NOUN_PHRASE = (frozenset({"VERB"}), frozenset({"ADV"}), frozenset({"VERB", "ADV"}))
_EMPTY_NOUNS = frozenset(
    (
        "thing things stuff it this that everything something anything nothing someone anyone everyone somebody "
        "anybody lot lots bit way ways"
    ).split()
)
_TOKEN = re.compile(r"[A-Za-z0-9][\w'+#&./-]*|[,;:()!?]")


@dataclass(frozen=True)
class Capability:
    capability: str  # "" for a noun that says nothing about one ("feature", "tool")
    serves: str | None


@dataclass(frozen=True)
class Thing:
    phrase: str  # the noun phrase as the user wrote it, determiners dropped ("weekly newsletter")
    capability: str | None  # what it serves ("product updates by email"); None when the map knows no word of it
    serves: str | None  # who the map says it serves, when the thing itself tells


@cache
def capabilities() -> dict[str, Capability]:
    with DATA.open("rb") as handle:
        table = tomllib.load(handle)["things"]
    return {key.lower(): Capability(entry["capability"], entry.get("serves")) for key, entry in table.items()}


def singular(word: str) -> str:
    """A noun's singular from lemminflect (\"invoices\" → \"invoice\"); the word itself when unknown."""
    from lemminflect import getLemma

    lemmas = getLemma(word, upos="NOUN")
    return lemmas[0] if lemmas else word


def _lookup(words: list[str]) -> Capability | None:
    known = capabilities()
    key = " ".join(words)
    if key in known:
        return known[key]
    one = " ".join([*words[:-1], singular(words[-1])])
    return known.get(one)


def noun_phrase(text: str) -> list[str]:
    """The first noun phrase of ``text`` as the user wrote it: determiners dropped, cut at the
    first preposition, conjunction or punctuation ("a weekly newsletter to users" → ["weekly",
    "newsletter"]), at most :data:`MAX_PHRASE_WORDS` words (its head, the last ones, kept)."""
    words: list[str] = []
    for token in _TOKEN.findall(text):
        lowered = token.lower()
        if lowered == "that" and words:
            break  # a relative clause, not a determiner: "a staging environment | that mirrors prod"
        if lowered in _DETERMINERS and not (token[:1].isupper() and words == [] and lowered not in _ARTICLES):
            if lowered in _ARTICLES:
                words = []  # an article starts the phrase afresh: "We want | a bulk-edit feature"
            continue  # "the whole onboarding flow", "our new portal"
        if lowered == "of" and words and all(w.lower() in _CONTAINERS for w in words):
            words = []  # "a list of | products"
            continue
        if lowered in _PRONOUNS or lowered in _BOUNDARIES or not token[0].isalnum():
            if words:
                break
            continue
        # "React", "Swift", "password reset": what the map knows is a thing here, never a verb.
        known = lowered in capabilities() or (bool(words) and f"{words[-1].lower()} {lowered}" in capabilities())
        if not words and (lowered in _EMPTY_NOUNS or (word_classes(lowered) in _NOT_IN_A_NOUN_PHRASE and not known)):
            continue  # "whether I | already have …", "have | everything preinstalled"
        if words and (
            token[0].isdigit()
            or lowered in _REPORTED_VERBS
            or (word_classes(lowered) in _NOT_IN_A_NOUN_PHRASE and not known)
        ):
            break  # the phrase was the subject of a report: "Reset emails | arrive 20 minutes late"
        if words and lowered.endswith("ing") and plural_noun(words[-1].lower()):
            break  # a participle after a plural: "Users | getting logged out"
        if words and not known and (inflected_verb(lowered) or word_classes(lowered) == _ADJECTIVE):
            # What is said of the thing, not part of it: "data | encrypted", "link | says", "names | configurable".
            break
        words.append(token.rstrip(".'"))
    if words and words[0][:1].isupper() and words[0][1:].islower():
        # A sentence's capital, not a name: "Reset emails", "Password" (a common word on its
        # own needs to be commoner to count as one: "Titanium" stays a name).
        if english_zipf(words[0].lower()) >= (
            3 if len(words) > 1 and not words[1][:1].isupper() else 4 if len(words) == 1 else 99
        ):
            words[0] = words[0].lower()
    if not any(word[:1].isalpha() for word in words):
        return []  # "16", "2.7": a version or a count is not a thing
    return words[-MAX_PHRASE_WORDS:]


_ADJECTIVE = frozenset({"ADJ"})


def inflected_verb(word: str) -> bool:
    """Whether a word is only ever a verb's inflected form ("says", "fails", "encrypted",
    "shown"), never a noun ("returns", "emails", "speed") nor a base form."""
    from lemminflect import getAllLemmas

    if word.endswith("ing"):
        return False  # a gerund names a thing as often as it acts: "mobile banking app", "billing jobs"
    lemmas = getAllLemmas(word)
    return "VERB" in lemmas and "NOUN" not in lemmas and word not in lemmas["VERB"]


def capability_of_verb(verb: str) -> str | None:
    """The capability a verb names when the map knows it as a thing too: "search" → search,
    "export" → exports ("As a user I want to search …"). Only verbs that name what people do
    with the capability: "store", "build" or "report" as verbs say nothing of shops, builds
    or reporting."""
    if verb.lower() not in _NAMING_VERBS:
        return None
    entry = capabilities().get(verb.lower())
    return entry.capability or None if entry else None


#: Verbs that are the capability they name: "search" is searching, "pay" is payments.
_NAMING_VERBS = frozenset(
    "search export import upload download pay book chat message filter print scan share subscribe comment "
    "invoice checkout login sign-in schedule translate stream".split()
)


def thing_of(text: str) -> Thing | None:
    """The thing ``text`` names and the capability it serves; None when it names nothing
    anyone could act on ("things", "it", an empty phrase)."""
    words = noun_phrase(text)
    lowered = [w.lower() for w in words]
    if not words or all(w in _EMPTY_NOUNS for w in lowered):
        return None
    found: Capability | None = None
    # Longest span first, and among equals the one nearest the head (the last word).
    for size in range(len(lowered), 0, -1):
        for start in range(len(lowered) - size, -1, -1):
            entry = _lookup(lowered[start : start + size])
            if entry is not None and (entry.capability or found is None):
                found = entry
                if entry.capability:
                    break
        if found is not None and found.capability:
            break
    capability = found.capability if found is not None and found.capability else None
    return Thing(phrase=" ".join(words), capability=capability, serves=found.serves if found else None)


_ATTACHED = re.compile(r"\b(?:to|for|on|in|into|of|from|within|inside|across)\s+", re.IGNORECASE)


def attached_thing(text: str) -> Thing | None:
    """A thing the map knows that the request attaches its ask to, when the ask itself is
    unknown: "a dark mode | to the mobile banking app", "multi-currency pricing | to
    checkout". None when no later noun phrase is one the map knows."""
    for match in _ATTACHED.finditer(text):
        found = thing_of(text[match.end() :])
        if found is not None and found.capability:
            return found
    return None


def readable(phrase: str) -> bool:
    """Whether a noun phrase of the user's can stand in a sentence the engine writes: words
    made of letters and digits (a name, a common noun, "waitlist", "GDPR"), not code,
    paths or symbols."""
    return all(_PLAIN_WORD.fullmatch(word) for word in phrase.split())


_PLAIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&+'-]*|[0-9]+")
