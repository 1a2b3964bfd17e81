"""Figures the user gave become baselines (issue 12, "use the why"): rewriter/figures.py
reads the measure each belongs to, and the offline engine leads its key results with them."""

from __future__ import annotations

import pytest

from evaluators import evaluate
from rewriter.domain import RewriteSpec
from rewriter.figures import StatedMeasure, stated_measures
from rewriter.offline import OfflineEngine


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Average wait time is 47 minutes.", StatedMeasure("Average wait time", "47 minutes", True)),
        (
            "30% of callers hang up before they reach an agent.",
            StatedMeasure("Share of callers who hang up before they reach an agent", "30%", True),
        ),
        (
            "Half of applicants give up at step 3.",
            StatedMeasure("Share of applicants who give up at step 3", "50%", True),
        ),
        (
            "Only 3% of searches lead to an add-to-cart.",
            StatedMeasure("Share of searches that lead to an add-to-cart", "3%", False),
        ),
        (
            "It takes IT 9 working days to get a new hire a laptop.",
            StatedMeasure("Time it takes IT to get a new hire a laptop", "9 working days", True),
        ),
        ("Reset emails arrive about 20 minutes late.", StatedMeasure("Delay of reset emails", "20 minutes", True)),
        ("Crash-free sessions are at 97.2% on Android.", StatedMeasure("Crash-free sessions", "97.2%", False)),
        (
            "Our store rating dropped from 4.5 to 3.9 since January.",
            StatedMeasure("Store rating", "3.9", False, "4.5 before"),
        ),
    ],
)
def test_a_figure_is_read_with_its_metric_and_direction(text: str, expected: StatedMeasure) -> None:
    assert stated_measures(text) == [expected]


@pytest.mark.parametrize("text", ["Exchange 2016 is out of support.", "We have 4 clinics.", "", None])
def test_figures_that_measure_nothing_are_left_alone(text) -> None:
    assert stated_measures(text) == []


def test_the_offline_engine_keeps_the_users_figures_as_baselines() -> None:
    spec = RewriteSpec(
        request="Improve the benefits helpline",
        context="Average wait time is 47 minutes and 30% of callers hang up before they reach an agent.",
        key_results=3,
    )
    drafts = OfflineEngine().generate_now(spec, "delivery").drafts
    for draft in drafts:
        texts = [kr.text for kr in draft.key_results]
        assert texts[0] == "Average wait time falls from 47 minutes to a target to be agreed by the end of the quarter"
        assert texts[1].startswith("Share of callers who hang up before they reach an agent falls from 30% ")
        assert [kr.baseline for kr in draft.key_results[:2]] == ["47 minutes", "30%"]
        assert len(texts) == 3
        evaluation = evaluate(draft.objective, texts, context=spec.context, evidence=f"{spec.request}\n{spec.context}")
        for judged in evaluation.key_results[:2]:
            codes = {f.code for f in judged.findings}
            assert not codes & {"invented_baseline", "kr_no_baseline", "kr_not_fluent", "kr_activity"}, (
                judged.text,
                codes,
            )


def test_a_plural_metric_takes_a_plural_verb() -> None:
    spec = RewriteSpec(request="Make the app more stable", context="Crash-free sessions are at 97.2% on Android.")
    draft = OfflineEngine().generate_now(spec, "delivery").drafts[0]
    assert draft.key_results[0].text.startswith("Crash-free sessions rise from 97.2% ")


def test_a_figure_given_for_comparison_is_kept_with_the_measure_it_follows():
    measures = stated_measures(
        "8% of sign-ups come from Japan, and their activation rate is 22% compared with 41% overall. "
        "Our store rating dropped from 4.5 to 3.9 since January."
    )
    by_metric = {m.metric: m for m in measures}
    assert by_metric["Share of sign-ups that come from Japan"].reference is None  # the comparison is not about it
    assert (by_metric["Activation rate"].baseline, by_metric["Activation rate"].reference) == ("22%", "41% overall")
    assert (by_metric["Store rating"].baseline, by_metric["Store rating"].reference) == ("3.9", "4.5 before")
