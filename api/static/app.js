// The playground: rewrite a request, lint an objective as you type, run a backlog as a batch.
// It calls the API of the server that serves it, so every URL is relative.

import { ProblemError, callRealise, evaluationSummary, evaluationView, problemView, rewriteView } from "./realise.js";

const LINT_DELAY_MS = 300; // long enough to skip most keystrokes, short enough to feel live
const BATCH_POLL_MS = 1000;
const MAX_LINT_KEY_RESULTS = 10; // POST /v1/evaluations takes at most 10
const BATCH_FINISHED = new Set(["done", "cancelled", "failed"]);
const UNAUTHORIZED_HINT = "This server needs an API key: enter it under “API key” at the end of the page.";

const $ = (id) => document.getElementById(id);
const apiKeyInput = $("api-key");

function apiKey() {
  return apiKeyInput.value.trim() || undefined;
}

/** Shows the problem in `region` and marks the form's fields it names as invalid. */
function showProblem(region, error, form) {
  if (!(error instanceof ProblemError)) throw error;
  region.replaceChildren(problemView(error.problem, { unauthorizedHint: UNAUTHORIZED_HINT }));
  region.hidden = false;
  for (const { field } of error.problem.errors || []) {
    const control = form?.elements.namedItem(field);
    if (control instanceof HTMLElement) control.setAttribute("aria-invalid", "true");
  }
}

function clearProblem(region, form) {
  region.hidden = true;
  region.replaceChildren();
  form?.querySelectorAll('[aria-invalid="true"]').forEach((control) => control.removeAttribute("aria-invalid"));
}

// --- tabs (WAI-ARIA tabs pattern: arrow keys move between tabs, the URL hash remembers one) ---

const tabs = [...document.querySelectorAll('[role="tab"]')];

function selectTab(tab, { focus = false } = {}) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  if (focus) tab.focus();
  history.replaceState(null, "", `#${tab.id.replace("tab-", "")}`);
}

for (const [index, tab] of tabs.entries()) {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (event) => {
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    selectTab(tabs[(next + tabs.length) % tabs.length], { focus: true });
  });
}
selectTab($(`tab-${location.hash.slice(1)}`) || tabs[0]);

// --- the API key, for servers that require one ---

apiKeyInput.value = sessionStorage.getItem("realise-api-key") || "";
apiKeyInput.addEventListener("change", () => sessionStorage.setItem("realise-api-key", apiKeyInput.value.trim()));
// The key sits in a form so password managers handle it; Enter there must not reload the page.
$("settings-form").addEventListener("submit", (event) => event.preventDefault());

// --- rewrite ---

const rewriteForm = $("rewrite-form");

rewriteForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(rewriteForm);
  const submit = rewriteForm.querySelector('button[type="submit"]');
  const status = $("rewrite-status");
  const result = $("rewrite-result");
  clearProblem($("rewrite-problem"), rewriteForm);
  submit.disabled = true;
  result.setAttribute("aria-busy", "true");
  status.textContent = "Rewriting…";
  try {
    const response = await callRealise("/v1/rewrites", {
      apiKey: apiKey(),
      body: {
        request: form.get("request"),
        context: form.get("context").trim() || undefined,
        mission: form.get("mission"),
        candidates: Number(form.get("candidates")),
        key_results: Number(form.get("key_results")),
      },
    });
    const rewrite = await response.json();
    result.replaceChildren(rewriteView(rewrite, { onAnswer: answerAndRewrite }));
    const asked = rewrite.questions.length ? ` ${rewrite.questions.length} question${rewrite.questions.length === 1 ? "" : "s"} below.` : "";
    status.textContent = `${rewrite.candidates.length} candidate${rewrite.candidates.length === 1 ? "" : "s"}, best first. You asked for an ${rewrite.assessment.kind}.${asked}`;
  } catch (error) {
    status.textContent = "";
    showProblem($("rewrite-problem"), error, rewriteForm);
  } finally {
    submit.disabled = false;
    result.removeAttribute("aria-busy");
  }
});

/** An answered "why?" joins the context, and the request is rewritten with it. */
function answerAndRewrite(question, answer) {
  const context = rewriteForm.elements.namedItem("context");
  context.value = [context.value.trim(), `${question} ${answer}`].filter(Boolean).join("\n");
  rewriteForm.requestSubmit();
}

// --- lint as you type ---

const lintObjective = $("lint-objective");
const lintKeyResults = $("lint-key-results");
let lintTimer;
let lintInFlight;

async function lint() {
  const status = $("lint-status");
  const objective = lintObjective.value.trim();
  const lines = lintKeyResults.value.split("\n").map((line) => line.trim()).filter(Boolean);
  lintInFlight?.abort(); // a newer text replaces the question; its answer would be stale
  clearProblem($("lint-problem"));
  if (!objective) {
    $("lint-result").replaceChildren();
    status.textContent = "Type an objective to check it.";
    return;
  }
  lintInFlight = new AbortController();
  try {
    const response = await callRealise("/v1/evaluations", {
      apiKey: apiKey(),
      signal: lintInFlight.signal,
      body: { objective, key_results: lines.slice(0, MAX_LINT_KEY_RESULTS) },
    });
    const evaluation = await response.json();
    $("lint-result").replaceChildren(evaluationView(evaluation));
    const skipped = lines.length > MAX_LINT_KEY_RESULTS ? ` Only the first ${MAX_LINT_KEY_RESULTS} key results are checked.` : "";
    status.textContent = evaluationSummary(evaluation) + skipped;
  } catch (error) {
    if (error.name === "AbortError") return;
    status.textContent = "";
    showProblem($("lint-problem"), error);
  }
}

for (const input of [lintObjective, lintKeyResults]) {
  input.addEventListener("input", () => {
    clearTimeout(lintTimer);
    lintTimer = setTimeout(lint, LINT_DELAY_MS);
  });
}

// --- batch: upload, watch, download ---

const batchForm = $("batch-form");
const batchDownload = $("batch-download");

function describeBatch(batch) {
  const parts = [`${batch.done} of ${batch.total} done`];
  if (batch.failed) parts.push(`${batch.failed} failed`);
  if (batch.cached) parts.push(`${batch.cached} from cache`);
  if (!BATCH_FINISHED.has(batch.status) && batch.eta_seconds) parts.push(`about ${Math.ceil(batch.eta_seconds)} s left`);
  return `${batch.status[0].toUpperCase()}${batch.status.slice(1)}: ${parts.join(", ")}.`;
}

async function offerResults(batchId) {
  // fetch, not a plain link: a server with API keys needs the key header on the download too.
  const response = await callRealise(`/v1/batches/${encodeURIComponent(batchId)}/results`, {
    method: "GET",
    accept: "text/csv",
    apiKey: apiKey(),
  });
  if (batchDownload.href) URL.revokeObjectURL(batchDownload.href);
  batchDownload.href = URL.createObjectURL(await response.blob());
  batchDownload.download = `realise-batch-${batchId}.csv`;
  batchDownload.hidden = false;
}

async function watchBatch(batchId) {
  const meter = $("batch-meter");
  const status = $("batch-status");
  for (;;) {
    const response = await callRealise(`/v1/batches/${encodeURIComponent(batchId)}`, { method: "GET", apiKey: apiKey() });
    const batch = await response.json();
    meter.value = batch.progress;
    status.textContent = describeBatch(batch);
    if (BATCH_FINISHED.has(batch.status)) return;
    await new Promise((resolve) => setTimeout(resolve, BATCH_POLL_MS));
  }
}

batchForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const submit = batchForm.querySelector('button[type="submit"]');
  clearProblem($("batch-problem"));
  batchDownload.hidden = true;
  submit.disabled = true;
  try {
    // Multipart, so the server sees the file name and reads the format from its extension.
    const response = await callRealise("/v1/batches", { apiKey: apiKey(), body: new FormData(batchForm) });
    const created = await response.json();
    $("batch-meter").value = 0;
    $("batch-progress").hidden = false;
    $("batch-status").textContent = `Queued: ${created.total} items.`;
    await watchBatch(created.id);
    await offerResults(created.id);
  } catch (error) {
    showProblem($("batch-problem"), error);
  } finally {
    submit.disabled = false;
  }
});
