// The client side of realise's HTTP contract: calling the API and showing what it returns.
//
// Shared verbatim by the web playground (api/static/realise.js) and the browser extension
// (extension/realise.js): an extension may not load code from a server, so it ships its own
// copy, and tests/browser/test_static_assets.py fails when the two differ.
//
// Every text in a response is plain text written by a model or a rule, so it only ever
// enters the page as text nodes (Element.append with strings), never as HTML.

const SEVERITY_RANK = { error: 0, warning: 1, info: 2 };
let tooltipCount = 0;

/** An element with attributes and children; string children become text nodes. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== ""));
  return node;
}

// --- calling the API --------------------------------------------------------------------

/** A failed call, carrying the RFC 9457 problem the API answered with (or one made up for a network error). */
export class ProblemError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title);
    this.name = "ProblemError";
    this.problem = problem;
  }
}

/**
 * fetch() for the realise API. A plain object is sent as JSON, FormData as a multipart upload
 * (fetch writes its Content-Type, boundary included). Resolves to the Response when it is 2xx,
 * else throws a ProblemError.
 */
export async function callRealise(url, { method = "POST", body, apiKey, accept = "application/json", signal } = {}) {
  const headers = { Accept: accept };
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body: payload, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ProblemError({ title: "Cannot reach the service", status: 0, detail: `${url}: ${error.message}` });
  }
  if (!response.ok) throw new ProblemError(await problemFrom(response));
  return response;
}

async function problemFrom(response) {
  const text = await response.text();
  try {
    const problem = JSON.parse(text);
    if (problem && typeof problem === "object" && problem.title) return problem;
  } catch {
    // Not JSON: a proxy's error page, say. Fall through and show the start of it.
  }
  return { title: `HTTP ${response.status}`, status: response.status, detail: text.slice(0, 300) || response.statusText };
}

/** A problem as a short paragraph and a list of the fields it names. */
export function problemView(problem, { unauthorizedHint } = {}) {
  const lines = (problem.errors || []).map((error) => el("li", {}, el("code", {}, error.field), ": ", error.message));
  return el(
    "div",
    { class: "problem-body" },
    el("p", {}, el("strong", {}, problem.title), problem.detail ? ` ${problem.detail}` : ""),
    lines.length ? el("ul", {}, ...lines) : null,
    problem.status === 401 && unauthorizedHint ? el("p", {}, unauthorizedHint) : null,
  );
}

// --- findings on the words that triggered them ------------------------------------------

function mostSevere(findings) {
  return findings.reduce((worst, f) => (SEVERITY_RANK[f.severity] < SEVERITY_RANK[worst.severity] ? f : worst));
}

function tooltipLine(finding) {
  return el("span", { class: "tip-line" }, `${finding.message}`, finding.suggestion ? ` Try: ${finding.suggestion}` : "");
}

function findingMark(words, findings) {
  const worst = mostSevere(findings);
  const tipId = `finding-tip-${++tooltipCount}`;
  const mark = el(
    "mark",
    {
      class: `finding finding-${worst.severity}`,
      tabindex: "0",
      "aria-describedby": tipId,
      "data-codes": findings.map((f) => f.code).join(" "),
    },
    words,
  );
  const tip = el("span", { role: "tooltip", id: tipId, class: "finding-tip" }, ...findings.map(tooltipLine));
  const anchor = el("span", { class: "finding-anchor" }, mark, tip);
  // Escape hides the tooltip without moving focus (WCAG 1.4.13: dismissible); it shows again on the next focus.
  mark.addEventListener("keydown", (event) => {
    if (event.key === "Escape") anchor.classList.add("tip-dismissed");
  });
  mark.addEventListener("blur", () => anchor.classList.remove("tip-dismissed"));
  return anchor;
}

/**
 * `text` with each finding's span marked; the mark's tooltip (shown on hover and focus) gives the
 * message and suggestion. Spans are [start, end) offsets in code points (the API counts Python
 * string indices), so the text is split into code points, not UTF-16 units, before slicing.
 * Overlapping spans cut the text into segments, each marked with every finding covering it.
 */
export function highlightedText(text, findings, { tag = "span", className = "judged-text" } = {}) {
  const chars = Array.from(text);
  const spanned = findings.filter((f) => f.span && f.span[0] < f.span[1] && f.span[1] <= chars.length);
  const cuts = [...new Set([0, chars.length, ...spanned.flatMap((f) => f.span)])].sort((a, b) => a - b);
  const node = el(tag, { class: className });
  for (let i = 0; i < cuts.length - 1; i++) {
    const [start, end] = [cuts[i], cuts[i + 1]];
    const words = chars.slice(start, end).join("");
    const covering = spanned.filter((f) => f.span[0] <= start && f.span[1] >= end);
    node.append(covering.length ? findingMark(words, covering) : words);
  }
  return node;
}

/** Every finding as a list item: severity in words (not only colour), code, message, suggestion. */
export function findingsList(findings) {
  if (!findings.length) return null;
  return el(
    "ul",
    { class: "findings" },
    ...findings.map((f) =>
      el(
        "li",
        { class: `finding-item finding-${f.severity}` },
        el("span", { class: "severity" }, f.severity),
        " ",
        el("code", {}, f.code),
        " ",
        f.message,
        f.suggestion ? el("span", { class: "suggestion" }, ` Try: ${f.suggestion}`) : null,
      ),
    ),
  );
}

function scoreBadge(score, passed) {
  return el(
    "span",
    { class: "score" },
    el("meter", { min: "0", max: "1", low: "0.5", high: "0.75", optimum: "1", value: String(score), "aria-hidden": "true" }),
    ` score ${score.toFixed(2)}`,
    passed === undefined ? "" : el("span", { class: passed ? "verdict passed" : "verdict failed" }, passed ? "passes" : "has errors"),
  );
}

// --- rewrites ---------------------------------------------------------------------------

const KIND_VERDICT = {
  output: ["This is an output:", "it names something to build, not the difference it should make. The candidates below name the outcome."],
  outcome: ["This is an outcome:", "it names a difference to make. The candidates below sharpen it and add key results."],
};

/** What was asked, judged: output or outcome, with its findings on the words. */
export function assessmentView(result) {
  const { assessment, mission, engine } = result;
  const [verdict, explanation] = KIND_VERDICT[assessment.kind];
  return el(
    "section",
    { class: `assessment assessment-${assessment.kind}`, "aria-labelledby": "assessment-title" },
    el("h2", { id: "assessment-title" }, "What you asked for"),
    el("p", { class: "verdict-line" }, el("strong", {}, verdict), ` ${explanation}`),
    el("blockquote", {}, highlightedText(assessment.text, assessment.findings)),
    findingsList(assessment.findings),
    el(
      "p",
      { class: "meta" },
      `Mission: ${mission} · engine: ${engine.provider} (${engine.model})`,
      engine.fallback_reason ? ` · the model failed, so the offline engine answered: ${engine.fallback_reason}` : "",
    ),
  );
}

function keyResultFacts(kr) {
  const facts = [
    ["metric", kr.metric],
    ["baseline", kr.baseline],
    ["target", kr.target],
    ["deadline", kr.deadline],
  ].filter(([, value]) => value);
  return facts.length ? el("span", { class: "kr-facts" }, facts.map(([name, value]) => `${name}: ${value}`).join(" · ")) : null;
}

/** A candidate as Markdown, for pasting into a planning doc or a ticket. */
export function candidateMarkdown(candidate) {
  const lines = [
    `### ${candidate.objective}`,
    "",
    `- **Problem:** ${candidate.problem_statement}`,
    `- **Hypothesis:** ${candidate.hypothesis}`,
    "",
    "**Key results**",
    "",
  ];
  candidate.key_results.forEach((kr, index) => {
    lines.push(`${index + 1}. ${kr.text}`);
  });
  lines.push("", `_Score ${candidate.score.toFixed(2)} by realise's rules._`, "");
  return lines.join("\n");
}

/**
 * Copies `text`. The Clipboard API needs a secure context (https, localhost or an extension);
 * elsewhere the Markdown is shown selected in `fallback` (a readonly textarea) for Ctrl+C.
 */
export async function copyText(text, fallback) {
  try {
    await navigator.clipboard.writeText(text);
    return "Copied as Markdown.";
  } catch {
    fallback.value = text;
    fallback.hidden = false;
    fallback.focus();
    fallback.select();
    return "Copying is blocked here: the Markdown is selected below, press Ctrl+C (⌘C).";
  }
}

function candidateFindings(candidate) {
  const { evaluation } = candidate;
  const groups = [
    ["Objective", evaluation.objective.findings],
    ...evaluation.key_results.map((kr, index) => [`Key result ${index + 1}`, kr.findings]),
    ["Objective and key results together", evaluation.findings],
  ].filter(([, findings]) => findings.length);
  const count = groups.reduce((total, [, findings]) => total + findings.length, 0);
  if (!count) return el("p", { class: "meta" }, "No findings: every rule passes.");
  return el(
    "details",
    { class: "candidate-findings" },
    el("summary", {}, `${count} finding${count === 1 ? "" : "s"}`),
    ...groups.flatMap(([label, findings]) => [el("h4", {}, label), findingsList(findings)]),
  );
}

/** One ranked candidate: objective and key results with findings on their words, and a copy button. */
export function candidateCard(candidate) {
  const { evaluation } = candidate;
  const titleId = `candidate-${candidate.rank}-title`;
  const fallback = el("textarea", { class: "copy-fallback", readonly: true, rows: "8", "aria-label": "Markdown to copy", hidden: true });
  const copyStatus = el("span", { class: "copy-status", role: "status" });
  const copyButton = el("button", { type: "button", class: "copy" }, "Copy as Markdown");
  copyButton.addEventListener("click", async () => {
    copyStatus.textContent = await copyText(candidateMarkdown(candidate), fallback);
  });
  return el(
    "article",
    { class: "candidate", "aria-labelledby": titleId, "data-rank": String(candidate.rank) },
    el(
      "header",
      {},
      el("span", { class: "rank", "aria-label": `Rank ${candidate.rank}` }, `#${candidate.rank}`),
      el("h3", { id: titleId }, highlightedText(evaluation.objective.text, evaluation.objective.findings)),
      scoreBadge(candidate.score, evaluation.passed),
    ),
    el(
      "dl",
      {},
      el("dt", {}, "Problem"),
      el("dd", {}, candidate.problem_statement),
      el("dt", {}, "Hypothesis"),
      el("dd", {}, candidate.hypothesis),
    ),
    el("h4", {}, "Key results"),
    el(
      "ol",
      { class: "key-results" },
      ...evaluation.key_results.map((judged, index) =>
        el("li", {}, highlightedText(judged.text, judged.findings), " ", keyResultFacts(candidate.key_results[index])),
      ),
    ),
    candidateFindings(candidate),
    el("div", { class: "copy-row" }, copyButton, " ", copyStatus),
    fallback,
  );
}

/**
 * The next "why?" questions, each with a box for its answer. `onAnswer(question, answer)` is
 * called when one is answered: the caller adds it to the context and rewrites (the 5 Whys as
 * a conversation). Without `onAnswer` the questions are listed only.
 */
export function questionsView(questions, onAnswer) {
  if (!questions || !questions.length) return null;
  return el(
    "section",
    { class: "questions", "aria-label": "Questions to answer" },
    el("h2", {}, "Why? Answer one to rewrite with it"),
    el(
      "ol",
      {},
      ...questions.map((question, index) => {
        const label = el("label", { for: `why-${index}` }, question);
        if (!onAnswer) return el("li", {}, label);
        const answer = el("input", { id: `why-${index}`, type: "text", name: "answer", autocomplete: "off" });
        const form = el("form", { class: "answer" }, label, " ", answer, " ", el("button", { type: "submit" }, "Add to context and rewrite"));
        form.addEventListener("submit", (event) => {
          event.preventDefault();
          if (answer.value.trim()) onAnswer(question, answer.value.trim());
        });
        return el("li", {}, form);
      }),
    ),
  );
}

/** The whole rewrite: the assessment, why fewer candidates came back, then the candidates best first, then the questions. */
export function rewriteView(result, { onAnswer } = {}) {
  return el(
    "div",
    { class: "rewrite-result" },
    assessmentView(result),
    result.notice ? el("p", { class: "notice", role: "note" }, result.notice) : null,
    result.candidates.length ? el("h2", {}, "Outcome candidates, best first") : null,
    result.candidates.length ? el("ol", { class: "candidates" }, ...result.candidates.map((candidate) => el("li", {}, candidateCard(candidate)))) : null,
    questionsView(result.questions, onAnswer),
  );
}

// --- evaluations (lint) -----------------------------------------------------------------

/** A one-line summary of an evaluation, for a status region. */
export function evaluationSummary(evaluation) {
  const all = [evaluation.objective, ...evaluation.key_results].flatMap((judged) => judged.findings).concat(evaluation.findings);
  const errors = all.filter((f) => f.severity === "error").length;
  return (
    `${evaluation.objective.kind === "output" ? "Output" : "Outcome"} objective · score ${evaluation.score.toFixed(2)} · ` +
    `${all.length} finding${all.length === 1 ? "" : "s"}${errors ? ` (${errors} error${errors === 1 ? "" : "s"})` : ""}`
  );
}

/** An objective and its key results, judged, with findings on their words and listed below each. */
export function evaluationView(evaluation) {
  return el(
    "div",
    { class: "evaluation" },
    el("p", { class: "evaluation-summary" }, scoreBadge(evaluation.score, evaluation.passed)),
    el("h3", {}, `Objective (${evaluation.objective.kind})`),
    highlightedText(evaluation.objective.text, evaluation.objective.findings, { tag: "p" }),
    findingsList(evaluation.objective.findings),
    evaluation.key_results.length ? el("h3", {}, "Key results") : null,
    evaluation.key_results.length
      ? el(
          "ol",
          { class: "key-results" },
          ...evaluation.key_results.map((kr) =>
            el(
              "li",
              {},
              highlightedText(kr.text, kr.findings),
              el("span", { class: "kr-facts" }, ` ${kr.kind}${kr.measurable ? ", measurable" : ", not measurable"}`),
              findingsList(kr.findings),
            ),
          ),
        )
      : null,
    evaluation.findings.length ? el("h3", {}, "Objective and key results together") : null,
    findingsList(evaluation.findings),
  );
}
