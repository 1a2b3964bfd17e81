"""How the offline engine reads what people really write (issue 12): discovery questions, who
benefits named in the context, stories whose want is already an ability, unknown nouns, and
the figures people give."""

from __future__ import annotations

import asyncio

import pytest

from rewriter.domain import RewriteSpec
from rewriter.figures import stated_measures
from rewriter.offline import OfflineEngine
from rewriter.pipeline import RewritePipeline
from rewriter.reading import countable, discovery_question, people_named, read_request
from rewriter.things import noun_phrase

PIPELINE = RewritePipeline(OfflineEngine())


def rewrite(request: str, context: str | None = None):
    return asyncio.run(PIPELINE.rewrite(RewriteSpec(request=request, context=context)))


@pytest.mark.parametrize(
    ("request_text", "objective"),
    [
        (
            "Figure out why trial users don't invite their teammates",
            "Understand why trial users don't invite their teammates",
        ),
        (
            "Can someone look into whether customers would pay for a premium support tier?",
            "Learn whether customers would pay for a premium support tier",
        ),
        (
            "Find out which features enterprise admins actually use",
            "Learn which features enterprise admins actually use",
        ),
        (
            "We need to understand how clinics schedule follow-up appointments before we build anything",
            "Learn how clinics schedule follow-up appointments",
        ),
    ],
)
def test_a_discovery_question_is_the_learning_objective(request_text, objective):
    result = rewrite(request_text)
    assert result.mission == "discovery"
    assert result.candidates[0].objective == objective
    assert all(kr.metric is None for kr in result.candidates[0].key_results)  # research milestones, not metrics


def test_the_question_leaves_out_why_it_is_asked():
    assert discovery_question(
        "Research what's stopping small businesses from filing online, because the mandate starts soon"
    ) == ("what's stopping small businesses from filing online")
    assert discovery_question("Explore personalisation") is None


@pytest.mark.parametrize(
    ("text", "people"),
    [
        ("Accounting teams at our customers keep asking support for spreadsheets", "accounting teams"),
        ("Reception staff can't find patients with Irish names", "reception staff"),
        ("checkout does nothing on safari. customers are complaining on twitter", "customers"),
        ("Our biggest customers have thousands of projects", "customers"),
        ("Whether customers would pay", "customers"),
        ("The team keeps paging itself", None),
    ],
)
def test_people_named_in_a_text(text, people):
    assert people_named(text) == people


def test_who_benefits_comes_from_the_context_when_the_request_names_a_place_not_people():
    read = read_request(
        "Build a CSV export for the invoices page",
        "Accounting teams at our customers keep asking support to send them spreadsheets",
    )
    assert read.beneficiary == "accounting teams"


def test_a_country_is_where_the_users_are():
    assert read_request("Localize the sign-up flow for Japan").beneficiary == "users in Japan"
    assert read_request("Add SSO for IT").beneficiary != "users in Italy"


def test_a_want_that_is_already_an_ability_is_the_outcome():
    result = rewrite("As a parent, I want to be able to see which consent forms I have submitted")
    assert result.candidates[0].objective == "Parents can see which consent forms they have submitted"


def test_a_want_for_a_state_is_the_outcome():
    read = read_request("As an Agency user, I want FPDS data to be up-to-date daily.")
    assert read.purpose == "FPDS data is up-to-date daily"


def test_a_so_that_clause_that_leans_on_a_pronoun_is_not_pasted_after_can():
    result = rewrite(
        "As a participant, I want to always have the cards in the same order, so that it's easy to compare estimates"
    )
    assert all("can it" not in c.objective.lower() for c in result.candidates)


def test_a_story_role_is_kept_whole_in_its_key_results():
    result = rewrite("As a Staff member, I want to Process the Appeals, so that I can track the outcome of each appeal")
    first = result.candidates[0]
    assert first.objective == "Staff members can track the outcome of each appeal"
    assert "staff members who track the outcome" in first.key_results[0].text.lower()


def test_an_unknown_noun_for_nobody_named_gets_questions_not_a_frame():
    result = rewrite("Create a test case for insulating environment variables in module property lookup")
    assert result.candidates == []
    assert result.questions and result.notice


def test_a_feature_is_about_the_capability_it_is_added_to():
    result = rewrite("Add a dark mode to the mobile banking app")
    assert result.candidates and "mobile banking" in result.candidates[0].objective
    assert all("dark mode" not in c.objective for c in result.candidates)


def test_a_bug_report_is_about_the_thing_working_for_the_people_it_fails():
    result = rewrite(
        "Search returns zero results when the name has an apostrophe",
        "Reception staff can't find patients with Irish names",
    )
    assert any("reception staff" in c.objective.lower() and "search" in c.objective.lower() for c in result.candidates)
    assert all("bug" not in c.objective.lower() for c in result.candidates)


def test_an_upgrade_names_no_version_and_no_unrelated_frame():
    result = rewrite("Upgrade React 16 -> 18 across the storefront monorepo")
    assert result.candidates[0].objective == "Make the web front end easier to support and keep running"
    assert all("timely response" not in c.objective for c in result.candidates)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("a staging environment that actually mirrors prod", ["staging", "environment"]),
        ("all data encrypted", ["data"]),
        ("Users getting logged out randomly", ["users"]),
        ("16 -> 18", []),
    ],
)
def test_noun_phrases_end_where_the_thing_ends(text, phrase):
    assert noun_phrase(text) == phrase


def test_countable_nouns_take_an_article_mass_nouns_do_not():
    assert countable("environment") and countable("intranet") and countable("form")
    assert (
        not countable("onboarding")
        and not countable("personalisation")
        and not countable("data")
        and not countable("invoices")
    )


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (
            "The form has 7 steps and the median completion time is 34 minutes.",
            [("Steps in the form", "7", True), ("Median completion time", "34 minutes", True)],
        ),
        (
            "No-show rate is 12%, that's roughly 900 wasted slots a month across our 4 clinics.",
            [("No-show rate", "12%", True), ("Wasted slots a month across 4 clinics", "900", True)],
        ),
        (
            "Crash-free sessions are at 97.2% on Android and 99.5% on iOS.",
            [("Crash-free sessions on Android", "97.2%", False), ("Crash-free sessions on iOS", "99.5%", False)],
        ),
    ],
)
def test_counts_places_and_per_period_figures_become_baselines(context, expected):
    assert [(m.metric, m.baseline, m.falls) for m in stated_measures(context)] == expected


def test_a_figure_held_against_terms_is_kept_as_the_comparison():
    (measure, *_) = stated_measures("Days sales outstanding is 58 days while our terms are net 30.")
    assert (measure.baseline, measure.reference) == ("58 days", "terms of net 30")


def test_every_figure_in_the_context_reaches_a_key_result():
    result = rewrite(
        "Simplify the loan application form",
        "Half of applicants give up at step 3. The form has 7 steps and the median completion time is 34 minutes.",
    )
    texts = " ".join(kr.text for kr in result.candidates[0].key_results)
    assert "50%" in texts and "7" in texts and "34 minutes" in texts


def test_markup_pasted_with_a_request_is_not_read_as_words():
    read = read_request('Build <img src=x onerror="alert(1)"> a <b>bold</b> portal')
    assert read.capability == "self-service" and "b" not in read.thing.split()


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (
            "First contact resolution is 54%. Leadership wants 70% by end of Q4.",
            ("First contact resolution", "54%", "70%", "end of Q4"),
        ),
        ("Builds take 42 min; the goal is 15 min by March.", ("Time builds take", "42 min", "15 min", "March")),
        ("Chargebacks are up; finance refunded $18k last month.", ("Money refunded each month", "$18k", None, None)),
        (
            "40% of helpdesk tickets are password resets, each costs about $25 to handle.",
            ("Share of helpdesk tickets that are password resets", "40%", None, None),
        ),
        (
            "Status calls are about a third of inbound volume at the contact centre.",
            ("Status calls as a share of inbound volume at the contact centre", "33%", None, None),
        ),
        (
            "Median time from first customer report to crew on site is 4h10m; the regulator target is 2h.",
            ("Median time from first customer report to crew on site", "4h10m", "2h", None),
        ),
        (
            "On-time delivery in the north is 81% vs 94% in the other regions. The SLA with our main customer is 92%.",
            ("On-time delivery in the north", "81%", "92%", None),
        ),
    ],
)
def test_targets_durations_money_and_parts_the_user_gave_are_read(context, expected):
    first = stated_measures(context)[0]
    assert (first.metric, first.baseline, first.target, first.deadline) == expected


def test_a_target_the_user_gave_is_the_key_results_target():
    result = rewrite(
        "Help support agents resolve tickets on first contact",
        "First contact resolution is 54%. Leadership wants 70% by end of Q4.",
    )
    assert "First contact resolution rises from 54% to 70% by the end of Q4" in [
        kr.text for kr in result.candidates[0].key_results
    ]


def test_when_nothing_else_says_what_should_change_the_first_figure_does():
    result = rewrite(
        "Port-in process for mobile numbers",
        "Number porting takes 4.2 business days vs 1 day at the two main competitors.",
    )
    assert result.candidates[0].objective == "Cut the time number porting takes"
    assert result.candidates[0].key_results[0].baseline == "4.2 business days"


@pytest.mark.parametrize(
    "request_text",
    [
        "SSO",
        "improve the dashboard",
        "The onboarding needs to be better",
        "We need to do something about the data platform",
    ],
)
def test_a_wish_or_a_bare_name_gets_questions(request_text):
    result = rewrite(request_text)
    assert result.candidates == [] and result.questions


def test_what_serves_the_team_is_judged_by_speed_when_the_user_timed_it():
    result = rewrite(
        "we need to move CI from jenkins to github actions",
        "Builds take 42 min on average and devs complain about it in every retro.",
    )
    assert result.candidates[0].objective.startswith("Make builds fast enough")
    assert "effortless" not in " ".join(c.objective for c in result.candidates)


def test_the_batch_cache_never_serves_an_answer_from_an_engine_that_read_differently(tmp_path, monkeypatch):
    from rewriter import offline

    before = OfflineEngine().cache_identity("delivery")
    assert before.endswith(offline.engine_fingerprint())
    # The same engine with another capabilities map is another engine.
    copy = tmp_path / "rewriter"
    (copy / "data").mkdir(parents=True)
    here = offline.Path(offline.__file__).resolve().parent
    for name in ("offline.py", "reading.py", "things.py", "figures.py", "questions.py", "data/capabilities.toml"):
        (copy / name).write_bytes((here / name).read_bytes())
    (copy / "data/capabilities.toml").write_bytes(
        (here / "data/capabilities.toml").read_bytes() + b'"zzz" = { capability = "search" }\n'
    )
    monkeypatch.setattr(offline, "__file__", str(copy / "offline.py"))
    offline.engine_fingerprint.cache_clear()
    try:
        assert OfflineEngine().cache_identity("delivery") != before
    finally:
        offline.engine_fingerprint.cache_clear()


@pytest.mark.parametrize(
    "request_text", ["Users getting logged out mid-form and they lose everything", "Donation receipts emailed twice"]
)
def test_faults_are_read_as_faults_never_kept_as_outcomes(request_text):
    assert read_request(request_text).work_kind == "fix"
    assert all(c.objective != request_text for c in rewrite(request_text).candidates)


def test_an_answer_with_no_candidate_always_asks_something():
    for request_text in [
        "SSO",
        "Create a test case for insulating environment variables in module property lookup",
        "improve the dashboard",
    ]:
        result = rewrite(request_text)
        assert result.candidates == [] and result.questions, request_text
