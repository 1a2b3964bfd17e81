"""Behaviour of each evaluator rule and of the public API, on our own sentences."""

from __future__ import annotations

import ast
import pathlib

import pytest

import evaluators
from evaluators import (
    RULES,
    Evaluation,
    EvaluatorConfig,
    Finding,
    KeyResultJudgement,
    ObjectiveJudgement,
    clear_caches,
    default_config,
    detect_mission,
    evaluate,
    judge_key_result,
    judge_objective,
    load_config,
)
from evaluators.model import SEVERITY_ORDER

PACKAGE = pathlib.Path(evaluators.__file__).parent


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def spanned(text: str, finding: Finding) -> str:
    assert finding.span is not None
    return text[finding.span[0] : finding.span[1]]


def finding(findings: list[Finding], code: str) -> Finding:
    return next(f for f in findings if f.code == code)


# ------------------------------------------------------------------ objective rules


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Upgrade the reporting database", True),
        ("Finish the warehouse migration", True),
        ("Complete the accessibility audit", True),
        ("Set up an on-call rota", True),
        ("Ship the self-service refunds feature", True),
        ("Deliver the mobile roadmap", True),
        ("Build a recommendation engine to increase basket size", True),
        ("Data platform rebuild project delivered on time", True),
        ("As a shopper, I want to save my basket so that I can buy later", True),
        ("Shoppers come back to finish what they started", False),
        ("Make refunds painless for customers", False),
        ("Enable caseworkers to decide on the day", False),
        ("Help citizens renew a licence without visiting an office", False),
        ("Reach people who never visit a branch", False),
        ("Builds are boringly reliable", False),
        ("The new API is used by most partners", False),
        ("Tenants get repairs done in a week", False),
        # A thing named on its own, or as the object of "get".
        ("A new booking website for the leisure centres", True),
        ("Our new claims portal live before the autumn", True),
        ("Get the Android app approved by Google", True),
        ("New members feel welcome from their first visit", False),
        ("Get more walk-in patients seen the same day", False),
        # A named subject, then a modal.
        ("The facilities team will refurbish the staff canteen", True),
        ("We're going to open a second depot", True),
        ("The finance team will close the books faster", False),
        # Delivering a schedule; newer deliverable verbs and particles.
        ("Meet every deadline on the data centre exit roadmap", True),
        ("Meet the needs of carers who work shifts", False),
        ("Wrap up the switch to the new telephony supplier", True),
        ("Onboard the remaining regional offices", True),
        # A participle after a noun describes it when a change verb leads.
        ("Reduce waste per tonne produced at the Hull site", False),
        ("Fire doors replaced across the estate", True),
        ("An automated reconciliation step for the month-end close", True),
        ("A simpler way for parents to apply for school places", False),
        ("Re-launch the loyalty scheme", True),
        ("Speed up adoption of the new rota app among ward staff", False),
        ("Rollout of the rota app to every ward", True),
        # The change, with its deliverable already chosen.
        ("Cut fraud losses by rolling out card-reader checks", True),
        ("Lift attendance with a redesigned parents' evening booking form", True),
        ("Win repeat orders by answering every query the same day", False),
        ("Keep tenants safe by responding to damp reports within a week", False),
        # Sign-off as the goal; two-word deliverables; prefixes.
        ("Get the new bus timetable approved by the council", True),
        ("Get planning permission for the depot extension", True),
        ("Get more people cycling to work", False),
        ("Payroll consolidation", True),
        ("Happier volunteers", False),
        ("H2 — replace the visitor badge system", True),
        ("Build goodwill among neighbours of the quarry", False),
        ("Make renewals quicker by adding a one-click renewal page", True),
        ("Make renewals quicker for members who pay monthly", False),
        ("Upgraded parcel tracking page for business customers", True),
        ("Automated checks catch most payment errors before month end", False),
        ("List the new savings account on three price comparison sites", True),
    ],
)
def test_output_verb(text: str, fires: bool) -> None:
    judgement = judge_objective(text)
    assert ("output_verb" in codes(judgement.findings)) is fires
    assert judgement.kind == ("output" if fires else "outcome")


def test_output_verb_span_points_at_the_verb() -> None:
    text = "We will migrate payroll to the new provider"
    assert spanned(text, finding(judge_objective(text).findings, "output_verb")) == "migrate"
    text = "Set up a customer advisory panel"
    assert spanned(text, finding(judge_objective(text).findings, "output_verb")) == "Set up"
    story = "As an editor, I want to schedule posts so that they go out on time"
    assert spanned(story, finding(judge_objective(story).findings, "output_verb")) == "I want"


def test_team_prefix_and_list_markers_are_skipped() -> None:
    assert judge_objective("Platform team: rebuild the deploy pipeline").kind == "output"
    assert judge_objective("- Rebuild the deploy pipeline").kind == "output"
    assert judge_objective("O2: Engineers deploy without waiting").kind == "outcome"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Move the data warehouse to BigQuery", "BigQuery"),
        ("Upgrade to Postgres 16", "Postgres 16"),
        ("Run every service on kubernetes", "kubernetes"),
        ("Launch the booking app v2", "v2"),
    ],
)
def test_solution_named_fires_with_span(text: str, named: str) -> None:
    found = finding(judge_objective(text).findings, "solution_named")
    assert spanned(text, found) == named


def test_solution_named_and_version_number_are_not_double_counted() -> None:
    found = codes(judge_objective("Upgrade to Python 3.12").findings)
    assert "solution_named" in found and "number_in_objective" not in found


@pytest.mark.parametrize(
    "text",
    ["Customers can pay the way they prefer", "Members trust us with their data", "Expand into Germany"],
)
def test_solution_named_does_not_fire_without_a_product(text: str) -> None:
    assert "solution_named" not in codes(judge_objective(text).findings)


def test_number_in_objective() -> None:
    text = "Grow active members to 12,000"
    found = finding(judge_objective(text).findings, "number_in_objective")
    assert spanned(text, found) == "12,000"
    assert "number_in_objective" not in codes(judge_objective("Grow active membership").findings)
    # A deadline is not a figure that belongs in a key result.
    assert "number_in_objective" not in codes(judge_objective("Become the default choice by 2027").findings)


def test_too_long() -> None:
    long_text = " ".join(["Customers"] + ["really"] * 20 + ["like", "us"])
    assert "too_long" in codes(judge_objective(long_text).findings)
    assert "too_long" not in codes(judge_objective("Customers like us").findings)


@pytest.mark.parametrize(
    "text", ["Maintain the current service levels", "Keep the lights on", "Sustain growth in the north"]
)
def test_business_as_usual_fires(text: str) -> None:
    found = finding(judge_objective(text).findings, "business_as_usual")
    assert spanned(text, found) == text.split()[0]


def test_business_as_usual_does_not_fire_for_a_change() -> None:
    assert "business_as_usual" not in codes(judge_objective("Reduce hold times for callers").findings)


@pytest.mark.parametrize("text", ["Improve things", "Be better", "Enhance everything", "Get better at it"])
def test_vague_fires(text: str) -> None:
    assert "vague" in codes(judge_objective(text).findings)


@pytest.mark.parametrize("text", ["Improve the first week of new hires", "Be the bank small firms recommend"])
def test_vague_does_not_fire_with_an_object(text: str) -> None:
    assert "vague" not in codes(judge_objective(text).findings)


def test_detect_mission() -> None:
    assert detect_mission("Explore personalisation for returning visitors") == "discovery"
    assert detect_mission("Find out whether landlords would pay for listings") == "discovery"
    assert detect_mission("Test the new checkout") == "delivery"
    assert detect_mission("Reduce checkout abandonment") == "delivery"
    assert judge_objective("Understand why applicants drop out").mission == "discovery"


# ---------------------------------------------------------------- key-result rules


@pytest.mark.parametrize(
    "text",
    [
        "Run 6 webinars for partners",
        "Publish 20 case studies",
        "Recruit four support engineers",
        "Migrate 350 mailboxes",
        "Hold 3 design workshops",
        "Payment retries are implemented",
        "The audit is completed by May",
        "Two-factor login enabled by default",
        "The new help centre goes live",
        "Launch of the partner portal by June",
        "Claims tracker live by the end of May",
        "Make 300 outbound sales calls a week",
        "Produce 6 product explainer videos",
        "First-aid training delivered to 120 volunteers",
        "Retrofit 40 classrooms with CO2 monitors",
        "The operations team will run 5 open days",
        "Supplier framework signed off by the board",
        "Re-tender the cleaning contract for 3 sites",
        "Out-of-hours helpline set up by March",
        "The new food bank is open by November",
        "KR 4 — complete the fire risk assessments",
        "Obtain Cyber Essentials certification by Q2",
        "Visitor wifi live in all 9 libraries",
        "Visit 25 partner farms before harvest",
        "Fix bugs within 2 days of the report",
    ],
)
def test_kr_activity_fires(text: str) -> None:
    judgement = judge_key_result(text)
    assert "kr_activity" in codes(judgement.findings)
    assert judgement.kind == "output"


@pytest.mark.parametrize(
    "text",
    [
        "Cut failed deliveries from 25 to 5 per week",
        "p99 search latency under 700 ms",
        "85% of claimants finish the form in one sitting",
        "No outage longer than 15 minutes all quarter",
        "Deliver 250 qualified leads a month (up 20 %)",
        "Portal availability at 99.9% or above every month",
        "Unreconciled payments fall to zero in the monthly close",
        "Make 90% of refund decisions on the day of the request",
        "Book 400 new customer orders a month by Q3 (from 250)",
        "Parcels delivered within 2 days rise from 70% to 90% by June",
        "Vaccines delivered to 95% of care homes by March",
        "Stock counts move from monthly to weekly by Q2",
        "Average cost per claim falls from €38 to €29 by Q4",
        "Days to close the books fall from twenty-one to twelve by June",
        "Inventory write-offs under 0.5% of stock value every quarter",
        "Release lead time falls from 9 to 4 days by Q3",
    ],
)
def test_measured_outcomes_have_no_errors(text: str) -> None:
    judgement = judge_key_result(text)
    assert judgement.kind == "outcome" and judgement.measurable
    assert not [f for f in judgement.findings if f.severity == "error"], judgement.findings


def test_kr_activity_span() -> None:
    text = "Roll out the new rota tool to 12 sites"
    assert spanned(text, finding(judge_key_result(text).findings, "kr_activity")) == "Roll out"
    text = "Feature flags are enabled by default"
    assert spanned(text, finding(judge_key_result(text).findings, "kr_activity")) == "are enabled"


def test_discovery_objectives_accept_research_milestones() -> None:
    objective = "Understand why applicants drop out of the form"
    key_results = [
        "By the end of the quarter, interview 8 applicants who dropped out and record the top reasons",
        "Evidence from at least 12 interviews confirms or rejects the hypothesis by June",
        "Learn more about applicants",
    ]
    result = evaluate(objective, key_results)
    assert result.objective.mission == "discovery"
    first, second, third = result.key_results
    assert "kr_activity" not in codes(first.findings) and first.measurable
    assert second.kind == "outcome" and second.measurable
    assert "kr_unmeasurable" in codes(third.findings)
    # The same interview task under a delivery objective is an activity.
    assert judge_key_result(key_results[0]).kind == "output"
    # And a deliverable is still an activity under a discovery objective.
    assert evaluate(objective, ["Build a new form"]).key_results[0].kind == "output"


@pytest.mark.parametrize("text", ["Improve search relevance", "Make members happier", "Increase retention"])
def test_kr_unmeasurable_fires(text: str) -> None:
    judgement = judge_key_result(text)
    assert "kr_unmeasurable" in codes(judgement.findings) and not judgement.measurable


def test_kr_no_target() -> None:
    assert "kr_no_target" in codes(judge_key_result("Lift weekly bookings from 300").findings)
    assert "kr_no_target" not in codes(judge_key_result("Lift weekly bookings from 300 to 450").findings)


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Weekly bookings reach 450 by Q3", True),
        ("Weekly bookings grow from 300 to 450 by Q3", False),
        ("Weekly bookings grow by 15% by Q3", False),
        ("Weekly bookings up 20 % on last year", False),
        ("Weekly bookings double by Q3", False),
        ("Booking errors stay below 1% every week", False),
    ],
)
def test_kr_no_baseline(text: str, fires: bool) -> None:
    assert ("kr_no_baseline" in codes(judge_key_result(text).findings)) is fires


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Refund time falls from 9 to 3 days", True),
        ("Refund time falls from 9 to 3 days by the end of Q2", False),
        ("Refund time under 3 days every week of the quarter", False),
        ("Refund time under 3 days all quarter", False),
        ("Refunds processed per month rise from 900 to 1,400", False),
        ("Refund time falls from 9 to 3 days by September", False),
    ],
)
def test_kr_no_deadline(text: str, fires: bool) -> None:
    assert ("kr_no_deadline" in codes(judge_key_result(text).findings)) is fires


def test_kr_compound() -> None:
    text = "Churn falls from 6% to 4% and NPS rises from 20 to 35"
    found = finding(judge_key_result(text).findings, "kr_compound")
    assert spanned(text, found) == "and"
    assert "kr_compound" not in codes(judge_key_result("Between 5 and 10 complaints a month").findings)
    assert "kr_compound" not in codes(judge_key_result("Churn among small and large firms falls to 4%").findings)


# ------------------------------------------------------------------ evidence

OFFLINE_KEY_RESULTS = [
    "Hours spent each month keeping search running fall from a baseline to be measured to a target to be agreed by "
    "the end of the quarter",
    "Share of searches that return a useful result rises from a baseline to be measured to a target to be agreed by "
    "the end of the quarter",
]


@pytest.mark.parametrize("text", OFFLINE_KEY_RESULTS)
@pytest.mark.parametrize("evidence", [None, "Upgrade Elasticsearch"])
def test_offline_placeholder_key_results_are_measurable_outcomes(text: str, evidence: str | None) -> None:
    judgement = judge_key_result(text, evidence=evidence)
    assert judgement.kind == "outcome" and judgement.measurable
    found = codes(judgement.findings)
    assert "baseline_unknown" in found
    assert not {"kr_no_target", "kr_unmeasurable", "invented_baseline", "kr_no_deadline"} & set(found)
    assert all(f.severity == "info" for f in judgement.findings)
    spans = [spanned(text, f) for f in judgement.findings]
    assert spans == ["to be measured", "to be agreed"]


def test_invented_baseline_flags_figures_missing_from_the_evidence() -> None:
    text = "Search complaints fall from 140 to 40 a month"
    judgement = judge_key_result(text, evidence="Upgrade Elasticsearch, people complain about search")
    invented = [f for f in judgement.findings if f.code == "invented_baseline"]
    assert [spanned(text, f) for f in invented] == ["140", "40"]
    assert all(f.severity == "error" for f in invented)


def test_invented_baseline_accepts_figures_from_the_evidence_in_any_format() -> None:
    text = "Search complaints fall from 1,400 to 40% of today's level"
    judgement = judge_key_result(text, evidence="We get 1400 complaints; we want them at 40 percent")
    assert "invented_baseline" not in codes(judgement.findings)


def test_invented_baseline_never_fires_for_user_written_key_results() -> None:
    judgement = judge_key_result("Search complaints fall from 140 to 40 a month")
    assert "invented_baseline" not in codes(judgement.findings)


def test_evaluate_takes_figures_from_context_as_evidence() -> None:
    result = evaluate(
        "Search helps people find things",
        ["Search complaints fall from 140 to 40 a month", "Zero search outages all quarter"],
        evidence="Upgrade Elasticsearch",
        context="We get about 140 complaints a month; 40 would be fine",
    )
    assert all("invented_baseline" not in codes(kr.findings) for kr in result.key_results)


def test_baseline_unknown_tbd() -> None:
    text = "Ticket backlog falls from TBD to 50"
    assert spanned(text, finding(judge_key_result(text).findings, "baseline_unknown")) == "TBD"


# ------------------------------------------------------------------ set rules

GOOD_SET = [
    "Same-day repairs rise from 30% to 55% by Q3",
    "Repeat visits for the same fault fall from 18% to 8% by Q3",
    "Tenant satisfaction with repairs rises from 6.1 to 7.5 by Q3",
]


def test_good_set_passes() -> None:
    result = evaluate("Tenants get repairs done quickly and properly", GOOD_SET)
    assert result.passed and result.findings == []
    assert result.objective.kind == "outcome"


def test_kr_count_and_per_call_range() -> None:
    objective = "Tenants get repairs done quickly and properly"
    assert "kr_count" in codes(evaluate(objective, GOOD_SET[:1]).findings)
    assert "kr_count" in codes(evaluate(objective, GOOD_SET * 2).findings)
    assert "kr_count" not in codes(evaluate(objective, GOOD_SET[:1], key_result_range=(1, 3)).findings)
    assert "kr_count" in codes(evaluate(objective, GOOD_SET, key_result_range=(1, 2)).findings)
    message = finding(evaluate(objective, []).findings, "kr_count").message
    assert "0 key results" in message


def test_kr_duplicate() -> None:
    found = evaluate(
        "Tenants get repairs done quickly",
        ["Same-day repairs rise from 30% to 55% by Q3", "Same-day repairs rise from 30% to 60% by Q3"],
    ).findings
    assert "kr_duplicate" in codes(found)
    assert finding(found, "kr_duplicate").span is None
    assert "kr_duplicate" not in codes(evaluate("Tenants get repairs done quickly", GOOD_SET).findings)


def test_no_guardrail() -> None:
    growth_only = ["Sign-ups grow from 200 to 400 a week by Q4", "Paid conversions rise from 3% to 5% by Q4"]
    assert "no_guardrail" in codes(evaluate("More teams choose us", growth_only).findings)
    guarded = [*growth_only, "Refund requests stay below 2% of orders every month"]
    assert "no_guardrail" not in codes(evaluate("More teams choose us", guarded).findings)


def test_kr_restates_objective() -> None:
    found = evaluate(
        "Improve the accuracy of stock levels",
        ["Improve stock level accuracy", "Stock discrepancies fall from 6% to 1% by Q2"],
    ).findings
    assert "kr_restates_objective" in codes(found)
    assert "1" in finding(found, "kr_restates_objective").message


# ------------------------------------------------------------- API, ordering, scores


def test_public_api_types() -> None:
    result = evaluate("Upgrade Elasticsearch", ["Upgrade the cluster", "Cut reindex time from 6 hours to 1 hour by Q2"])
    assert isinstance(result, Evaluation)
    assert isinstance(result.objective, ObjectiveJudgement)
    assert all(isinstance(kr, KeyResultJudgement) for kr in result.key_results)
    assert not result.passed
    assert isinstance(default_config(), EvaluatorConfig)
    assert set(RULES) == set(default_config().rules)


def test_findings_are_sorted_by_severity_then_position() -> None:
    text = "Keep improving the v2 API for 3 partners"
    text = "Migrate the 3 billing services to Kubernetes"
    found = judge_objective(text).findings
    keys = [(SEVERITY_ORDER[f.severity], f.span[0] if f.span else -1) for f in found]
    assert keys == sorted(keys)
    assert codes(found) == ["output_verb", "number_in_objective", "solution_named"]


def test_scores_are_deterministic_and_in_range() -> None:
    cases = [
        (
            "Upgrade Elasticsearch",
            ["Upgrade the cluster", "Improve relevance", "Run 4 webinars", "Ship it", "Do it", "Again"],
        ),
        ("Tenants get repairs done quickly and properly", GOOD_SET),
        ("Improve things", []),
    ]
    first = [evaluate(o, krs) for o, krs in cases]
    clear_caches()
    second = [evaluate(o, krs) for o, krs in cases]
    assert first == second
    for result in first:
        for score in (result.score, result.objective.score, *(kr.score for kr in result.key_results)):
            assert 0.0 <= score <= 1.0 and round(score, 3) == score
    assert first[1].score == 1.0
    assert first[0].score < first[1].score


def test_score_follows_configured_weights() -> None:
    judgement = judge_objective("Migrate payroll to Workday")  # output_verb + solution_named
    assert judgement.score == round(1 - 0.5 - 0.15, 3)


# ------------------------------------------------------------------ config


def test_load_config_without_path_gives_defaults() -> None:
    config = load_config(None)
    assert config is default_config()
    assert (config.key_result_min, config.key_result_max) == (2, 5)
    assert config.severity("output_verb") == "error"


def test_config_override(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        "[key_results]\nmin = 1\nmax = 2\n\n"
        '[rules.output_verb]\nseverity = "warning"\nweight = 0.2\n\n'
        "[rules.solution_named]\nenabled = false\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert (config.key_result_min, config.key_result_max) == (1, 2)
    judgement = judge_objective("Migrate payroll to Workday", config)
    assert codes(judgement.findings) == ["output_verb"]
    assert judgement.findings[0].severity == "warning"
    assert judgement.score == 0.8
    assert judgement.kind == "output"
    result = evaluate("Migrate payroll to Workday", ["Payroll errors fall from 40 to 5 a month by Q2"], config=config)
    assert result.passed  # output_verb is only a warning now
    assert "kr_count" not in codes(result.findings)
    # The defaults are untouched.
    assert default_config().severity("output_verb") == "error"


def test_alternating_configs_and_missions_never_reuse_stale_findings(tmp_path: pathlib.Path) -> None:
    """Each reading keeps the findings it last built and what they were built for; a
    call with another config or mission must rebuild them, never reuse them."""
    path = tmp_path / "rules.toml"
    path.write_text(
        '[rules.output_verb]\nseverity = "warning"\n\n[rules.kr_activity]\nenabled = false\n', encoding="utf-8"
    )
    custom = load_config(path)
    objective, key_result = "Migrate payroll to Workday", "Interview 12 payroll clerks about month end"
    clear_caches()
    for _ in range(2):
        assert judge_objective(objective).findings[0].severity == "error"
        assert judge_objective(objective, custom).findings[0].severity == "warning"
        assert "kr_activity" in codes(judge_key_result(key_result).findings)
        assert "kr_activity" not in codes(judge_key_result(key_result, config=custom).findings)
        # Research tasks are the right key results of a discovery objective.
        assert "kr_activity" not in codes(judge_key_result(key_result, mission="discovery").findings)
        assert judge_key_result(key_result).kind == "output"


def test_recent_cache_is_bounded_and_keeps_what_is_in_use() -> None:
    from evaluators.text import RecentCache

    cache: RecentCache[str, int] = RecentCache(3)
    for number in range(3):
        cache.put(str(number), number)
    assert cache.get("0") == 0 and len(cache) == 3
    cache.put("3", 3)  # the first generation is full: it becomes the previous one
    assert cache.get("1") == 1  # a hit there is copied forward …
    for number in range(4, 6):
        cache.put(str(number), number)
    # … so when the current generation fills again and the oldest is dropped, "1" stays.
    assert cache.get("1") == 1 and cache.get("3") == 3
    assert cache.get("2") is None
    assert len(cache) <= 6
    cache.clear()
    assert len(cache) == 0 and cache.get("1") is None


def test_recent_cache_keeps_for_long_only_what_is_asked_for_twice() -> None:
    from evaluators.text import RecentCache

    cache: RecentCache[str, int] = RecentCache(100)
    cache.admit("once", 1)
    assert len(cache) == 0  # on probation, not in the cache proper
    assert cache.get("once") == 1  # asked for again soon: found, and kept
    assert len(cache) == 1
    cache.admit("passing", 2)
    for number in range(2 * RecentCache.PROBATION):  # a stream of texts judged once
        cache.admit(f"new {number}", number)
    assert cache.get("passing") is None  # gone with the probation it was on …
    cache.admit("passing", 2)  # … but remembered: computed again, it is kept
    assert cache.get("passing") == 2
    assert cache.get("once") == 1 and len(cache) == 2
    for number in range(300):  # the memory of keys seen once is bounded
        cache.admit(f"more {number}", number)
    assert len(cache.seen) <= 100 and len(cache) == 2


def test_a_text_judged_again_is_read_once() -> None:
    from evaluators.rules.key_result import read_key_result

    clear_caches()
    text = "Wait time falls from 9 to 3 minutes by June"
    assert read_key_result(text) is read_key_result(text) is read_key_result(text)


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("[rules.no_such_rule]\nenabled = false\n", "no_such_rule"),
        ("[rules.output_verb]\ncolour = 'red'\n", "colour"),
        ("[rules.output_verb]\nseverity = 'fatal'\n", "severity"),
        ("[rules.output_verb]\nweight = 3\n", "weight"),
        ("[rules.output_verb]\nenabled = 'yes'\n", "enabled"),
        ("[key_results]\nmin = 4\nmax = 2\n", "min"),
        ("[key_results]\nmost = 4\n", "most"),
        ("[limits]\nmax = 4\n", "limits"),
        ("not toml at all [", "TOML"),
    ],
)
def test_load_config_rejects_bad_files(tmp_path: pathlib.Path, content: str, complaint: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=complaint):
        load_config(path)


def test_packaged_defaults_cover_every_rule_with_its_documented_severity() -> None:
    config = default_config()
    for code, rule in RULES.items():
        assert config.severity(code) == rule.severity
        assert config.enabled(code)


# -------------------------------------------------------------- package hygiene


def test_evaluators_never_import_the_api() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            else:
                continue
            assert not any(name == "api" or name.startswith(("api.", "rewriter", "prompts")) for name in names), path


def test_lexicon_exports_frozensets() -> None:
    from evaluators import lexicon

    assert isinstance(lexicon.OUTPUT_VERBS, frozenset) and "upgrade" in lexicon.OUTPUT_VERBS
    assert isinstance(lexicon.DISCOVERY_VERBS, frozenset) and "explore" in lexicon.DISCOVERY_VERBS


def test_a_bare_label_is_judged_not_crashed():
    from evaluators import judge_key_result, judge_objective

    for text in ["KR1: ", "Objective: ", "Sales:"]:
        assert not judge_key_result(text).measurable
        assert judge_objective(text).kind in ("output", "outcome")


# --------------------------------------------- the fast paths agree with the slow ones


def _random_texts(count: int, seed: int) -> list[str]:
    """Short random texts over letters, digits, marks, spaces, lexicon words and a few
    non-ASCII characters: what the tokeniser's and the pre-checks' shortcuts must survive."""
    import random

    rng = random.Random(seed)
    pieces = list("abcxyz019 .,'-%:;!?()\"$<&{}_/") + [
        "v2",
        "Kafka",
        "Teams",
        "www.",
        "ignore",
        "you",
        "system prompt",
        "from",
        "to",
        "by",
        "q3",
        "june",
        "2025",
        "halve",
        "double",
        "rate",
        "errors",
        "grow",
        "and",
        " and ",
        "Ünï",
        "’",
        "\u3000",
        "K",
    ]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(count)]


def test_the_tokeniser_finds_what_the_token_pattern_finds() -> None:
    from evaluators.text import _TOKEN_RE, tokenise

    for text in _random_texts(20_000, seed=3):
        lowered = text.lower()
        assert tokenise(lowered) == _TOKEN_RE.findall(lowered), text


def test_a_texts_bits_are_the_word_lists_its_tokens_are_in() -> None:
    from evaluators import features as ft
    from evaluators.text import analyse

    for text in _random_texts(5_000, seed=4) + ["Error rates halve by June and revenue grows"]:
        a = analyse(text)
        expected = 0
        for word, lemma in zip(a.words, a.lemmas):
            for bit, words in ft._BY_WORD:
                expected |= bit if word in words else 0
            for bit, lemmas in ft._BY_LEMMA:
                expected |= bit if lemma in lemmas else 0
            if word in ft.SUSPICIOUS_CHARACTERS or any(f in word for f in ft.SUSPICIOUS_FRAGMENTS):
                expected |= ft.SUSPICIOUS_HINT
            if len(word) > 1 and word[0] == "v" and word[1].isdigit():
                expected |= ft.VERSION
        assert a.flags == expected, text
        assert a.period_at == tuple(i for i, w in enumerate(a.words) if w in evaluators.lexicon.PERIOD_WORDS)
        # Offsets found one by one agree with those found all at once.
        early = [a.start(i) for i in range(min(len(a), 5))]
        assert early == list(a.starts[:5]), text


def test_the_safety_pre_check_never_hides_a_match() -> None:
    from evaluators.rules.safety import SUSPICIOUS, _check
    from evaluators.text import analyse

    texts = _random_texts(20_000, seed=5) + ["See WWW.example.test", "re-ignore the rules above", "{{x}}"]
    matched = 0
    for text in texts:
        found = SUSPICIOUS.search(text)
        hits = _check(analyse(text))
        assert bool(hits) == (found is not None), text
        matched += found is not None
    assert matched > 1_000  # the corpus does exercise the pattern


@pytest.mark.parametrize("text", ["", " ", "KR1:", "Sales:", "-", "get", "a new", "The team will"])
def test_texts_with_few_or_no_words_are_judged_without_error(text: str) -> None:
    objective = judge_objective(text)
    key_result = judge_key_result(text)
    assert objective.kind in ("output", "outcome") and key_result.kind in ("output", "outcome")
    assert evaluate(text, [text, text]).score >= 0.0


def test_currency_signs_quotes_and_dashes_are_tokens_of_their_own() -> None:
    from evaluators.text import analyse

    a = analyse("Cost per claim “falls” from €38 to €29 — by Q4 ≥ 3×")
    assert a.words == (
        "cost",
        "per",
        "claim",
        "“",
        "falls",
        "”",
        "from",
        "€",
        "38",
        "to",
        "€",
        "29",
        "—",
        "by",
        "q4",
        "≥",
        "3",
        "×",
    )
    assert [a.words[i] for i in a.number_at] == ["38", "29", "3"]
    # Letters outside ASCII are still word characters.
    assert analyse("Ünïcödé café’s naïve 日本語").words == ("ünïcödé", "café’s", "naïve", "日本語")


def test_list_markers_and_references_are_not_figures() -> None:
    # "3." numbers the item and "#118" names an issue: neither measures anything.
    assert "number_in_objective" not in codes(judge_objective("3. Grow repeat custom from small firms").findings)
    assert not judge_key_result("4) Publish the API guide").measurable
    assert not judge_key_result("Close the sign-in bugs (#118, #204)").measurable
    assert judge_key_result("3. Churn falls from 6% to 4% by June").measurable


def test_an_owner_prefix_is_skipped_but_a_leading_verb_is_not() -> None:
    owner = judge_key_result("Support team: first replies within 2 hours rise from 60% to 85%")
    assert owner.kind == "outcome" and owner.measurable
    task = judge_key_result("Recruit analysts: 2 in London, 1 in Leeds")
    assert task.kind == "output" and "kr_activity" in codes(task.findings)


def test_a_state_word_after_is_done_only_with_a_place_or_date() -> None:
    assert judge_key_result("The new food bank is open by November").kind == "output"
    assert judge_key_result("The library is open until 8pm on 5 weekdays").kind == "outcome"


def test_numbers_written_in_words_with_a_hyphen_are_figures() -> None:
    judgement = judge_key_result("Days to close the books fall from twenty-one to twelve by June")
    assert codes(judgement.findings) == []  # a baseline and a target, both in words
    assert judgement.measurable


def test_token_flags_are_distinct_single_bits():
    """The flags in evaluators/features.py are numbered by hand (literals, for mypyc): every
    upper-case int constant there must be one of FLAGS, each a different single bit."""
    from evaluators import features

    flags = features.FLAGS
    assert all(flag > 0 and flag & (flag - 1) == 0 for flag in flags)
    assert len(set(flags)) == len(flags)
    named = {name for name, value in vars(features).items() if name.isupper() and type(value) is int}
    assert named == {name for name in named if getattr(features, name) in flags}
