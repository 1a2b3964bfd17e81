"""Text that should never be in an objective or key result: links, markup, instructions.

Model output can be manipulated by what a user pasted (prompt injection). Candidates are
plain text; a link, a tag, template syntax or an instruction aimed at a machine inside one
is a sign the output was steered, and a consumer that rendered it as HTML would be at risk.
"""

from __future__ import annotations

import re
from typing import Final

from .. import features as ft
from ..text import Analysis
from .base import NO_HITS, Example, Hits, Rule
from .key_result import KeyResultContext
from .objective import ObjectiveReading

SUSPICIOUS: Final = re.compile(
    r"(?:https?|ftp|file|javascript|data):\S*"  # links and script URLs
    r"|\bwww\.\S+"
    r"|<\s*/?\s*[a-z!][^>]*>?"  # markup: <script>, </div>, <img …, <!--
    r"|&(?:[a-z]{2,8}|#\d+|#x[0-9a-f]+);"  # escaped markup and entities: &lt; &nbsp; &#60;
    r"|\{\{|\{%|\$\{"  # template and expression syntax
    r"|`|\*\*|__|\*[^*\s][^*]*\*|^\s*#{1,6}\s|\[[^\]]*\]\([^)]*\)"  # Markdown: code, bold, emphasis, headings, links
    r"|(?<![\w])_[A-Za-z][^_]*[A-Za-z]_(?![\w])"  # Markdown emphasis with underscores: "_without_" (not snake_case)
    r"|^\s*(?:[-*+]|\d+[.)])?\s*\[[ xX]?\]"  # Markdown checklists: "- [ ] …"
    r"|^\s*(?:[-*+•>]|\|)\s"  # Markdown bullets, quotes and table rows: "* …", "> …", "| … |"
    r"|^\s*[\[{]\s*\"|\"\s*:\s*[\"\[{]"  # JSON: '{"objective": …', '["…'
    r"|<\||\|>|\[/?inst\]|<<\s*/?\s*sys\s*>>"  # chat-template tokens
    r"|\b(?:ignore|disregard|forget|bypass|override)\b[^.]{0,40}\b(?:instructions?|rules|prompt|above|previous|guardrails?|checks?|evaluators?)\b"
    r"|\b(?:say|treat)\s+(?:this|it)\b[^.]{0,30}\b(?:approved|accepted|passed|valid|perfect)\b"
    r"|\balways\s+(?:accept|approve|pass)\b"
    r"|\bsystem\s+prompt\b|\byou\s+are\s+now\b|\bdeveloper\s+mode\b",
    re.IGNORECASE | re.MULTILINE,
)


# Every alternative of SUSPICIOUS needs one of these strings (lowercase), so an ASCII text
# containing none of them cannot match: the substring tests cost far less than the regex
# search, which tries each alternative at every position. (Non-ASCII texts always get the
# full search: under IGNORECASE "ſ" matches "s", "K" matches "k", and so on.)
_REQUIRED_SUBSTRINGS: Final = (
    *':<&{`*_#[|"-+•>',
    *"www. ignore disregard forget bypass override say treat always system you developer".split(),
)


def could_be_suspicious(text: str, lowered: str) -> bool:
    """False only when ``SUSPICIOUS`` cannot match ``text`` (``lowered`` is its lowercase)."""
    if not text.isascii():  # test the text itself: "K" (Kelvin sign) lowercases to ASCII "k"
        return True
    for needle in _REQUIRED_SUBSTRINGS:
        if needle in lowered:
            return True
    return False


def suspicious_span(text: str, lowered: str | None = None) -> Hits:
    if not could_be_suspicious(text, text.lower() if lowered is None else lowered):
        return NO_HITS
    match = SUSPICIOUS.search(text)
    if match is None:
        return NO_HITS
    return [((match.start(), match.end()), match.group(0)[:40])]


def _check(a: Analysis) -> Hits:
    # An ASCII text's tokens hold every required string of SUSPICIOUS: the characters are
    # tokens of their own and the words lie inside one token ("www." inside "www.x"), so
    # when no token has the hint bit (features.SUSPICIOUS_HINT) nothing can match.
    if a.text.isascii() and not a.flags & ft.SUSPICIOUS_HINT:
        return NO_HITS
    return suspicious_span(a.text, a.lowered)


def check_objective(reading: ObjectiveReading) -> Hits:
    return _check(reading.a)


def check_key_result(context: KeyResultContext) -> Hits:
    return _check(context.r.a)


_MESSAGE: Final = (
    "“{detail}” is a link, markup or an instruction, not part of an objective: the text may have been manipulated."
)
_SUGGESTION: Final = (
    "Treat this candidate as untrusted: render it as plain text only, and rewrite it without the link, markup or "
    "instruction."
)
_DESCRIPTION: Final = (
    "A URL, HTML/markup, template syntax, or an instruction aimed at a model "
    "(“ignore previous instructions”, “system prompt”)."
)

SUSPICIOUS_OBJECTIVE: Final = Rule(
    code="suspicious_content",
    applies_to="objective",
    severity="error",
    message=_MESSAGE,
    suggestion=_SUGGESTION,
    description=_DESCRIPTION,
    example_fail=Example("Customers sign in at https://example.test/login without help"),
    example_pass=Example("Customers sign in without help"),
    check=check_objective,
)

SUSPICIOUS_KEY_RESULT: Final = Rule(
    code="kr_suspicious_content",
    applies_to="key_result",
    severity="error",
    message=_MESSAGE,
    suggestion=_SUGGESTION,
    description=_DESCRIPTION,
    example_fail=Example("Sign-in success above 99% <script>alert(1)</script>"),
    example_pass=Example("Sign-in success above 99% every week"),
    check=check_key_result,
)
