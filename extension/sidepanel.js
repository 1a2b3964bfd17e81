// The side panel: takes the selection the context menu handed off (see background.js), calls
// the configured realise service and shows the assessment and ranked candidates, or the lint.

import { ProblemError, callRealise, evaluationSummary, evaluationView, problemView, rewriteView } from "./realise.js";
import { extensionOrigin, loadSettings } from "./settings.js";

const MAX_KEY_RESULTS = 10; // POST /v1/evaluations takes at most 10

const form = document.getElementById("ask-form");
const selection = document.getElementById("selection");
const status = document.getElementById("status");
const problemRegion = document.getElementById("problem");
const result = document.getElementById("result");

const serviceUrlLabel = document.getElementById("service-url");
let settings = await loadSettings();
serviceUrlLabel.textContent = settings.serviceUrl;
// Options saved while the panel is open (say, after "set the API key") apply to the next call.
chrome.storage.local.onChanged.addListener(async () => {
  settings = await loadSettings();
  serviceUrlLabel.textContent = settings.serviceUrl;
});

function showProblem(error) {
  if (!(error instanceof ProblemError)) throw error;
  const problem = error.problem;
  // status 0: no HTTP answer at all. From an extension page that is most often CORS refusing us.
  if (problem.status === 0) {
    problem.detail += `. Check the service URL in the options, and that the server allows this extension (REALISE_CORS_ORIGINS=${extensionOrigin()}).`;
  }
  problemRegion.replaceChildren(problemView(problem, { unauthorizedHint: "Set the API key in the extension's options." }));
  problemRegion.hidden = false;
}

/** An objective on the first line, its key results on the lines after it. */
function objectiveAndKeyResults(text) {
  const [objective, ...keyResults] = text.split("\n").map((line) => line.trim()).filter(Boolean);
  return { objective, key_results: keyResults.slice(0, MAX_KEY_RESULTS) };
}

async function run(mode, text) {
  const buttons = form.querySelectorAll("button");
  problemRegion.hidden = true;
  result.replaceChildren();
  buttons.forEach((button) => (button.disabled = true));
  status.textContent = mode === "rewrite" ? "Rewriting…" : "Checking…";
  try {
    if (mode === "rewrite") {
      const response = await callRealise(`${settings.serviceUrl}/v1/rewrites`, { apiKey: settings.apiKey, body: { request: text } });
      const rewrite = await response.json();
      result.replaceChildren(rewriteView(rewrite));
      status.textContent = `${rewrite.candidates.length} candidates, best first. You asked for an ${rewrite.assessment.kind}.`;
    } else {
      const response = await callRealise(`${settings.serviceUrl}/v1/evaluations`, {
        apiKey: settings.apiKey,
        body: objectiveAndKeyResults(text),
      });
      const evaluation = await response.json();
      result.replaceChildren(evaluationView(evaluation));
      status.textContent = evaluationSummary(evaluation);
    }
  } catch (error) {
    status.textContent = "";
    showProblem(error);
  } finally {
    buttons.forEach((button) => (button.disabled = false));
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (selection.value.trim()) run(event.submitter.value, selection.value);
});

/** A selection from the context menu: shown in the text box, run, and removed so a reload does not repeat it. */
function receive(handoff) {
  if (!handoff) return;
  chrome.storage.session.remove("handoff");
  selection.value = handoff.text;
  run(handoff.mode, handoff.text);
}

chrome.storage.session.onChanged.addListener((changes) => receive(changes.handoff?.newValue));
receive((await chrome.storage.session.get("handoff")).handoff);
