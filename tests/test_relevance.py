"""evaluators.relevance: is a candidate about the request, or about something else (the prompt's example)?"""

from __future__ import annotations

import pytest

from evaluators import judge_relevance
from prompts import default_library

EXAMPLES = default_library().for_mission("delivery").header.examples


def code(
    request: str, objective: str, *texts: str, context: str | None = None, related: tuple[str, ...] = ()
) -> str | None:
    finding = judge_relevance(request, objective, texts, context=context, related=related, examples=EXAMPLES)
    if finding is not None:
        assert finding.severity == "error" and request in finding.message
    return finding.code if finding else None


def test_the_delivery_prompt_declares_its_worked_example():
    assert "Upgrade Elasticsearch" in EXAMPLES


@pytest.mark.parametrize(
    ("request_text", "objective", "texts"),
    [
        ("Add dark mode to the dashboard", "Make search easier to support and more resilient", ["Support hours fall"]),
        # The copied objective stays a copy even when another field mentions the request.
        (
            "Add dark mode to the dashboard",
            "Make search easier to support and more resilient",
            ["Dark mode on the dashboard is missing"],
        ),
        ("Add dark mode to the dashboard", "Upgrade Elasticsearch", ["Search availability stays high"]),
        ("Build a customer portal", "Keep Elasticsearch supported and search resilient", ["Search incidents fall"]),
    ],
)
def test_copies_of_the_worked_example_are_named_as_such(request_text, objective, texts):
    assert code(request_text, objective, *texts) == "copies_prompt_example"


def test_a_candidate_about_something_else_entirely_is_off_topic():
    assert (
        code("Add dark mode to the dashboard", "Grow newsletter sign-ups among new visitors", "Weekly sign-ups rise")
        == "off_topic"
    )


@pytest.mark.parametrize(
    ("request_text", "objective", "texts", "context", "related"),
    [
        ("Add dark mode to the dashboard", "Make the dashboards comfortable to read at night", [], None, ()),
        # The example is the right answer for a request about search: its words are the request's.
        ("Upgrade Elasticsearch", "Make search easier to support and more resilient", [], None, ("search",)),
        ("Upgrade OpenSearch", "Make search easier to support and more resilient", [], None, ("search",)),
        # The capability, not the thing: given by the caller from the capability map.
        ("Migrate to Kubernetes", "Let teams ship deployments without waiting", [], None, ("deployments",)),
        # One shared word anywhere in the candidate is enough.
        ("Adopt Snowflake", "Give analysts answers in minutes", ["Queries on Snowflake take hours today"], None, ()),
        # The context counts as the request's subject.
        ("Replace the widget", "Help support agents answer faster", [], "Agents hate the widget's slowness", ()),
        # Languages the model answers in share their own words.
        ("Die Datenbank auf PostgreSQL 16 aktualisieren", "Die Datenbanken laufen stabil", [], None, ()),
    ],
)
def test_candidates_about_the_request_pass(request_text, objective, texts, context, related):
    assert code(request_text, objective, *texts, context=context, related=related) is None


def test_what_cannot_be_told_is_not_flagged():
    assert code("Do it", "Make search easier to support and more resilient") is None  # nothing to share
    assert code("ダッシュボードにダークモードを追加", "Make search easier") is None  # unspaced script
