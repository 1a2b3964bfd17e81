"""The playground at / in a real browser, against a real offline server."""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING

import pytest
from browser_harness import expect
from support.servers import RealiseServer

from rewriter.batch.export import COLUMNS

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page


@pytest.fixture
def page(browser_context: BrowserContext, realise: RealiseServer) -> Page:
    page = browser_context.new_page()
    page.goto(realise.url)
    return page


def rewrite(page: Page, request: str, context: str = "") -> None:
    page.get_by_label("What were you asked to build?").fill(request)
    page.get_by_label("Why? (optional)").fill(context)
    page.get_by_role("button", name="Rewrite", exact=True).click()


def test_rewrite_shows_the_assessment_and_ranked_candidates_with_findings_on_the_words(page: Page) -> None:
    rewrite(page, "Upgrade Elasticsearch", "It is out of support and eats our time")

    candidates = page.locator("article.candidate")
    expect(candidates).to_have_count(3)
    assert [candidates.nth(i).get_attribute("data-rank") for i in range(3)] == ["1", "2", "3"]
    scores = [float(candidates.nth(i).locator("meter").get_attribute("value")) for i in range(3)]
    assert scores == sorted(scores, reverse=True)
    expect(candidates.first.get_by_role("heading", level=3)).not_to_be_empty()
    expect(candidates.first.locator(".key-results > li")).to_have_count(3)

    assessment = page.locator("section.assessment")
    expect(assessment).to_contain_text("This is an output:")
    verb = assessment.locator("mark.finding[data-codes~='output_verb']")
    expect(verb).to_have_text("Upgrade")  # exactly the span's words, not the whole request
    expect(verb).to_have_accessible_description(re.compile(r"output.*Try:"))
    tooltip = verb.locator("xpath=following-sibling::*[@role='tooltip']")
    expect(tooltip).to_be_hidden()
    verb.focus()  # keyboard users get the message and suggestion on focus, as mouse users on hover
    expect(tooltip).to_be_visible()
    page.keyboard.press("Escape")
    expect(tooltip).to_be_hidden()


def test_copy_as_markdown_puts_the_candidate_on_the_clipboard(
    page: Page, browser_context: BrowserContext, realise: RealiseServer
) -> None:
    browser_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=realise.url)
    rewrite(page, "Upgrade Elasticsearch")
    first = page.locator("article.candidate").first
    objective = first.get_by_role("heading", level=3).inner_text()  # the words shown, without hidden tooltips

    first.get_by_role("button", name="Copy as Markdown").click()

    expect(first.get_by_role("status")).to_have_text("Copied as Markdown.")
    markdown = page.evaluate("navigator.clipboard.readText()")
    assert markdown.startswith(f"### {objective}\n")
    assert "**Key results**\n\n1. " in markdown


def test_text_from_the_service_is_shown_as_text_never_as_markup(page: Page) -> None:
    rewrite(page, "Build <img src=x onerror=\"document.title='pwned'\"> a <b>bold</b> portal")

    expect(page.locator("article.candidate").first).to_be_visible()
    assessment = page.locator("section.assessment blockquote")
    expect(assessment).to_contain_text("<b>bold</b>")
    expect(page.locator("#rewrite-result img, #rewrite-result b")).to_have_count(0)
    assert page.title() == "realise playground"


def test_invalid_input_shows_the_problem_naming_the_field(page: Page) -> None:
    page.get_by_label("What were you asked to build?").fill("Upgrade Elasticsearch")
    page.get_by_label("Candidates").fill("9")  # the browser's own check would stop this: bypass it
    page.locator("#rewrite-form").evaluate("form => form.noValidate = true")
    page.get_by_role("button", name="Rewrite", exact=True).click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Invalid input")
    expect(alert).to_contain_text("candidates")
    expect(page.get_by_label("Candidates")).to_have_attribute("aria-invalid", "true")


def test_lint_judges_as_you_type_with_few_calls(page: Page, realise: RealiseServer) -> None:
    evaluations = []
    page.on("request", lambda request: evaluations.append(request) if request.url.endswith("/v1/evaluations") else None)
    page.get_by_role("tab", name="Lint").click()
    expect(page).to_have_url(f"{realise.url}/#lint")
    objective = "Migrate to Kubernetes"

    page.get_by_label("Objective", exact=True).press_sequentially(objective, delay=15)

    status = page.locator("#lint-status")
    expect(status).to_contain_text("Output objective")
    expect(page.locator("#lint-result mark.finding[data-codes~='output_verb']")).to_have_text("Migrate")
    assert 1 <= len(evaluations) < len(objective) / 3  # debounced: not one call per keystroke

    page.get_by_label("Objective", exact=True).fill("Customers find what they search for")
    page.get_by_label("Key results (one per line, up to 10)").fill(
        "Run 4 webinars\nSearch p95 latency from 900 ms to 300 ms by June"
    )
    expect(status).to_contain_text("Outcome objective")
    key_results = page.locator("#lint-result .key-results > li")
    expect(key_results).to_have_count(2)
    expect(key_results.first.locator("mark.finding")).not_to_have_count(0)


def test_batch_upload_shows_progress_and_downloads_csv(page: Page) -> None:
    backlog = (
        "id,summary,description\nOPS-1,Upgrade Elasticsearch,Out of support and eats our time\nOPS-2,Build a "
        "customer portal,\n"
    )
    page.get_by_role("tab", name="Batch").click()
    page.get_by_label("Backlog file").set_input_files(
        files=[{"name": "backlog.csv", "mimeType": "text/csv", "buffer": backlog.encode()}]
    )
    page.get_by_role("button", name="Start batch").click()

    download_link = page.get_by_role("link", name="Download results (CSV)")
    expect(download_link).to_be_visible(timeout=20_000)
    expect(page.locator("#batch-status")).to_contain_text("Done: 2 of 2 done")
    expect(page.locator("#batch-meter")).to_have_js_property("value", 1)
    with page.expect_download() as download_info:
        download_link.click()

    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    assert [(row["id"], row["status"]) for row in rows] == [("OPS-1", "done"), ("OPS-2", "done")]


def test_a_vague_ask_gets_questions_and_answering_one_rewrites_with_it(page: Page) -> None:
    rewrite(page, "Improve things")
    expect(page.locator(".rewrite-result .notice")).to_contain_text("no candidates")
    questions = page.locator("section.questions li")
    expect(questions.first).to_be_visible()
    assert questions.count() >= 2
    expect(page.locator("article.candidate")).to_have_count(0)

    first = questions.first
    question = first.locator("label").inner_text()
    first.get_by_role("textbox").fill("The benefits helpline: callers wait 20 minutes")
    with page.expect_response("**/v1/rewrites") as answered:
        first.get_by_role("button", name="Add to context and rewrite").click()
    # The answer joined the context, and the request was rewritten with it.
    sent = answered.value.request.post_data_json
    assert sent["request"] == "Improve things"
    assert sent["context"] == f"{question} The benefits helpline: callers wait 20 minutes"
    expect(page.get_by_label("Why? (optional)")).to_have_value(sent["context"])
    assert answered.value.status == 200
