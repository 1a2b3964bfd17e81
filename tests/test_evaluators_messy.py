"""The evaluators on messy, real input: garbled candidates, echoes, vague asks, bug reports,
other languages, missions, guardrails and ranking. Each rule is pinned by sentences that
must trigger it and sentences that must not."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.rounds import assessed_right, codes, read_rows, set_judged_right

from evaluators import RULES, evaluate, judge_key_result, judge_objective, load_config

FIXTURES = Path(__file__).parent / "fixtures"


# ------------------------------------------------------------------------------ fluency


@pytest.mark.parametrize(
    "text",
    [
        "Make the Improve things effortless for users",
        "Users choose the Increase NPS from 32 to 45 by Q3 because it helps them",
        "Help users get things done with the Customers renew their subscriptions without calling",
        "Warehouse pickers can warehouse pickers don't have to walk back to the terminal",
        "Customers find the the right answer without calling",
        "Make a the checkout effortless for shoppers",
        "Drivers spend less time re-keying of the of parcels",
        "Make checkouting effortless for customersing",
        "Make the Datenbank aktualisieren effortless for users",
        "Make the 結帳頁面 effortless for users",
        "Customers renew\u200b without calling support",
        "🚀🚀🚀",
        "!!! ???",
        "Should we upgrade Elasticsearch?",
        "How might we reduce churn",
    ],
)
def test_not_fluent_fires_on_garbled_text(text: str) -> None:
    judgement = judge_objective(text)
    assert "not_fluent" in codes(judgement), judgement
    assert judgement.score <= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Make search easier to support and keep running",
        "Customers renew their subscriptions without needing to call support",
        "Patients book appointments online without phoning the practice",
        "Teams ship changes without waiting for infrastructure tickets",
        "Make the API easier for partners to integrate with",
        "Webhook deliveries reach partners without retries",
        "Disabled residents get their parking permit without resubmissions",
        "Shoppers on phones finish checkout without help",
    ],
)
def test_not_fluent_leaves_plain_sentences_alone(text: str) -> None:
    assert "not_fluent" not in codes(judge_objective(text, request="Rebuild it"))


def test_a_word_the_user_wrote_is_a_word_and_one_nobody_wrote_is_not() -> None:
    text = "Frobnicators reach the warehouse without delays"
    assert "not_fluent" in codes(judge_objective(text, request="Rebuild the scheduler"))
    assert "not_fluent" not in codes(judge_objective(text, request="Rebuild the frobnicators"))


def test_kr_not_fluent_fires_on_a_made_up_inflection() -> None:
    assert "kr_not_fluent" in codes(judge_key_result("Checkouting time falls from 4 to 2 minutes by June"))
    assert "kr_not_fluent" not in codes(judge_key_result("Checkout time falls from 4 to 2 minutes by June"))


# --------------------------------------------------------------------------------- echo


def test_echo_fires_on_an_output_request_pasted_into_a_frame() -> None:
    judgement = judge_objective(
        "Make the send a weekly newsletter to users effortless", request="Send a weekly newsletter to users"
    )
    finding = next(f for f in judgement.findings if f.code == "echoes_request")
    assert finding.severity == "error"
    assert judgement.text[finding.span[0] : finding.span[1]].lower().startswith("send a weekly newsletter")


def test_echo_does_not_fire_without_a_shared_run_or_on_an_outcome_request() -> None:
    request = "Send a weekly newsletter to users"
    assert "echoes_request" not in codes(judge_objective("Subscribers keep up with what changed", request=request))
    outcome = "Customers renew their subscriptions without calling support"
    assert "echoes_request" not in codes(judge_objective(outcome, request=outcome))  # a good request kept


# -------------------------------------------------------------------------------- vague


@pytest.mark.parametrize(
    "text",
    [
        "Improve things",
        "Make the product better for users",
        "World class everything",
        "Drive excellence across the board",
        "Be more innovative",
    ],
)
def test_vague_is_an_error(text: str) -> None:
    judgement = judge_objective(text)
    assert any(f.code == "vague" and f.severity == "error" for f in judgement.findings), judgement


@pytest.mark.parametrize(
    "text",
    [
        "Make search easier to support",
        "Improve delivery times for rural customers",
        "Faster checkout on phones",
        "Grow revenue from schools",
    ],
)
def test_vague_spares_objectives_that_name_a_change(text: str) -> None:
    assert "vague" not in codes(judge_objective(text))


# ------------------------------------------------------------------------------ defects


@pytest.mark.parametrize(
    "text",
    [
        "Checkout button does nothing on Safari 17",
        "Cannot delete data with a non admin role",
        "Password reset emails arrive 20 minutes late",
        "Fix the login timeout",
        "App crashes when uploading a photo",
        "Search returns no results for accented names",
        "Export times out for large files",
        "Drag and Drop not working with Scrolling",
        "NullPointerException when saving a draft",
        "Rejected jobs are dropped",
    ],
)
def test_bug_reports_are_outputs(text: str) -> None:
    judgement = judge_objective(text)
    assert judgement.kind == "output", judgement
    assert any("fault" in f.message for f in judgement.findings if f.code == "output_verb")


@pytest.mark.parametrize(
    "text",
    [
        "Fewer payments fail at checkout",
        "Customers pay without errors",
        "Automated checks catch most payment errors before month end",
        "Customers never see an error page",
        "Customers don't have to call support to change their plan",
    ],
)
def test_asking_for_the_fault_to_go_is_an_outcome(text: str) -> None:
    assert judge_objective(text).kind == "outcome"


# ----------------------------------------------------------------------------- language


@pytest.mark.parametrize(
    ("text", "language", "kind"),
    [
        ("Die Datenbank auf PostgreSQL 16 aktualisieren", "de", "output"),
        ("Refondre la page d'accueil", "fr", "output"),
        ("Migrar la facturación a Stripe", "es", "output"),
        ("Le bouton « Payer » ne fonctionne pas sur Firefox", "fr", "output"),
        ("Kunden kündigen seltener", "de", "outcome"),
    ],
)
def test_german_french_spanish_are_judged_in_their_own_language(text: str, language: str, kind: str) -> None:
    judgement = judge_objective(text)
    assert (judgement.language, judgement.kind) == (language, kind), judgement


@pytest.mark.parametrize("text", ["Klanten vinden sneller een antwoord zonder te bellen", "チェックアウトを速くする"])
def test_other_languages_are_unknown_never_judged_by_english_rules(text: str) -> None:
    judgement = judge_objective(text)
    assert judgement.kind == "unknown"
    assert codes(judgement) == {"language_unsupported"}
    key_result = judge_key_result(text)
    assert key_result.kind == "unknown" and key_result.measurable is None
    assert codes(key_result) == {"kr_language_unsupported"}


def test_foreign_key_results_read_baselines_and_deadlines() -> None:
    german = judge_key_result("Die Abbruchrate sinkt von 30 % auf 15 % bis Ende Juni")
    french = judge_key_result("Le taux d'abandon passe de 30 % à 15 % d'ici fin juin")
    for judgement in (german, french):
        assert judgement.measurable and judgement.kind == "outcome"
        assert not codes(judgement) & {"kr_no_baseline", "kr_no_deadline"}, judgement


def test_english_jargon_stays_english() -> None:
    for text in ("Upgrade Elasticsearch", "SSO", "Webhook retries fall from 40 to 5 a day by June"):
        assert judge_objective(text).language == "en"


# ------------------------------------------------------------------- missions, guardrails


def test_discovery_mission_accepts_research_key_results() -> None:
    objective = "Learn whether clinics would pay for online booking"
    key_results = ["Interview 15 practice managers by May", "Decide go or no-go on the pilot by June"]
    assert evaluate(objective, key_results, mission="discovery").passed
    delivery = evaluate(objective, key_results, mission="delivery")
    assert not delivery.passed and delivery.objective.mission == "delivery"


@pytest.mark.parametrize(
    "text",
    [
        "Hold gross margin at 78% or above through the quarter",
        "Keep gross margin at 78% or above through Q3",
        "Search error rate stays at or below today's level through Q3",
    ],
)
def test_guardrails_are_measures_with_a_deadline(text: str) -> None:
    judgement = judge_key_result(text)
    assert judgement.kind == "outcome" and judgement.measurable, judgement
    assert not codes(judgement) & {"kr_activity", "kr_no_deadline", "kr_no_baseline"}, judgement


def test_a_sign_off_is_not_a_measurable_outcome() -> None:
    assert judge_objective("Achieve SOC 2 certification").kind == "output"
    assert judge_key_result("Achieve SOC 2 certification by Q3").kind == "output"


def test_a_figure_inside_a_user_token_is_not_invented() -> None:
    judgement = judge_key_result(
        "Crash reports from 6.0 users fall to zero by June", evidence="The 6.0-breakit release crashes"
    )
    assert "invented_baseline" not in codes(judgement)


# ----------------------------------------------------------------------------- ranking


def test_a_candidate_with_an_error_scores_at_most_half() -> None:
    garbled = evaluate(
        "Make the Improve things effortless for users",
        ["Checkout time falls from 4 to 2 minutes by June", "Refunds stay under 2% every month"],
    )
    assert not garbled.passed and garbled.score <= 0.5


def test_kind_and_measurability_come_from_readings_not_from_enabled_rules() -> None:
    off = load_config_without(["output_verb", "kr_activity", "kr_unmeasurable"])
    assert evaluate("Upgrade Elasticsearch", [], config=off).objective.kind == "output"
    judgement = evaluate("Customers pay faster", ["Run 4 webinars", "Make onboarding smoother"], config=off)
    assert [kr.kind for kr in judgement.key_results] == ["output", "outcome"]
    assert [kr.measurable for kr in judgement.key_results] == [True, False]


def load_config_without(codes_off: list[str]):
    from evaluators import default_config

    return default_config().merged({"rules": {code: {"enabled": False} for code in codes_off}})


def test_a_rules_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[rules.vague]\nseverity = "warning"\n', encoding="utf-8")
    config = load_config(path)
    assert config.severity("vague") == "warning"
    assert config.weight("vague") == 0.5  # the rule's own default weight, untouched
    assert config.severity("not_fluent") == RULES["not_fluent"].severity


# ---------------------------------------------------------------------- the sets' floors


# Regression floors, a little under where each round stands after tuning: a change that
# loses more than that on any round fails here. (bench/accuracy.py prints every round, its
# target and what it misses; tests/fixtures/ROUNDS.md records each round's first score.)
FLOORS = {
    ("real_input", "round-1"): 0.96,
    ("real_input", "round-2"): 0.95,
    ("real_input", "round-3"): 0.94,
    ("real_input", "round-4"): 0.94,
    ("real_input", "round-5"): 0.87,
    ("real_input", "round-6"): 0.83,
    ("garbage", "round-1"): 0.97,
    ("garbage", "round-2"): 0.97,
    ("garbage", "round-3"): 0.97,
    ("garbage", "round-4"): 0.95,
    ("garbage", "round-5"): 0.93,
    ("garbage", "round-6"): 0.87,
}


@pytest.mark.parametrize(("kind", "round_name"), list(FLOORS))
def test_rounds_stay_above_their_floors(kind: str, round_name: str) -> None:
    rows = read_rows(FIXTURES / kind / f"{round_name}.jsonl")
    right = assessed_right if kind == "real_input" else set_judged_right
    score = sum(right(row) for row in rows) / len(rows)
    assert score >= FLOORS[kind, round_name], f"{kind} {round_name}: {score:.1%}"
