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
# A run of this many words copied from the instructions is a leak, not a coincidence; shorter
# runs happen honestly (the prompt's worked example, its stock phrases).
SHINGLE = 12


@lru_cache(maxsize=64)
def instruction_shingles(instructions: str) -> frozenset[tuple[str, ...]]:
    """System prompts repeat across requests; their shingles are computed once."""
    return frozenset(_shingles(instructions))


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
        # Runs of words the user typed themselves are not leaks, even if the prompt has them
        # too. Worked out only when a text shares a run with the instructions (rarely): every
        # reply is screened, and copying the prompt's whole shingle set per call was a tenth
        # of the server's CPU under load.
        self._allowed_text = allowed_text
        self._allowed: set[tuple[str, ...]] | None = None
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def _repeats_instructions(self, text: str) -> bool:
        words = _WORD.findall(text.lower())
        if len(words) < SHINGLE:
            return False
        instructions = self.instruction_shingles
        shared = {
            shingle for i in range(len(words) - SHINGLE + 1) if (shingle := tuple(words[i : i + SHINGLE])) in instructions
        }
        if not shared:
            return False
        if self._allowed is None:
            self._allowed = _shingles(self._allowed_text)
        return not shared <= self._allowed

    def leak_in(self, draft: CandidateDraft) -> str | None:
        for text in _draft_texts(draft):
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
