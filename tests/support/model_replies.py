"""What an OpenAI-compatible server answers, for tests that mock it with respx."""

from __future__ import annotations

import json

import httpx

GOOD_REPLY = {
    "candidates": [
        {
            "objective": "Make search easier to support and keep running",
            "problem_statement": "Search is out of support and eats the team's time.",
            "hypothesis": "We believe upgrading will result in less toil. We will know when support hours fall.",
            "key_results": [
                {
                    "text": "Reduce support hours for search from a baseline to be measured",
                    "metric": "support hours",
                    "baseline": None,
                    "target": None,
                    "deadline": "end of quarter",
                },
                {
                    "text": "Keep search availability at or above its current level",
                    "metric": "availability",
                    "baseline": None,
                    "target": None,
                    "deadline": None,
                },
            ],
        }
    ]
}


def completion(
    content: str | None, *, finish_reason: str = "stop", refusal: str | None = None, tokens: int = 10
) -> dict:
    """A chat completion whose one choice says ``content``."""
    message = {"role": "assistant", "content": content}
    if refusal:
        message["refusal"] = refusal
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1,
        "model": "test-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": tokens, "completion_tokens": tokens * 2, "total_tokens": tokens * 3},
    }


def ok(content: str | dict = GOOD_REPLY, **kwargs) -> httpx.Response:
    """A 200 whose completion carries ``content`` (a dict is sent as its JSON)."""
    text = content if isinstance(content, str) else json.dumps(content)
    return httpx.Response(200, json=completion(text, **kwargs))
