"""Output handling for model replies (OWASP LLM05/LLM07): nothing secret or internal leaves.

A naive or manipulated model may repeat its instructions or a secret it was shown. Each
candidate is screened before anything else sees it: one that repeats a run of words from
the system prompt, or contains a configured secret, is dropped whole (editing it would
leave a half-sentence of someone else's making). Markup, URLs and instructions inside the
candidates that survive are flagged by the evaluators' ``suspicious_content`` rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from rewriter.domain import CandidateDraft

_WORD = re.compile(r"[a-z0-9']+")
# A draft's fields are screened as one text, joined by a mark that _REPLY_WORD reads as a word
# of its own: never one of the instructions' words (_WORD cannot match it), so no run of words
# crosses from one field into the next.
_FIELD_BREAK = " \u00b6 "
_REPLY_WORD = re.compile(r"[a-z0-9']+|\u00b6")
# A run of this many words copied from the instructions is a leak, not a coincidence; shorter
# runs happen honestly (the prompt's worked example, its stock phrases).
SHINGLE = 12


@lru_cache(maxsize=64)
def instruction_shingles(instructions: str) -> frozenset[tuple[str, ...]]:
    """System prompts repeat across requests; their shingles are computed once."""
    return frozenset(_shingles(instructions))


@lru_cache(maxsize=64)
def instruction_words(instructions: str) -> frozenset[str]:
    """Every word of the instructions: a copied run has only these, a cheap test to do first."""
    return frozenset(_WORD.findall(instructions.lower()))


def _shingles(text: str, size: int = SHINGLE) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def _draft_texts(draft: CandidateDraft) -> Iterable[str]:
    yield draft.objective
    yield draft.problem_statement
    yield draft.hypothesis
    for kr in draft.key_results:
        yield kr.text
        for part in (kr.metric, kr.baseline, kr.target, kr.deadline):
            if part:
                yield part


class OutputGuard:
    def __init__(self, *, instructions: str, secrets: Iterable[str] = (), allowed_text: str = "") -> None:
        self.instruction_shingles = instruction_shingles(instructions)
        self.instruction_words = instruction_words(instructions)
        # Runs of words the user typed themselves are not leaks, even if the prompt has them
        # too. Worked out only when a text shares a run with the instructions (rarely): every
        # reply is screened, and copying the prompt's whole shingle set per call was a tenth
        # of the server's CPU under load.
        self._allowed_text = allowed_text
        self._allowed: set[tuple[str, ...]] | None = None
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def _repeats_instructions(self, text: str) -> bool:
        words = _REPLY_WORD.findall(text.lower())
        if len(words) < SHINGLE:
            return False
        # Only where SHINGLE words in a row are all words of the instructions can a run be
        # copied from them: most replies have none, and are cleared without building a shingle.
        vocabulary, instructions = self.instruction_words, self.instruction_shingles
        shared: set[tuple[str, ...]] = set()
        in_a_row = 0
        for end, word in enumerate(words, start=1):
            if word not in vocabulary:
                in_a_row = 0
                continue
            in_a_row += 1
            if in_a_row >= SHINGLE and (shingle := tuple(words[end - SHINGLE : end])) in instructions:
                shared.add(shingle)
        if not shared:
            return False
        if self._allowed is None:
            self._allowed = _shingles(self._allowed_text)
        return not shared <= self._allowed

    def leak_in(self, draft: CandidateDraft) -> str | None:
        text = _FIELD_BREAK.join(_draft_texts(draft))
        if any(secret in text for secret in self.secrets):
            return "a secret"
        if self._repeats_instructions(text):
            return "the system instructions"
        return None

    def screen(self, drafts: list[CandidateDraft]) -> tuple[list[CandidateDraft], list[str]]:
        kept, dropped = [], []
        for draft in drafts:
            leak = self.leak_in(draft)
            if leak:
                dropped.append(leak)
            else:
                kept.append(draft)
        return kept, dropped
