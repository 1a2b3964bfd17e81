"""Tokenise a text once and precompute what every rule needs.

Speed matters here (the evaluators run on every keystroke and on every generated
candidate), so each text is tokenised with one compiled regex and the rules then work
on plain tuples with set look-ups. No per-call regex compilation, no NLP library.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Final, Generic, TypeVar

from mypy_extensions import mypyc_attr

from . import lexicon as lx
from .features import PERIOD, token_flags
from .words import english_zipf

# Tokens of the *lowercased* text: words and numbers with inner hyphens, apostrophes,
# dots and commas ("sign-in", "we'll", "3.12", "2,000", "p99", "12k"), else any single
# non-space character (punctuation, %, $, €, “, —, ≥, …). Word characters are ASCII
# letters and digits plus the Unicode blocks of letters from U+00C0 up, leaving out the
# blocks of punctuation and symbols (U+2000–2BFF: dashes, quotes, €, arrows, ≥; U+2E00–
# 2E7F; U+3000–303F; U+FE00–FE6F; the fullwidth marks) and × ÷. Explicit ranges are
# measurably faster than Unicode \w on every call, which matters here.
_WORD_CHARACTERS: Final = (
    "a-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u1fff\u2c00-\u2dff\u2e80-\u2fff\u3040-\ufdff"
    "\ufe70-\ufefe\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff66-\uffef"
)
_TOKEN_RE: Final = re.compile(f"[{_WORD_CHARACTERS}]+(?:[.,'’\\-][{_WORD_CHARACTERS}]+)*|[^\\s{_WORD_CHARACTERS}]")
_NUMBER_RE: Final = re.compile(r"(\d+(?:[.,]\d+)*)(k|m|bn|x)?$")
# A list marker or label in front of the text: "- ", "1. ", "KR2: ", "Objective:".
_LABEL_RE: Final = re.compile(
    r"\s*(?:[-*•–—]\s+|\d{1,2}[.)]\s+|(?:o|kr|okr|objective|key\s+result)\s*\d*\s*[:.)\-–—]\s*)",
    re.IGNORECASE,
)
_LABEL_STARTS: Final = frozenset("-*•–—0123456789ok \t")
# What ends an owner or period prefix: "Sales leadership: …", "Q3 — ship the redesign".
_PREFIX_ENDS: Final = frozenset(":—–")
_ED_RE: Final = re.compile(r"ed\b")

#: Plain words rarer than this in English (Zipf scale: "backlog" 3.2, "kubernetes" 2.3,
#: "datenbank" 0) count as rare: jargon, names, or another language.
RARE_ZIPF: Final = 3.0

WORD: Final = "w"
NUMBER: Final = "n"
SYMBOL: Final = "s"
PUNCT: Final = "p"
_KIND_BY_FIRST_CHAR: Final[dict[str, str]] = {c: SYMBOL for c in "%$£€<>≥≤"}

# ------------------------------------------------------------------------------------------
# A light lemmatiser: suffix stripping guided by the lexicons, plus irregular forms.

_IRREGULAR: Final[dict[str, str]] = {
    "built": "build",
    "rebuilt": "rebuild",
    "wrote": "write",
    "written": "write",
    "rewritten": "rewrite",
    "held": "hold",
    "ran": "run",
    "made": "make",
    "did": "do",
    "done": "do",
    "grew": "grow",
    "grown": "grow",
    "rose": "rise",
    "risen": "rise",
    "fell": "fall",
    "fallen": "fall",
    "won": "win",
    "led": "lead",
    "kept": "keep",
    "began": "begin",
    "begun": "begin",
    "chose": "choose",
    "chosen": "choose",
    "drew": "draw",
    "drawn": "draw",
    "went": "go",
    "gone": "go",
    "got": "get",
    "gotten": "get",
    "brought": "bring",
    "took": "take",
    "taken": "take",
    "understood": "understand",
    "learnt": "learn",
    "sent": "send",
    "spun": "spin",
    "stood": "stand",
    "sold": "sell",
    "bought": "buy",
    "found": "find",
    "became": "become",
    "gave": "give",
    "given": "give",
    "shown": "show",
    "knew": "know",
    "known": "know",
    "hit": "hit",
    "cut": "cut",
    "set": "set",
    "put": "put",
    "run": "run",
    "shut": "shut",
    "drove": "drive",
    "driven": "drive",
    "saw": "see",
    "seen": "see",
    "met": "meet",
    "lost": "lose",
    "paid": "pay",
    "told": "tell",
    "said": "say",
    "thought": "think",
    "felt": "feel",
    "is": "be",
    "are": "be",
    "was": "be",
    "were": "be",
    "been": "be",
    "am": "be",
    "has": "have",
    "had": "have",
    "does": "do",
    "goes": "go",
    "people": "person",
}

_VOCABULARY: Final[frozenset[str]] = (
    lx.OUTPUT_VERBS
    | lx.OUTCOME_VERBS
    | lx.DISCOVERY_VERBS
    | lx.RESEARCH_VERBS
    | lx.DIRECTION_VERBS
    | lx.BUSINESS_AS_USUAL_VERBS
    | lx.IMPROVEMENT_VERBS
    | frozenset("go get do give show see take bring stand spin put carry clean reject confirm".split())
)

# (suffix to remove, text to add) tried in order; the first result found in the vocabulary
# wins, so "migrated" → "migrate" (via "d") but "shipped" → "ship" (via doubled consonant).
_SUFFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("ies", "y"),
    ("ied", "y"),
    ("ying", "y"),
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("d", ""),
    ("ed", "e"),
    ("ing", ""),
    ("ing", "e"),
)

# Words repeat across texts even when texts do not, so each token's lemma, kind and
# word-list bits are computed once and then looked up: one dict look-up per token.
_MAX_MEMO: Final = 200_000
_intern: Final = sys.intern


@mypyc_attr(acyclic=True)
class Token:
    """What every text with this token shares: its lemma, its kind (WORD, NUMBER, SYMBOL
    or PUNCT, from its first character) and its word-list bits (see
    :mod:`evaluators.features`)."""

    __slots__ = ("lemma", "kind", "flags", "meaningful", "zipf")

    def __init__(self, token: str) -> None:
        lemma = _lemma(token) if token[0].isalpha() else token  # numbers are their own lemma
        # Interned: equal lemmas are then one object, so content_lemmas can tell
        # repeats apart with `is`.
        lemma = _intern(lemma)
        self.lemma = lemma
        kind = _kind_of(token[0])
        self.kind = kind
        self.flags = token_flags(token, lemma)
        # A word that says what a text is about (not "the", "of", a number or a mark).
        self.meaningful = kind == WORD and lemma not in lx.STOPWORDS
        # How common the word is in English (wordfreq's Zipf scale, 0 = never seen); -1 for
        # tokens that are not plain words (numbers, marks, "p99"): they are no one's English.
        self.zipf = english_zipf(token) if kind == WORD and _is_plain_word(token) else -1.0


def _is_plain_word(token: str) -> bool:
    """Letters only, with inner hyphens or apostrophes ("sign-up", "don't"): no digits."""
    for c in token:
        if not (c.isalpha() or c in "-'’"):
            return False
    return True


_tokens: Final[dict[str, Token]] = {}


def token_info(token: str) -> Token:
    """The shared facts about a token, computed once (bounded: free text has an unbounded
    vocabulary, so the memo starts again when it is full)."""
    info = _tokens.get(token)
    if info is None:
        info = Token(token)
        if len(_tokens) >= _MAX_MEMO:
            _tokens.clear()
        _tokens[token] = info
    return info


def lemma(word: str) -> str:
    """Base form of a lowercase word, or a plural-stripped form when it is unknown."""
    return token_info(word).lemma if word else word


def _lemma(word: str) -> str:
    irregular = _IRREGULAR.get(word)
    if irregular is not None:
        return irregular
    if word in _VOCABULARY or len(word) < 4:
        return word
    if word.startswith("re-") and len(word) > 5:
        rest = _lemma(word[3:])  # "re-tender", "re-launched": the verb done again
        if rest in _VOCABULARY:
            return rest
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            candidate = stem + replacement
            if candidate in _VOCABULARY:
                return candidate
            # "shipped" → "shipp" → "ship": undo a doubled final consonant.
            if suffix in ("ed", "ing") and len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in _VOCABULARY:
                return stem[:-1]
    # Unknown word: strip a plain plural so "teams" and "team" compare equal.
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


#: Irregular past participles and past tenses ("built", "ran"): participles without "-ed".
IRREGULAR_PARTICIPLES: Final = frozenset(_IRREGULAR) - lx.NOT_PARTICIPLES


def is_participle(word: str) -> bool:
    """Whether a lowercase word looks like a past participle ("migrated", "built")."""
    return word.endswith("ed") or word in IRREGULAR_PARTICIPLES


# ------------------------------------------------------------------------------------------


def is_year(a: Analysis, i: int) -> bool:
    """Whether token i is a year (four digits from 1900 to 2099)."""
    word = a.words[i]
    return a.kinds[i] == NUMBER and len(word) == 4 and word[:2] in ("19", "20")


def number_value(token: str) -> float | None:
    """The value of a number token ("2,000" → 2000, "12k" → 12000, "99.95" → 99.95)."""
    match = _NUMBER_RE.match(token)
    if match is None:
        return None
    digits, scale = match.groups()
    if "," in digits and "." not in digits:
        digits = digits.replace(",", "")
    elif "," in digits:  # "1,234.5"
        digits = digits.replace(",", "")
    try:
        value = float(digits)
    except ValueError:  # "1.2.3" (a version) — still a figure, not a value we can compare
        return None
    if scale == "k":
        value *= 1_000
    elif scale == "m":
        value *= 1_000_000
    elif scale == "bn":
        value *= 1_000_000_000
    return value


def tokenise(lowered: str) -> list[str]:
    """The tokens of a lowercased text (``_TOKEN_RE.findall``, only faster)."""
    if not lowered.isascii():
        # Outside ASCII, str.split() and the token pattern disagree on what separates
        # tokens (U+3000 is whitespace to split() but a token character to the pattern).
        return _TOKEN_RE.findall(lowered)
    # Tokens never span whitespace, and a chunk of only letters and digits is one token:
    # most chunks are, and skipping the regex for them roughly halves the cost.
    tokens: list[str] = []
    for chunk in lowered.split():
        if chunk.isalnum():
            tokens.append(chunk)
        elif len(chunk) > 1 and chunk[:-1].isalnum():
            # A word with one mark after it ("15%", "q2,", "end."): an ASCII mark is
            # never part of a token, so these are the two tokens the pattern finds.
            tokens.append(chunk[:-1])
            tokens.append(chunk[-1])
        else:
            tokens += _TOKEN_RE.findall(chunk)
    return tokens


@mypyc_attr(acyclic=True)
class Analysis:
    """Everything the rules read about one text, computed once.

    Token sequences are parallel: ``words[i]`` (lowercase), ``lemmas[i]`` and
    ``kinds[i]`` (WORD, NUMBER, SYMBOL or PUNCT; ``kinds`` is a string of these one-letter
    codes). ``flags`` has a bit for each word list any token (or its lemma) is in (see
    :mod:`evaluators.features`): rules reject most texts before looping with one bit test
    (``a.flags & features.PERIOD``). ``number_at`` lists the indices of NUMBER tokens
    (most texts have none), ``meaningful`` those of words that are not stopwords and
    ``period_at`` those of period words (month, quarter, Q3 …).
    Character offsets (``starts``/``ends``) and the tokens as written (``raw``) are only
    needed to report a finding or to see capitals, so they are computed on first use.
    ``first`` is the index of the first token after any list marker, label or "Team:"
    prefix.

    Sequences are tuples, not lists: analyses are cached, and the garbage collector stops
    tracking a tuple of strings or numbers, while it would scan a list at every full
    collection for as long as the cache holds it. For the same reason the compiled class
    is ``acyclic`` (it can never be part of a reference cycle): the collector does not
    track its instances at all.
    """

    __slots__ = (
        "text",
        "lowered",
        "words",
        "lemmas",
        "kinds",
        "flags",
        "meaningful",
        "period_at",
        "first",
        "has_ed",
        "number_at",
        "rare_at",
        "unknown_at",
        "_starts",
        "_raw",
        "_capitals_after_first",
        "_language",
    )

    def __init__(self, text: str) -> None:
        self.text = text
        lowered = text.lower()
        if len(lowered) != len(text):  # a few Unicode capitals lowercase to two characters
            lowered = "".join(c.lower()[0] for c in text)
        self.lowered = lowered
        tokens = tokenise(lowered)
        words = tuple(tokens)
        self.words = words
        lemmas: list[str] = []
        kinds: list[str] = []
        number_at: list[int] = []
        meaningful: list[int] = []
        period_at: list[int] = []
        rare_at: list[int] = []
        unknown_at: list[int] = []
        flags = 0
        memo = _tokens
        for i in range(len(tokens)):
            word = tokens[i]
            info = memo.get(word)
            if info is None:
                info = token_info(word)
            lemmas.append(info.lemma)
            kind = info.kind
            kinds.append(kind)
            if kind == NUMBER:
                number_at.append(i)
            elif info.meaningful:
                meaningful.append(i)
            zipf = info.zipf
            if 0.0 <= zipf < RARE_ZIPF:
                rare_at.append(i)
                if zipf == 0.0:
                    unknown_at.append(i)
            bits = info.flags
            if bits & PERIOD:
                period_at.append(i)
            flags |= bits
        self.lemmas = tuple(lemmas)
        self.kinds = "".join(kinds)
        self.flags = flags
        self.number_at = tuple(number_at) if number_at else ()
        self.meaningful = tuple(meaningful) if meaningful else ()
        self.period_at = tuple(period_at) if period_at else ()
        self.rare_at = tuple(rare_at) if rare_at else ()
        self.unknown_at = tuple(unknown_at) if unknown_at else ()
        self._language: str | None = None
        self.has_ed = "ed" in lowered and _ED_RE.search(lowered) is not None
        self._starts: tuple[int, ...] | None = None
        self._raw: tuple[str, ...] | None = None
        self._capitals_after_first: bool | None = None
        # Only a text opening with a label character or holding a colon can have a prefix.
        # ":" and the dashes are always tokens of their own.
        if lowered[:1] in _LABEL_STARTS or ":" in lowered or "—" in lowered or "–" in lowered:
            self.first = self._skip_label()
        else:
            self.first = 0

    @property
    def word_count(self) -> int:
        """Tokens that are words or numbers (not punctuation or symbols)."""
        kinds = self.kinds
        return len(kinds) - kinds.count(PUNCT) - kinds.count(SYMBOL)

    def _locate(self) -> None:
        # Between tokens there is only whitespace that no token can start with, so each
        # token is the first occurrence of its text after the previous one. (Ends are
        # start + length: one tuple fewer for every cached text.)
        starts: list[int] = []
        lowered = self.lowered
        position = 0
        for word in self.words:
            position = lowered.find(word, position)
            starts.append(position)
            position += len(word)
        self._starts = tuple(starts)

    @property
    def starts(self) -> tuple[int, ...]:
        """Character offset of each token."""
        if self._starts is None:
            self._locate()
        return self._starts  # type: ignore[return-value]

    def start(self, i: int) -> int:
        """Character offset of token i. Findings mostly point at the first few tokens,
        so those are found without locating every token."""
        starts = self._starts
        if starts is not None:
            return starts[i]
        if i > 3:
            return self.starts[i]
        lowered, words = self.lowered, self.words
        position = lowered.find(words[0])
        for k in range(1, i + 1):
            position = lowered.find(words[k], position + len(words[k - 1]))
        return position

    @property
    def ends(self) -> tuple[int, ...]:
        """Character offset just after each token."""
        words = self.words
        starts = self.starts
        return tuple([starts[i] + len(words[i]) for i in range(len(words))])

    @property
    def raw(self) -> tuple[str, ...]:
        """Tokens as written (for capitals)."""
        if self._raw is None:
            text = self.text
            words, starts = self.words, self.starts
            self._raw = tuple([text[starts[i] : starts[i] + len(words[i])] for i in range(len(words))])
        return self._raw

    def may_have_capitals_after_first(self) -> bool:
        """False when no character after the first is a capital (then no token but the
        first can be capitalised), True when one may be."""
        if self._capitals_after_first is None:
            text = self.text
            # (ASCII only: some Unicode capitals, like "ℂ", are their own lowercase.)
            self._capitals_after_first = not (text.isascii() and text[1:] == self.lowered[1:])
        return self._capitals_after_first

    def is_capitalised(self, i: int) -> bool:
        """Whether token i starts with a capital as written (``raw[i][0].isupper()``)."""
        # Most texts have no capital after their first letter: the offsets need not be
        # computed to know that.
        if i > 0 and self._starts is None and not self.may_have_capitals_after_first():
            return False
        return self.text[self.start(i)].isupper()

    def _skip_label(self) -> int:
        first = 0
        # Cheap test first: a label starts with a bullet, a digit, "o", "k" or space.
        label = _LABEL_RE.match(self.text) if self.lowered[:1] in _LABEL_STARTS else None
        if label is not None and label.end() > 0:
            cut = label.end()
            starts = self.starts
            while first < len(starts) and starts[first] < cut:
                first += 1
        # A short "Team:" or "Sales leadership:" prefix names an owner, not the goal; but
        # "Hire engineers: +1 frontend, +1 security" is the goal, led by its verb.
        words = self.words
        if first < len(words) and self.lemmas[first] not in lx.OUTPUT_VERBS:
            for i in range(first, min(first + 5, len(words))):
                # "Ops: …", and a short "Q3 — …" (longer text before a dash is an aside).
                if words[i] == ":" or (words[i] in _PREFIX_ENDS and i - first <= 2):
                    if i + 1 < len(words):
                        return i + 1
                    break
        return first

    def span(self, start_token: int, end_token: int) -> tuple[int, int]:
        """Character span covering tokens [start_token, end_token]."""
        return (self.start(start_token), self.start(end_token) + len(self.words[end_token]))

    def __len__(self) -> int:
        return len(self.words)


def _kind_of(first_char: str) -> str:
    kind = _KIND_BY_FIRST_CHAR.get(first_char)
    if kind is None:
        kind = NUMBER if first_char.isdigit() else WORD if first_char.isalpha() else PUNCT
        _KIND_BY_FIRST_CHAR[first_char] = kind
    return kind


K = TypeVar("K")
V = TypeVar("V")


class RecentCache(Generic[K, V]):
    """A bounded cache of recent values that keeps for long only what is asked for twice.

    Admission: a freshly computed value goes on probation (``admit``), a small area that
    holds the last few dozen; a hit there moves it into the cache proper. Most texts are
    judged once (generated candidates, each version of a key result being typed), and
    keeping them would buy nothing: every kept value's tuples are scanned by the next
    garbage collection (once the objects alive since it pass 700), it takes fresh memory
    instead of memory just freed, and the entries it pushes out are ones that do repeat
    (the objective and the key results the user is not editing). A value used again soon
    (the same text in the next call) is found on probation, not computed again. The keys
    of values computed once are remembered longer (``seen``: strings, which the collector
    never scans), so a text that comes back later is computed once more and then kept.

    Storage: two generations of at most ``size`` entries (and two of ``PROBATION`` on
    probation). New entries go into the current generation; when it is full it becomes
    the previous one and the older is dropped at once. A hit in the previous generation
    is copied forward, so what is in use survives. Compared with ``functools.lru_cache``:
    no linked list node per entry (a GC-tracked object each), no re-ordering on every
    hit, and a dict whose values are all untracked (compiled acyclic readings) is not
    tracked itself.
    """

    PROBATION: Final = 16

    __slots__ = ("size", "current", "previous", "trial", "earlier_trial", "seen")

    def __init__(self, size: int) -> None:
        self.size = size
        self.current: dict[K, V] = {}
        self.previous: dict[K, V] = {}
        self.trial: dict[K, V] = {}  # on probation: computed once, not asked for again yet
        self.earlier_trial: dict[K, V] = {}
        self.seen: dict[K, bool] = {}  # keys of values computed once (up to ``size``)

    def get(self, key: K) -> V | None:
        value = self.current.get(key)
        if value is None:
            value = self.previous.get(key)
            if value is None:
                value = self.trial.pop(key, None)
                if value is None:
                    value = self.earlier_trial.pop(key, None)
                    if value is None:
                        return None
            self.put(key, value)
        return value

    def get_or_compute(self, key: K, compute: Callable[[K], V]) -> V:
        """The value for ``key``, computing (and admitting) it when it is not kept."""
        value = self.get(key)
        if value is None:
            value = compute(key)
            self.admit(key, value)
        return value

    def admit(self, key: K, value: V) -> None:
        """Keep a freshly computed value: on probation the first time its key is seen."""
        if self.seen.pop(key, False):
            self.put(key, value)  # computed before: it repeats
            return
        if len(self.seen) >= self.size:
            self.seen = {}
        self.seen[key] = True
        if len(self.trial) >= self.PROBATION:
            self.earlier_trial = self.trial
            self.trial = {}
        self.trial[key] = value

    def put(self, key: K, value: V) -> None:
        """Store a value in the cache proper."""
        if len(self.current) >= self.size:
            self.previous = self.current
            self.current = {}
        self.current[key] = value

    def clear(self) -> None:
        self.current = {}
        self.previous = {}
        self.trial = {}
        self.earlier_trial = {}
        self.seen = {}

    def __len__(self) -> int:
        """Entries in the cache proper (not those on probation)."""
        return len(self.current) + len(self.previous)


_analyses: Final[RecentCache[str, Analysis]] = RecentCache(4096)


def analyse(text: str) -> Analysis:
    """Tokenise and featurise a text (cached: the same text is often judged many times,
    e.g. while a user types or when a candidate is re-scored)."""
    return _analyses.get_or_compute(text, Analysis)


def clear_cache() -> None:
    _analyses.clear()


def mark_span(mask: list[bool], start: int, end: int) -> None:
    """Mark the tokens ``start`` to ``end`` (both included) as part of a phrase found."""
    for k in range(start, end + 1):
        mask[k] = True
