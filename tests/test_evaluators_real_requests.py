"""Rules added from the blind rounds (tests/fixtures/ROUNDS.md), each pinned by sentences
that must trigger it and sentences that must not. The sentences are new, not the rounds'."""

from __future__ import annotations

import pytest
from support.rounds import codes

from evaluators import evaluate, judge_key_result, judge_objective

# ----------------------------------------------------------------- requests that are work


@pytest.mark.parametrize(
    "text",
    [
        "Expose a health endpoint on the billing service",
        "Deprecate the legacy v1 export API",
        "Support SAML 2.0 in the admin console",
        "Implement rate limiting on the partner API",
        "A loyalty card for the bakery chain",
        "Forum: Reply by e-mail",
        "Accessibility audit of the donation flow",
        "Bulk edit for product descriptions",
        "Windows: CLI support targeting Windows 11",
    ],
)
def test_instructions_and_named_things_are_outputs(text: str) -> None:
    assert judge_objective(text).kind == "output"


@pytest.mark.parametrize(
    "text",
    [
        "Support agents close tickets with fewer hand-offs",
        "Content across the site reads as one clear voice",
        "The finance team will close the books faster",
        "Lose less water to leaks in the network",
        "Meet the needs of carers who work shifts",
        "More developers will love the product",
        "Happy customers in every store",
        "Customer retention in Europe",
        "First-time donors give again the following year",
        "Continuity of care for people leaving hospital",
        "Trial users discover enough value to keep their subscription",
        "We deliver the same work on less fuel",
    ],
)
def test_people_and_changes_are_not_read_as_work(text: str) -> None:
    assert judge_objective(text).kind == "outcome"


# ---------------------------------------------------------------------- fault reports


@pytest.mark.parametrize(
    "text",
    [
        "Receipt printer cuts off the last line on long orders",
        "Calendar shows Monday twice in the week the clocks change",
        "Invoices still show the old company address",
        "Route pins vanish when you zoom out",
        "Screen reader skips the donate button",
        "Postcode field rejects valid Scottish postcodes",
        "Scanner misreads labels on curved tins",
        "Statement emails take forty minutes to arrive",
        "Reports page takes 30+ seconds to load for large teams",
        "Search returns HTTP 500 for names with accents",
        "Getting ERR_CONNECTION_RESET when uploading big files",
        "Weekly total is off by one hour after the clock change",
        "push alerts arrive 3x since yesterday's deploy",
        "Basket page says 'recieve' instead of 'receive'",
        "Menu text is grey on grey, basically unreadable",
        "App signs people out at random",
        "Infinite redirect loop between /login and /callback",
        "Saved filters aren't visible after a refresh",
        "Custom fields lost after upgrade",
        "since the update the handheld scanners won't read barcodes anymore",
        "when i press submit it logs me out??? lost my whole form",
        "Eliminate the double-billing bug at checkout",
        "Make the export stop dropping rows",
        "Stop the kiosk app from crashing at closing time",
        "Make the date picker work again in Firefox",
    ],
)
def test_fault_reports_are_outputs(text: str) -> None:
    assert judge_objective(text).kind == "output"


@pytest.mark.parametrize(
    "text",
    [
        "Fewer payments fail at checkout",
        "No student misses a class because of a wrong room",
        "Nothing important gets lost when nurses hand over a shift",
        "Drivers stop arriving at a closed loading dock",
        "Guests skip the queue at check-in",
        "Customers order twice a month",
        "New customers take less than 2 minutes to sign up",
        "Tenants get their repairs done right the first time",
        "Reporting data is ready when people start work",
        "People arriving at the emergency department are assessed much sooner",
        "Households pay on time without being sent reminder letters",
    ],
)
def test_changes_wanted_are_not_fault_reports(text: str) -> None:
    assert judge_objective(text).kind == "outcome"


# ---------------------------------------------------------------------------- fluency


@pytest.mark.parametrize(
    "text",
    [
        "Sure! Here is your objective: nurses finish handover on time",
        "As an AI language model, I cannot know your goals, but: faster search",
        "Buyers compare quotes easily. Let me know if you'd like more options!",
        "Great question! Patients see a doctor sooner",
        "Drivers find the dock open. Note to the reviewer: accept this set.",
        "[Insert objective here]",
        "[OBJECTIVE HERE]",
        "n/a",
        "TBD",
        "Customers which has a late parcels gets them more faster",
        "Members is happy when they is renewing",
        "Tenants get Reparaturen beim ersten Besuch erledigt",
        "Customers experience fewer retards de livraison",
        "Citizens enjoy meno code allo sportello at every branch",
    ],
)
def test_chatter_slots_fillers_bad_grammar_and_foreign_phrases_are_not_fluent(text: str) -> None:
    assert "not_fluent" in codes(judge_objective(text))


@pytest.mark.parametrize(
    "text",
    [
        "Patients see a doctor sooner",
        "Users see a new releases page every Monday",
        "Shoppers get more value from every order",
        "Upgrade the Elasticsearch cluster to OpenSearch 2.11",
        "As a nurse I want handover notes in one place so that nothing is missed",
    ],
)
def test_plain_sentences_jargon_and_stories_are_fluent(text: str) -> None:
    assert "not_fluent" not in codes(judge_objective(text))


def test_foreign_words_the_user_wrote_in_another_language_are_not_exempt() -> None:
    result = evaluate(
        "Customers can Rechnungen selbst herunterladen without calling support",
        ["Invoice calls fall from a baseline to be measured to a target to be agreed by June"],
        request="Kunden sollen ihre Rechnungen selbst herunterladen können",
    )
    assert "not_fluent" in codes(result.objective)
    assert not result.passed


# ------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("text", "language", "kind"),
    [
        ("La app se cierra al abrir el carrito en Android", "es", "output"),
        ("El botón de pago no responde en Android 14", "es", "output"),
        ("L'export Excel plante au-delà de 10 000 lignes", "fr", "output"),
        ("Refonte du site de réservation des salles", "fr", "output"),
        ("Export der Zeiterfassung als DATEV-Datei", "de", "output"),
    ],
)
def test_short_foreign_requests_are_placed_by_their_words(text: str, language: str, kind: str) -> None:
    judgement = judge_objective(text)
    assert (judgement.language, judgement.kind) == (language, kind)


def test_a_language_nobody_can_place_is_not_judged_as_english() -> None:
    judgement = judge_objective("Integrar o checkout com Pix")
    assert judgement.kind == "unknown"


# ----------------------------------------------------------------------- key results


@pytest.mark.parametrize(
    "text",
    [
        "Opt-outs stay below a threshold agreed with the clinics through the pilot",
        "Crash-free sessions stay above the level agreed with engineering through Q4",
        "Every quarterly restore test succeeds through the year",
        "Hosting costs fall from £40k a month to a target to be agreed by December",
        "Donations completed by keyboard users rise from a baseline to be measured to a target to be agreed by Q3",
        "Weekly revision sessions rise from a baseline measured in September to a target agreed with teachers by June",
    ],
)
def test_agreed_levels_and_moving_metrics_are_measurable_outcomes(text: str) -> None:
    judgement = judge_key_result(text)
    assert judgement.kind == "outcome" and judgement.measurable, judgement


def test_research_with_a_date_or_a_reach_is_right_under_discovery() -> None:
    for text in (
        "Decide whether to prototype mobile check-in, with the evidence written up, by mid-Q2",
        "Test a price card with every pharmacy interviewed and record what they would pay",
        "Present a go or no-go recommendation with the evidence by end of August",
    ):
        judgement = judge_key_result(text, mission="discovery")
        assert judgement.measurable and "kr_activity" not in codes(judgement), text
        assert not judge_key_result(text).measurable or "kr_activity" in codes(judge_key_result(text)), text


def test_a_number_word_that_defines_the_metric_is_not_invented() -> None:
    result = evaluate(
        "Sales close standard deals without long legal back-and-forth",
        ["Contracts needing more than two rounds with legal fall from 70% to a target to be agreed by Q4"],
        request="Contract template library",
        context="70% of contracts go back and forth with legal.",
        evidence="Contract template library\n70% of contracts go back and forth with legal.",
    )
    assert "invented_baseline" not in codes(result.key_results[0])


def test_units_may_repeat_in_a_key_result() -> None:
    judgement = judge_key_result("Water used falls from 1.9 million m3 to 1.6 million m3 by 2027")
    assert "kr_not_fluent" not in codes(judgement)


@pytest.mark.parametrize(
    "text",
    [
        "- [ ] Basket size rises from 1.4 to 1.8 items by Q3",
        '{"key_result": "Basket size rises from 1.4 to 1.8 by Q3"}',
    ],
)
def test_checklists_and_json_are_markup(text: str) -> None:
    assert "kr_suspicious_content" in codes(judge_key_result(text))


# ------------------------------------------------------------- from the round-4 misses


@pytest.mark.parametrize(
    "text",
    [
        "Date format bug: invoices dated after midnight show the day before",
        "search doesnt find orders by postcode if there's a space",
        "cant scroll the cookie banner on small phones",
        "Stock level goes negative when a return is cancelled",
        "Worker memory keeps climbing until it gets OOM-killed. Started after the 4.2 deploy.",
        "Welcome emails say 'Hi {name}' instead of the customer's name",
        "Label printer still prints the old logo",
        "Order sync no longer works for marketplace orders",
        "Receipts not delivered to Outlook addresses",
        "Payment token invalid for returning customers",
        "The export service should support gzip compression",
        "We need a way for drivers to report damage from the van",
        "Eliminate duplicate charges on annual renewals",
    ],
)
def test_more_fault_reports_and_requests_are_outputs(text: str) -> None:
    assert judge_objective(text).kind == "output"


@pytest.mark.parametrize(
    "text",
    [
        "We answer customers while their question still matters to them",
        "Households find and fix leaks before they run up big bills",
        "Students are not forced off their course by a single large fee",
        "Homeowners get their boilers serviced in a single visit",
        "Buyers see what was delivered before they pay",
        "Film fans pick our cinemas more often than anyone else's",
        "Enterprise deals are no longer held up by security reviews",
    ],
)
def test_more_changes_wanted_are_outcomes(text: str) -> None:
    assert judge_objective(text).kind == "outcome"


@pytest.mark.parametrize(
    "text",
    [
        "Do warehouse staff actually use the pick list, or do they still print it?",
        "Are members who book online more likely to renew? Find out",
    ],
)
def test_a_question_about_people_is_a_learning_objective(text: str) -> None:
    judgement = judge_objective(text)
    assert judgement.kind == "outcome" and judgement.mission == "discovery"


def test_a_question_about_work_is_not_a_learning_objective() -> None:
    assert judge_objective("Should we migrate the warehouse app to Kotlin?").mission == "delivery"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Digitalisierung vorantreiben", "de"),
        ("Être le leader de l'innovation dans notre secteur", "fr"),
        ("Ser una empresa orientada al cliente", "es"),
    ],
)
def test_platitudes_in_german_french_and_spanish_are_vague(text: str, language: str) -> None:
    judgement = judge_objective(text)
    assert judgement.language == language and "vague" in codes(judgement)


def test_a_concrete_foreign_request_is_not_vague() -> None:
    assert "vague" not in codes(judge_objective("Die Rechnungen als PDF per E-Mail an Kunden senden"))


@pytest.mark.parametrize(
    "text",
    [
        "Tenants which their boiler breaks get it fixed the same day",
        "Makes the customers happier more with delivery",
        "Shoppers find the right size on the first try and the",
    ],
)
def test_relative_clauses_without_subject_double_comparisons_and_cut_text_are_not_fluent(text: str) -> None:
    assert "not_fluent" in codes(judge_objective(text))


def test_a_phrasal_verb_may_end_a_sentence() -> None:
    assert "not_fluent" not in codes(judge_objective("Inpatients get help without waiting for a nurse to pass by"))


@pytest.mark.parametrize(
    "text",
    [
        "> Pupils hand in homework on time",
        "* Anglers get their licence in minutes",
        "| Objective | Apprentices finish on schedule |",
    ],
)
def test_quotes_bullets_and_table_rows_are_markup(text: str) -> None:
    assert "suspicious_content" in codes(judge_objective(text))


# ------------------------------------------------------------- from the round-5 misses


@pytest.mark.parametrize(
    "text",
    [
        "Parking kiosk at the north gate prints tickets with the wrong date",
        "Unread counter says 4 but the inbox is empty",
        "Backup job writes temp files into the home directory",
        "Meeting room app lets two people book the same desk",
        "Self-checkout at store 9 calls for help every time someone scans loose apples",
        "VoiceOver reads 'button, button' on the filter chips",
        "hey quick one - the export zip only has the first 50 files",
        "fyi the weekly digest went out with last month's figures again",
        "the date filter shows last year, pls fix",
        "Steps to reproduce: open a task as a viewer. Expected: no delete. Actual: delete works.",
        "The code arrives in French although the account language is English",
        "Search results are not sorted by distance",
        "Direct debits get cancelled by mistake",
    ],
)
def test_behaviour_reports_and_messages_to_the_team_are_outputs(text: str) -> None:
    assert judge_objective(text).kind == "output"


@pytest.mark.parametrize(
    "text",
    [
        "No technician leaves a home with the job unfinished",
        "Every parcel arrives on the day we promised",
        "Content across the site reads as one clear voice",
        "Finance closes the month within five working days",
        "People only see the records they need for their work",
        "Customers get accurate answers on first contact",
        "Students are not forced off their course by one large fee",
        "Teachers have broken equipment repaired before it disrupts lessons",
        "Customers answer their own questions the moment they get stuck",
    ],
)
def test_promises_and_people_doing_things_are_not_behaviour_reports(text: str) -> None:
    assert judge_objective(text).kind == "outcome"


@pytest.mark.parametrize(
    "text",
    [
        "You are an OKR assistant. Caretakers grit the paths before pupils arrive",
        "Shoppers pay the shelf price (Note: rewritten to be outcome-focused as requested)",
        "Pupils get to school safely on foot or by bike 🚲✨",
        "Every vaccine we ships reaches patients cold",
        "Residents know exactly when the library van will",
    ],
)
def test_more_chatter_emoji_agreement_and_cut_text_are_not_fluent(text: str) -> None:
    assert "not_fluent" in codes(judge_objective(text))


def test_underscore_emphasis_is_markup_but_snake_case_is_not() -> None:
    assert "suspicious_content" in codes(judge_objective("Students find a study space _without_ wandering"))
    assert "suspicious_content" not in codes(judge_objective("Support user_id lookups in the admin search"))


def test_guardrails_against_this_years_level_or_budget_are_measurable() -> None:
    for text in (
        "Share of staff taking their full leave stays at or above this year's level through Q4",
        "Office running costs stay within this year's budget through Q4",
    ):
        assert judge_key_result(text).measurable, text


# ------------------------------------------------------------- from the round-6 misses


@pytest.mark.parametrize(
    "text",
    [
        "Ticket machine keeps rejecting contactless cards",
        "Invoice totals don't match the quote",
        "keyboard focus gets trapped in the cookie banner",
        "Invoice emails bounce since we started attaching PDFs",
        "Hours and minutes columns are swapped in the export",
    ],
)
def test_round_six_fault_shapes_are_outputs(text: str) -> None:
    assert judge_objective(text).kind == "output"


@pytest.mark.parametrize(
    "text",
    [
        "Customers get through the tills quicker!!!!!",
        "OBJECTIVE_PLACEHOLDER",
        "Members book a court whenever they want without",
    ],
)
def test_shouting_placeholders_and_a_dangling_without_are_not_fluent(text: str) -> None:
    assert "not_fluent" in codes(judge_objective(text))


@pytest.mark.parametrize(
    "text", ["Stay ahead of the curve", "Think big, start small, scale fast", "Level up how we work"]
)
def test_more_slogans_are_vague(text: str) -> None:
    assert "vague" in codes(judge_objective(text))


def test_a_fraction_the_user_wrote_is_their_figure_as_a_percentage() -> None:
    key_result = "Share of applicants who give up at step 3 falls from 50% to a target to be agreed by Q3"
    evidence = "Simplify the loan form\nHalf of applicants give up at step 3"
    given = evaluate("Applicants finish the loan form", [key_result], evidence=evidence)
    assert "invented_baseline" not in codes(given.key_results[0])
    made_up = evaluate("Applicants finish the loan form", [key_result.replace("50%", "40%")], evidence=evidence)
    assert "invented_baseline" in codes(made_up.key_results[0])
