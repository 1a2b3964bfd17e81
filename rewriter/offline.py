"""The offline engine: deterministic outcome frames, no model, no network.

It reads the request (verb, object, beneficiary, a user story's role and "so that", the
why in the context), picks frames that fit the kind of work and the reasons given, and
fills them. Key results name a metric and a direction; baseline and target stay explicit
"to be measured" / "to be agreed" placeholders, because only the team can measure them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from evaluators import judge_objective
from evaluators.lexicon import LANGUAGE_NAMES
from evaluators.words import plural_noun, word_classes
from rewriter.domain import CandidateDraft, EngineInfo, Generation, KeyResultDraft, Mission, RewriteSpec, Usage
from rewriter.figures import StatedMeasure, stated_measures
from rewriter.reading import WORK_KINDS, ReadRequest, as_people, mapped_capability, people_subject, read_request
from rewriter.things import thing_of

WORK_VERBS = frozenset().union(*WORK_KINDS.values())

#: Languages the offline engine's frames are written in; "und" is a text too short to tell.
WRITTEN_LANGUAGES = frozenset(("en", "und"))

DEADLINE = "end of the quarter"
PROMPT_REF = "offline-frames@2.0.0"


@dataclass(frozen=True)
class Measure:
    metric: str  # may use {cap}, {who}, {thing}
    direction: str  # "fall" | "rise" | "hold-above" | "hold-below" | "milestone"


@dataclass(frozen=True)
class Frame:
    name: str
    objective: str
    problem: str
    believe: str  # "We believe <doing> will result in <believe>"
    pushes: tuple[Measure, ...]
    guardrail: Measure


FRAMES: dict[str, Frame] = {
    "supportability": Frame(
        "supportability",
        "Make {cap} easier to support and keep running",
        (
            "Keeping {cap} running takes more of the team's time than it should{because}, "
            "time taken from work that serves {who}."
        ),
        "less of the team's time spent keeping {cap} running",
        (
            Measure("Hours spent each month keeping {cap} running", "fall"),
            Measure("Time to apply a security update to {cap}", "fall"),
            Measure("Incidents caused by {cap} each month", "fall"),
        ),
        Measure("Availability of {cap} each month", "hold-above"),
    ),
    "reliability": Frame(
        "reliability",
        "Make {cap} resilient so {who} can rely on it",
        "When {cap} fails, {who} cannot get on with what they came to do{because}.",
        "{cap} that {who} can count on",
        (
            Measure("Availability of {cap} each month", "rise"),
            Measure("Incidents affecting {who} each month", "fall"),
            Measure("Time to recover from a {cap} incident", "fall"),
        ),
        Measure("Time to ship a change to {cap}", "hold-below"),
    ),
    "cost": Frame(
        "cost",
        "Make {cap} cheaper to run without {who} noticing a difference",
        "Running {cap} costs more than the value it gives {who} justifies{because}.",
        "lower running costs for {cap} with no loss of quality",
        (Measure("Monthly cost of running {cap}", "fall"), Measure("Cost of {cap} per active user", "fall")),
        Measure("Satisfaction of {who} with {cap}", "hold-above"),
    ),
    "speed": Frame(
        "speed",
        "Make {cap} fast enough that {who} are never kept waiting",
        "{who} wait on {cap} longer than they should{because}.",
        "{who} waiting less on {cap}",
        (
            Measure("Median response time of {cap}", "fall"),
            Measure("Time {who} spend waiting on {cap} each week", "fall"),
        ),
        Measure("Error rate of {cap}", "hold-below"),
    ),
    "security": Frame(
        "security",
        "Make {cap} safe for {who} to trust with their data",
        "Weaknesses in {cap} put {who} and the organisation at risk{because}.",
        "fewer open security risks in {cap}",
        (
            Measure("Days a known critical vulnerability in {cap} stays open", "fall"),
            Measure("Security audit findings about {cap}", "fall"),
        ),
        Measure("Time to ship a change to {cap}", "hold-below"),
    ),
    "adoption": Frame(
        "adoption",
        "More {who} rely on {cap} week after week",
        "{who} do not yet get what they need from {cap}{because}.",
        "more {who} relying on {cap} week after week",
        (
            Measure("Share of {who} who use {cap} each week", "rise"),
            Measure("Share of {who} who come back to {cap} within a month", "rise"),
        ),
        Measure("Complaints from {who} about {cap} each month", "hold-below"),
    ),
    "task_success": Frame(
        "task_success",
        "{Who} get what they need from {cap} without asking for help",
        "{who} struggle to finish what they start with {cap}{because}.",
        "more {who} finishing their task on their own",
        (
            Measure("Share of {who} who complete their task with {cap} without help", "rise"),
            Measure("Median time for {who} to complete their task", "fall"),
        ),
        Measure("Errors {who} make that need correcting", "hold-below"),
    ),
    "experience": Frame(
        "experience",
        "Make {cap} effortless for {who}",
        "{who} struggle with {cap}, and some give up{because}.",
        "{who} finishing what they start with less effort",
        # What "effortless" looks like from outside: people finish without asking, and stop asking.
        (
            Measure("Share of {who} who finish what they start in {cap} without contacting support", "rise"),
            Measure("Support requests from {who} about {cap} each month", "fall"),
        ),
        Measure("Satisfaction of {who} with {cap}", "hold-above"),
    ),
    "automation": Frame(
        "automation",
        "Free {who} from repetitive work in {cap}",
        "{who} spend hours on repetitive steps in {cap}{because}, and mistakes creep in.",
        "{who} spending their time on work that needs their judgement",
        (
            Measure("Hours spent each week on manual steps in {cap}", "fall"),
            Measure("Time from request to completion in {cap}", "fall"),
        ),
        Measure("Errors in {cap} that need rework", "hold-below"),
    ),
    "self_service": Frame(
        "self_service",
        "{Who} find answers about {cap} on their own",
        "{who} have to ask someone to understand {cap}{because}, and wait for the answer.",
        "{who} finding answers about {cap} on their own",
        (
            Measure("Share of questions about {cap} that {who} resolve on their own", "rise"),
            Measure("Support requests about {cap} each month", "fall"),
        ),
        Measure("Satisfaction of {who} with the answers they find", "hold-above"),
    ),
    "fault_free": Frame(
        "fault_free",
        "{Who} can count on {cap} to work every time",
        "{who} run into a fault in {cap}{because}, and have to work around it or give up.",
        "{who} getting through {cap} without running into the fault",
        (
            Measure("Share of attempts at {cap} that fail for {who}", "fall"),
            Measure("Support requests about {cap} going wrong each month", "fall"),
        ),
        Measure("Time to ship a change to {cap}", "hold-below"),
    ),
    "capacity": Frame(
        "capacity",
        "{Who} get a timely response without the team burning out",
        "Demand from {who} outgrows what the team can handle{because}, so work waits.",
        "{who} getting a timely response",
        (
            Measure("Median time to respond to {who}", "fall"),
            Measure("Requests from {who} waiting longer than the agreed time", "fall"),
        ),
        Measure("Overtime hours worked by the team each month", "hold-below"),
    ),
}

LEARNING_FRAMES: tuple[Frame, ...] = (
    Frame(
        "learn_whether",
        "Learn whether {thing} would make a real difference for {who}",
        "We do not know yet whether {thing} matters to {who}{because}; building it on a guess risks wasted effort.",
        "{thing} would make a real difference for {who}",
        (
            Measure("Interviews with {who} about {thing} are analysed and the recurring needs ranked", "milestone"),
            Measure(
                "The riskiest assumption about {thing} is tested with {who} and the evidence recorded", "milestone"
            ),
        ),
        Measure("A decision to pursue, change or drop {thing} is taken on the evidence and shared", "milestone"),
    ),
    Frame(
        "understand_needs",
        "Understand what {who} most need from {cap}",
        "We are guessing at what {who} need from {cap}{because}.",
        "{who} need something from {cap} that we do not provide yet",
        (
            Measure(
                "The top needs of {who} for {cap} are identified from direct evidence and shared with the team",
                "milestone",
            ),
            Measure("Each need is linked to behaviour observed in how {who} use {cap} today", "milestone"),
        ),
        Measure("The team agrees which need to pursue first, and why, on the evidence", "milestone"),
    ),
    Frame(
        "find_problems",
        "Find out which problems with {cap} cost {who} the most",
        "We hear about problems with {cap} anecdotally{because}, but cannot tell which cost {who} the most.",
        "a few problems with {cap} cost {who} far more than the rest",
        (
            Measure(
                "Problems {who} report with {cap} are sized by how often they occur and what they cost", "milestone"
            ),
            Measure("The biggest problem is confirmed with {who} in their own words", "milestone"),
        ),
        Measure("A measurable outcome for the next delivery mission is agreed from what was learned", "milestone"),
    ),
)

KIND_FRAMES: dict[str, tuple[str, ...]] = {
    "modernise": ("supportability", "reliability", "cost", "speed", "security"),
    "build": ("experience", "task_success", "adoption", "self_service", "reliability"),
    "redesign": ("experience", "task_success", "adoption", "speed", "self_service"),
    "automate": ("automation", "task_success", "cost", "speed", "reliability"),
    "document": ("self_service", "task_success", "adoption", "experience", "capacity"),
    "hire": ("capacity", "speed", "experience", "task_success", "reliability"),
    "fix": ("fault_free", "reliability", "experience", "task_success", "speed"),
}
REASON_FRAMES: dict[str, str] = {
    "supportability": "supportability",
    "reliability": "reliability",
    "speed": "speed",
    "cost": "cost",
    "security": "security",
    "experience": "experience",
    "adoption": "adoption",
}
#: Capabilities that serve the team rather than the people it serves: "effortless for users"
#: or "completion rate of builds" would not read; upkeep, speed and failures do.
OPS_CAPABILITIES = frozenset(
    (
        "builds",
        "deployments",
        "releases",
        "caching",
        "messaging between services",
        "infrastructure changes",
        "the platform",
        "incident detection",
        "incident response",
        "diagnosis",
        "secrets management",
        "secure connections",
        "backups",
        "file storage",
        "data pipelines",
        "data processing",
        "analytics data",
        "page delivery",
        "background processing",
        "hosting",
        "the network",
        "source control",
        "data storage",
        "recovery from outages",
        "work tracking",
        "network security",
    )
)
DEFAULT_WHO: dict[str, str] = {"hire": "customers", "automate": "the team"}
# How the problem statement names the reason it was given, per REASON_SIGNALS key.
REASON_CLAUSES: dict[str, str] = {
    "supportability": "it is out of support or takes too much keeping running",
    "reliability": "it fails more often than people can accept",
    "speed": "it is too slow",
    "cost": "it costs too much",
    "security": "it carries security risk",
    "experience": "people find it frustrating",
    "adoption": "too few people use it",
}

_PURPOSE_VERB = re.compile(
    r"^(increase|raise|grow|improve|boost|reduce|cut|lower|decrease|speed up)\s+(.+)$", re.IGNORECASE
)
_FALLING = {"reduce", "cut", "lower", "decrease"}


@cache
def engine_fingerprint() -> str:
    """A short hash of the offline engine's own sources and its capabilities map."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("offline.py", "reading.py", "things.py", "figures.py", "questions.py", "data/capabilities.toml"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:12]


def gerund(verb: str) -> str | None:
    """The -ing form of an English verb from lemminflect's dictionary ("ship" → "shipping",
    "set" → "setting"); None for a word it does not know as a verb ("titanium"), which the
    engine must not inflect into a word that does not exist."""
    from lemminflect import getInflection

    forms = getInflection(verb.lower(), tag="VBG", inflect_oov=False)
    return forms[0] if forms else None


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _fill(template: str, values: dict[str, str]) -> str:
    text = template.format(**values)
    return re.sub(r"\s+", " ", text).strip()


def _key_result(measure: Measure, values: dict[str, str]) -> KeyResultDraft:
    metric = _fill(measure.metric, values)
    if measure.direction == "milestone":
        return KeyResultDraft(text=f"{_capitalise(metric)} by the {DEADLINE}", metric=None, deadline=DEADLINE)
    lowered = _lower_first(metric) if not metric[:3].isupper() else metric
    if measure.direction in {"fall", "rise"}:
        verb = "Reduce" if measure.direction == "fall" else "Increase"
        text = f"{verb} {lowered} from a baseline to be measured to a target to be agreed by the {DEADLINE}"
    else:
        bound = "at or above" if measure.direction == "hold-above" else "at or below"
        text = f"Keep {lowered} {bound} its current level (to be measured) through the quarter"
    return KeyResultDraft(text=text, metric=_capitalise(metric), baseline=None, target=None, deadline=DEADLINE)


def _stated_key_result(measure: StatedMeasure) -> KeyResultDraft:
    direction = ("fall" if measure.falls else "rise") + ("" if _plural_metric(measure.metric) else "s")
    compared = f" (compared with {measure.reference})" if measure.reference else ""
    deadline = measure.deadline or DEADLINE
    to = measure.target or "a target to be agreed"
    by = f"by the {deadline}" if deadline.startswith("end of") else f"by {deadline}"
    text = f"{measure.metric} {direction} from {measure.baseline}{compared} to {to} {by}"
    return KeyResultDraft(
        text=text, metric=measure.metric, baseline=measure.baseline, target=measure.target, deadline=deadline
    )


def _plural_metric(metric: str) -> bool:
    """Whether a metric's head noun is plural ("Crash-free sessions rise", "Share of callers
    who … falls"): the last word before "of", "in", "who", "that" …"""
    if re.match(r"^(?:time|length|share|cost|money|spend|number|rate|delay)\b", metric, re.IGNORECASE):
        return False  # "Time number porting takes falls": the head is the first word
    head = re.split(r"\s(?:of|in|who|that|for|with|at|on|by)\s", metric)[0].split()[-1].lower()
    return plural_noun(head)


def _lead_with(draft: CandidateDraft, stated: list[KeyResultDraft], count: int) -> CandidateDraft:
    """The stated measures first (all of them when they fit), then the frame's own key
    results, the last of which (its guardrail) is kept when there is room."""
    own = draft.key_results
    room = max(count - len(stated), 1 if count > len(stated) else 0)
    kept = [*own[: max(room - 1, 0)], own[-1]] if room else []
    return CandidateDraft(
        objective=draft.objective,
        problem_statement=draft.problem_statement,
        hypothesis=draft.hypothesis,
        key_results=[*stated, *kept][: max(count, len(stated))],
    )


class OfflineEngine:
    """Deterministic candidates from outcome frames. Same input, same output."""

    provider = "offline"
    model = "outcome-frames"

    def cache_identity(self, mission: Mission) -> str:
        # The sources and data that decide the answer: a cached answer from an engine that
        # read requests differently is never served as this one's.
        return f"offline:{self.model}:{PROMPT_REF}:{engine_fingerprint()}"

    async def generate(self, spec: RewriteSpec, mission: Mission) -> Generation:
        return self.generate_now(spec, mission)

    def generate_now(self, spec: RewriteSpec, mission: Mission) -> Generation:
        engine = EngineInfo(provider="offline", model=self.model, prompt=PROMPT_REF)
        assessment = judge_objective(spec.request)
        if assessment.language not in WRITTEN_LANGUAGES:
            name = LANGUAGE_NAMES.get(assessment.language, "a language it does not read")
            notice = (
                f"The offline engine writes English only, and this request reads as {name}. "
                "Configure a model (REALISE_MODEL) to rewrite it in its own language, or write the request in English."
            )
            return Generation(drafts=[], engine=engine, usage=Usage(), notice=notice)
        read = read_request(spec.request, spec.context)
        values = self._values(read, mission)
        # The user's own words are kept as an outcome only when they read as one ("Reduce
        # churn", "Customers renew …", "Fewer invoices go unpaid"), never a bug report or a
        # wish ("Do something about the reports", "The onboarding needs to be better").
        own_outcome = assessment.kind == "outcome" and read.work_kind != "fix" and _reads_as_outcome(read.text)
        asks = mission == "discovery" and read.question is not None
        named = thing_of(read.thing)
        # A thing the map does not know, for people nobody named, is an unknown noun: frames
        # around it ("Make the test case effortless for users") would dress the request up.
        known = read.capability_known
        # (Discovery is about learning what an unknown thing is worth: "Explore personalisation".)
        unknown = (
            mission == "delivery"
            and not known
            and not (
                read.beneficiary
                or read.people
                or read.is_story
                or (named and named.serves)
                or read.work_kind in DEFAULT_WHO
            )
        )
        measured = stated_measures(f"{spec.request}. {spec.context or ''}")
        # "improve the dashboard", "clean up the settings page, it's a mess", with nothing said
        # of who or why: a wish, not yet something to measure.
        # A word or two and nothing else ("SSO", "GraphQL API") names a thing, not why: ask.
        terse = len(read.text.split()) <= 2 and not (
            own_outcome
            or read.context
            or _asks_for_work(read)
            or re.search(r"\b(?:faster|quicker|cheaper|safer)\b", read.text, re.IGNORECASE)
        )
        wish = terse or (
            _WISH.search(read.text) is not None
            and not _MEASURE_NOUN.search(read.text)  # "Improve engagement" names what to measure
            and not (read.context or read.people or read.beneficiary or measured)
        )
        # The first figure the user gave says what should change when nothing else does
        # ("Number porting takes 4.2 business days …" → "Cut the time number porting takes").
        from_figures = (
            _objective_from(measured[0])
            if measured and mission == "delivery" and not own_outcome and not read.purpose
            else None
        )
        if from_figures and ((not values["cap"] or unknown) or wish):
            read = replace(read, purpose=from_figures)
            wish = False
        if (
            ((not values["cap"] or unknown) and not own_outcome and not read.purpose and not asks)
            or wish
            or any(f.code == "vague" for f in assessment.findings)
        ):
            notice = (
                "The request does not name what should change or for whom, so the offline engine wrote no "
                "candidates rather than guess; answer one of the questions to rewrite it."
            )
            return Generation(drafts=[], engine=engine, usage=Usage(), notice=notice)
        # Figures the user gave, with their metric, lead every candidate's key results: a
        # number the user measured is never replaced by "a baseline to be measured".
        stated = [_stated_key_result(m) for m in measured]
        timed = any(m.falls and m.metric.startswith(("Time ", "Length of ", "Median ", "Average ")) for m in measured)
        frames: list[Frame] | tuple[Frame, ...] = (
            LEARNING_FRAMES if mission == "discovery" else self._delivery_frames(read, timed=timed)
        )
        drafts: list[CandidateDraft] = []
        if asks:
            drafts.append(self._question_candidate(read, values, spec.key_results))
            if not read.capability_known:
                frames = []  # the question is the learning objective; frames would name the user's words as a thing
        if mission == "delivery":
            # A request that is already an outcome is the first candidate, tidied; the frames
            # follow only when the map knows what it is about.
            own = _tidy_outcome(read.text) if own_outcome else read.purpose
            purpose_draft = self._purpose_candidate(read, own, values, spec.key_results) if own else None
            if purpose_draft:
                drafts.append(purpose_draft)
            if (own_outcome and not known) or not values["cap"] or unknown:
                frames = []  # only the user's own outcome: the frames would have nothing to name
        # Every frame that fits, not only as many as asked: the pipeline's gate drops those
        # the evaluators fail and keeps the best of the rest.
        for frame in frames:
            drafts.append(self._from_frame(frame, read, values, spec.key_results))
        if stated and mission == "delivery":
            drafts = [_lead_with(draft, stated, spec.key_results) for draft in drafts]
        return Generation(drafts=[_watching(draft) for draft in drafts], engine=engine, usage=Usage())

    @staticmethod
    def _values(read: ReadRequest, mission: Mission) -> dict[str, str]:
        named = thing_of(read.thing)
        default = "the team" if read.capability in OPS_CAPABILITIES else DEFAULT_WHO.get(read.work_kind, "users")
        who = read.beneficiary or read.people or (named.serves if named else None) or default
        if mission == "discovery" and not (read.beneficiary or read.people):
            who = "the people we serve"
        because = ""
        if read.reasons:
            because = " (" + " and ".join(REASON_CLAUSES[r] for r in read.reasons[:2]) + ")"
        thing = re.sub(r"^(?:whether|if|how|why|what)\s+", "", read.thing, flags=re.IGNORECASE)
        if len(thing.split()) > _QUOTED_WORDS // 2:
            thing = read.capability  # a long ask is named by what it serves, not quoted
        # Hiring is about the service the new people will give, not about the people hired.
        capability = "the team's service" if read.work_kind == "hire" else read.capability
        return {"cap": capability, "who": who, "Who": _capitalise(who), "thing": thing, "because": because}

    @staticmethod
    def _delivery_frames(read: ReadRequest, *, timed: bool = False) -> list[Frame]:
        kind = read.work_kind if read.work_kind in KIND_FRAMES else "build"
        if read.capability in OPS_CAPABILITIES and kind in ("build", "redesign"):
            kind = "modernise"  # what serves the team is judged by its upkeep, speed and failures, not "effortless"
        # Keeping a thing running is a reason to change what exists, not to build something new
        # ("send them spreadsheets manually" asks for an export, not an easier-to-run one).
        upkeep = kind in ("modernise", "fix", "automate")
        # A fault's own frame leads unless the reason is one a frame answers better (a slow
        # page is about speed); complaints are why it matters, not what should change.
        ignored = {"experience", "adoption", "cost", "supportability"} if kind == "fix" else set()
        if read.capability in OPS_CAPABILITIES:
            ignored |= {"experience", "adoption"}  # developers complaining about builds is about speed or failures
        order: list[str] = [
            REASON_FRAMES[r]
            for r in read.reasons
            if r in REASON_FRAMES and (upkeep or r != "supportability") and r not in ignored
        ]
        if timed and "speed" not in order:
            order.insert(0, "speed")  # the user measured how long it takes: that is what should change
        # Only the frames that fit the kind of work: a frame about something else ("Free users
        # from repetitive work in search" for an upgrade) would rank on form alone.
        order += [name for name in KIND_FRAMES[kind] if name not in order]
        return [FRAMES[name] for name in order]

    def _from_frame(self, frame: Frame, read: ReadRequest, values: dict[str, str], count: int) -> CandidateDraft:
        # (The user's own account of the pain, when short, is the problem statement.)
        objective = _capitalise(_fill(frame.objective, values))
        measures = [*frame.pushes[: max(count - 1, 1)], frame.guardrail][:count]
        while len(measures) < count:  # frames hold 3; pad with generic guardrails when 4-5 are wanted
            measures.append(
                _EXTRA_GUARDRAILS[len(measures) - 3]
                if frame.pushes[0].direction != "milestone"
                else _EXTRA_MILESTONES[len(measures) - 3]
            )
        key_results = [_key_result(m, values) for m in measures]
        return CandidateDraft(
            objective=objective,
            problem_statement=_told(read)
            or (
                _capitalise(_fill(frame.problem, values))
                if values["because"] or frame in LEARNING_FRAMES
                else _unproven(values)
            ),
            hypothesis=self._hypothesis(
                read, _fill(frame.believe, values), key_results[0], learning=frame in LEARNING_FRAMES
            ),
            key_results=key_results,
        )

    def _question_candidate(self, read: ReadRequest, values: dict[str, str], count: int) -> CandidateDraft:
        """A discovery request that asks a question ("Figure out why trial users don't invite
        their teammates") has its learning objective in it: answer that question, with
        evidence, and decide on it."""
        question = _tidy_question(read.question or "")
        word, rest = question.split(None, 1)
        word = word.lower()
        objective = f"Understand why {rest}" if word == "why" else f"Learn {question}"
        who = values["who"]
        if word == "why":
            first = (
                f"Interviews with {who} and usage data find the main reasons {rest}, "
                f"ranked by how many {who} each affects"
            )
        elif word == "whether":
            first = f"Interviews and a small test with {who} show whether {rest}"
        else:
            first = f"Interviews with {who} and usage data establish {question}"
        measures = [
            Measure(first, "milestone"),
            Measure(
                "The riskiest assumption behind the answer is tested with {who} and the result recorded", "milestone"
            ),
            Measure("A decision to go ahead, change course or stop is taken on the evidence and shared", "milestone"),
            *_EXTRA_MILESTONES,
        ][: max(count, 1)]
        key_results = [_key_result(m, values) for m in measures]
        return CandidateDraft(
            objective=objective,
            problem_statement=_told(read) or f"We do not know {question}, so what we do next rests on a guess.",
            hypothesis=(
                f"We believe the evidence from {who} will show {question}. "
                f"We will know we are right when {_lower_first(key_results[0].text)}."
            ),
            key_results=key_results,
        )

    def _purpose_candidate(
        self, read: ReadRequest, purpose: str, values: dict[str, str], count: int
    ) -> CandidateDraft | None:
        """A stated purpose ("so that …", "to increase …"), or a request that is already an
        outcome, is the strongest clue to the outcome: it is the objective as the user put it,
        and the key results measure it."""
        purpose = re.sub(r"[\s.!;:]+$", "", purpose)
        purpose = re.sub(r"^(?:(?:so\s+)?that\s+)+", "", purpose, flags=re.IGNORECASE)  # "so that that it is …"
        if re.match(r"^(?:it|it's|this|that|these|those|there|they|them|he|she|we)\b", purpose, re.IGNORECASE):
            return None  # "it's easy to compare estimates": the clause leans on words it does not carry
        match = _PURPOSE_VERB.match(purpose)
        who, ability = _who_and_ability(purpose, read.beneficiary if read.is_story else None)
        who = re.sub(
            r"^(?:fewer|more|less|most|all)\s+", "", who or values["who"], flags=re.IGNORECASE
        )  # "Fewer patients miss …"
        values = {**values, "who": who, "Who": _capitalise(who)}
        if as_people(values["cap"]) == values["cap"] or not read.capability_known:
            # The people are the subject ("Customers renew …"), or the noun is the user's own
            # and may be anything ("the time it takes …"): guardrails name what the map knows.
            values["cap"] = ""
        if not values["cap"]:
            # The purpose may name what the request did not: "so offboarding doesn't take forever".
            values["cap"] = mapped_capability(purpose) or ""
        comparative = _COMPARATIVE.match(purpose)
        if comparative and not match:
            values["cap"] = ""
            falls = comparative.group(1).lower() in {"fewer", "less"}
            relative = "who" if as_people(comparative.group(2)) == comparative.group(2) else "that"
            measured = f"Share of {comparative.group(2)} {relative} {comparative.group(3)}"
            pushes = [Measure(measured, "fall" if falls else "rise")]
            objective = _capitalise(purpose)
            problem = f"Too {'many' if falls else 'few'} {comparative.group(2)} {comparative.group(3)} today."
        elif match:
            verb, measured = match.group(1).lower(), match.group(2)
            pushes = [Measure(_capitalise(measured), "fall" if verb in _FALLING else "rise")]
            objective = _capitalise(purpose)
            problem = (
                f"No one measures {_lower_first(measured)} today, so no one can tell whether it is getting better."
            )
        elif ability and _acts(ability):
            pushes = [Measure(f"Share of {who} who {ability}", "rise"), *_wanted(read, who)]
            # "Readers who come from newsletters should stick around …" → "… stick around …"
            objective = (
                _capitalise(f"{who} {ability}")
                if re.search(r"\b(?:should|must)\b", purpose, re.IGNORECASE)
                else _capitalise(purpose)
            )
            if read.is_story or re.search(r"\bcan\b", purpose):
                problem = f"{who} cannot yet {_COMPARED_AT_END.sub('', ability)} as easily as they should."
            else:
                problem = f"Too few {who} {_COMPARED_AT_END.sub('', ability)} today."
        elif ability and _STILL.match(ability):
            # "don't have to switch tabs mid-round": today they still do.
            pushes = [
                Measure(f"Share of {who} who {_STILL.sub('still ', ability, count=1)}", "fall"),
                *_wanted(read, who),
            ]
            objective = _capitalise(purpose)
            problem = f"{who} {_STILL.sub('still ', ability, count=1)} today."
        elif ability:
            # A state, not an act ("are not approving every coffee", "know when …"): how
            # many are in it is the measure; "without help" or "time to" would not read.
            pushes = [Measure(f"Share of {who} who {ability}", "rise"), *_wanted(read, who)]
            objective = _capitalise(purpose)
            problem = f"{who} cannot yet {ability} as easily as they should."
        elif read.is_story and _acts(purpose) and not _OWN_VERB.search(purpose):
            pushes = [Measure(f"Share of {who} who {purpose}", "rise")]
            objective = _capitalise(f"{who} can {purpose}")
            problem = f"{who} cannot yet {purpose} as easily as they should."
        else:
            # An outcome with no one named as its subject ("Fewer invoices go unpaid"): the
            # frame that fits the request measures it.
            frame = self._delivery_frames(read)[0]
            # Without a thing the map knows, the frame's measures would name nothing ("completion
            # rate of for tenants"): how often the outcome happens is the measure.
            pushes = (
                list(frame.pushes)
                if values["cap"]
                else [Measure(f"Share of cases where {_lower_first(purpose)}", "rise")]
            )
            objective = _capitalise(purpose)
            problem = (
                _fill(frame.problem, values)
                if values["cap"]
                else f"Nothing yet measures whether {_lower_first(purpose)}."
            )
        problem = _told(read) or problem
        about = " about {cap}" if values["cap"] else ""
        pushes = list({measure.metric.lower(): measure for measure in pushes}.values())  # the want may be the purpose
        measures = [*pushes[: max(count - 1, 1)], Measure(f"Complaints from {{who}}{about} each month", "hold-below")][
            :count
        ]
        extra = _EXTRA_GUARDRAILS if values["cap"] else _GUARDRAILS_WITHOUT_A_THING
        while len(measures) < count:
            measures.append(extra[min(len(measures) - 2, len(extra) - 1)])
        key_results = [_key_result(m, values) for m in measures]
        return CandidateDraft(
            objective=objective,
            problem_statement=_capitalise(problem),
            hypothesis=self._hypothesis(
                read, f"{who} {ability}" if ability else _lower_first(purpose), key_results[0], stated_purpose=True
            ),
            key_results=key_results,
        )

    @staticmethod
    def _hypothesis(
        read: ReadRequest, outcome: str, first: KeyResultDraft, *, learning: bool = False, stated_purpose: bool = False
    ) -> str:
        if learning:
            return f"We believe {outcome}. We will know we are right when {_lower_first(first.text)}."
        short = len(read.thing.split()) <= _QUOTED_WORDS
        if read.is_story and len(read.want.split()) <= _QUOTED_WORDS:
            lead = read.want.split()[0].lower()
            want = _first_person(_lower_first(read.want))
            if outcome.lower().endswith(want.lower()):
                # The want was the outcome ("see which forms they have submitted"): the bet is
                # that being able to do it takes the asking away.
                about = f" with {read.capability}" if read.capability else ""
                return (
                    f"We believe {read.beneficiary} who can {want} will need less help{about}. "
                    f"We will know when we see a change in {_SIGNAL}."
                )
            doing = (
                f"letting {read.beneficiary} {want}"
                if word_classes(lead) >= {"VERB"}
                else f"giving {read.beneficiary} {want}"
            )
        elif stated_purpose and read.purpose is None:
            # The request was already an outcome: the bet is that it moves what measures it.
            return (
                "We believe the team can move this within the quarter by working on its causes rather than on a chosen "
                f"solution. We will know when we see a change in {_SIGNAL}."
            )
        elif read.work_kind == "fix" and read.verb is None:
            doing = f"fixing what goes wrong with {read.capability}" if read.capability else "fixing the fault"
        elif (
            read.verb and read.thing != read.text and short and gerund(read.verb) and _PLAIN_WORDS.fullmatch(read.thing)
        ):
            doing = f"{gerund(read.verb)} {read.thing}"
        else:
            # A long brief is not quoted back: the work is named by what it serves.
            doing = f"the work on {read.capability}" if read.capability else "this work"
        if stated_purpose:
            result = outcome if _PURPOSE_VERB.match(outcome) else f"mean that {outcome}"
        else:
            result = f"result in {outcome}"
        return f"We believe {doing} will {result}. We will know when we see a change in {_SIGNAL}."


#: Where a hypothesis names what it watches: the candidate's first key result, known only
#: once the user's own figures have been put first (see :func:`_watching`).
_SIGNAL = "\x00signal\x00"


def _watching(draft: CandidateDraft) -> CandidateDraft:
    if _SIGNAL not in draft.hypothesis or not draft.key_results:
        return draft
    first = draft.key_results[0]
    signal = _lower_first((first.metric or first.text).rstrip("."))
    return CandidateDraft(
        objective=draft.objective,
        problem_statement=draft.problem_statement,
        hypothesis=draft.hypothesis.replace(_SIGNAL, signal),
        key_results=draft.key_results,
    )


#: A thing the hypothesis may quote: plain words ("a CSV export for the invoices page"), not
#: versions, arrows, symbols or asides ("6.8 -> 8.x", "kafka w/ MSK", "certs + … (cert-manager?)").
_PLAIN_WORDS = re.compile(r"[A-Za-z][A-Za-z'-]*(?: [A-Za-z][A-Za-z'-]*)*")


#: The longest request part a hypothesis repeats as the user wrote it.
_QUOTED_WORDS = 10


_COMPARATIVE = re.compile(
    r"^(fewer|less|more)\s+([a-z][\w-]*(?:\s+[a-z][\w-]*)?)\s+((?:are|is|go|get|do|have|can|will|need|miss|fail|wait|arrive|come|use|make|"
    r"reach|finish|complete|return|drop|leave|stay|abandon|give|churn|cancel|call|book|pay|buy|sign|submit|apply|renew|switch|quit|"
    r"skip|lose|forget|open|click|reply|file|finish|adopt|come)\b.*)$",
    re.IGNORECASE,
)
_ENABLING = re.compile(r"^(?:help|let|enable|allow|get|make it easy for)\s+(.+)$", re.IGNORECASE)
_CAN = re.compile(r"^(?:can|could|are able to|will be able to|will|get to)\s+", re.IGNORECASE)
#: Words that lead a state rather than an act: "are not …", "know when …", "don't have to …".
#: A clause with a verb of its own after its first word has its own subject: "impact of
#: datasets | can be demonstrated" is no ability of the role's.
_OWN_VERB = re.compile(
    r"^\S+\s.*?\b(?:can|could|will|would|is|are|was|were|should|must|gets|get)\s+(?:be\s+)?\w", re.IGNORECASE
)
_COMPARED_AT_END = re.compile(
    r"\s+(?:more|less) (?:often|quickly|easily)$|\s+(?:more|less|faster|sooner|better)$", re.IGNORECASE
)
_STILL = re.compile(
    r"^(?:don't|do not|no longer|never|shouldn't|should not|won't|will not)\s+(?:need to\s+|have to\s+)?(?=\w)",
    re.IGNORECASE,
)
_STATE_WORDS = frozenset(
    (
        "be am are is was were have has had know knows feel feels don't doesn't do does not never no stop can't cannot"
    ).split()
)


def _acts(ability: str) -> bool:
    """Whether an ability leads with something people do ("order the right amount"), which
    has a share done unaided and a time to do it, rather than a state ("know when …")."""
    lead = ability.split()[0].lower()
    return lead not in _STATE_WORDS and not lead.endswith(("ing", "ed")) and "VERB" in word_classes(lead)


def _who_and_ability(clause: str, role: str | None = None) -> tuple[str | None, str | None]:
    """Who an outcome is about and what they do, when it says: "Customers renew …" →
    ("customers", "renew …"); "Help store managers order …" → ("store managers", "order …");
    "Tenants can pay …" → ("tenants", "pay …"); a story's own role, however long ("Directors
    of Research Integrity can …"), when the clause opens with it. (None, None) when no people
    lead it."""
    enabling = _ENABLING.match(clause)
    rest = enabling.group(1) if enabling else clause
    rest = re.sub(r"^more\s+", "", rest, flags=re.IGNORECASE)
    who = rest[: len(role)] if role and rest.lower().startswith(role.lower() + " ") else people_subject(rest)
    if who is None:
        return None, None
    ability = rest[len(who) :].strip()
    relative = re.match(
        r"^(?:who|that)\s+(.+?)\s+(?:should|must|need to|needs to|will|would|can|could)\s+(?=\w)",
        ability,
        re.IGNORECASE,
    )
    if relative:
        # "Readers who come from newsletters | should stick around …": the clause says which readers.
        who, ability = f"{who} who {relative.group(1)}", ability[relative.end() :]
    ability = _CAN.sub("", re.sub(r"^to\s+", "", ability))
    ability = re.split(r"\s+(?:so that|so|because|in order to)\s+", ability, maxsplit=1)[
        0
    ]  # their reason is not what they do
    if not ability or ability.split()[0].lower() in {"is", "was", "who", "that"}:
        return who, None
    return who, ability


def _objective_from(measure: StatedMeasure) -> str:
    """An outcome that moves a measure the user gave: "Cut the time number porting takes",
    "Raise the share of new workspaces that finish setup in the first week"."""
    verb = "Cut" if measure.falls else "Raise"
    return f"{verb} the {_lower_first(measure.metric)}" if not measure.metric.isupper() else f"{verb} {measure.metric}"


def _asks_for_work(read: ReadRequest) -> bool:
    """Whether a verb asks for the work ("Upgrade Elasticsearch", "fix login"), rather than
    the request only naming a thing ("SSO", "GraphQL API")."""
    return read.verb is not None and read.verb in WORK_VERBS


def _unproven(values: dict[str, str]) -> str:
    """The problem statement when the request gives no why: what is missing, not a pain the
    user never described ("Users struggle with search, and some give up")."""
    return (
        f"The request names the work, not the difference it should make for {values['who']}; "
        "until that is measured, no one can tell whether the work helped."
    )


def _wanted(read: ReadRequest, who: str) -> list[Measure]:
    """A story's want, when it is something people do ("grade assignments offline"), is
    the leading measure of its "so that": how many of them do it."""
    if not read.is_story or not read.verb or read.purpose is None or read.purpose.lower().endswith(read.want.lower()):
        return []
    want = _first_person(read.want)
    if len(want.split()) > _QUOTED_WORDS or not _acts(want):
        return []
    return [Measure(f"Share of {who} who {want}", "rise")]


def _first_person(clause: str) -> str:
    return re.sub(r"\bmy\b", "their", re.sub(r"\bme\b", "them", re.sub(r"\bI\b", "they", clause)), flags=re.IGNORECASE)


#: The longest account of the pain the problem statement repeats as the user gave it.
_TOLD_WORDS = 45


def _told(read: ReadRequest) -> str | None:
    """The pain in the user's own words: the context, when it is short enough to be a
    problem statement and says more than a word or two ("Average wait time is 47 minutes
    and 30% of callers hang up before they reach an agent.")."""
    told = " ".join((read.context or "").split())
    if not 6 <= len(told.split()) <= _TOLD_WORDS or re.match(
        r"^(?:it|this|that|they|these|those)\b", told, re.IGNORECASE
    ):
        return None  # too short to say the pain, or leaning on the request for its subject
    told = _capitalise(told)
    return told if told[-1] in ".!?" else f"{told}."


_EXTRA_GUARDRAILS = (
    Measure("Satisfaction of {who} with {cap}", "hold-above"),
    Measure("Error rate of {cap}", "hold-below"),
)
#: Guardrails for an outcome about people with no thing the map knows ("Fewer patients miss
#: their follow-up appointments"): nothing to name "with ___".
_GUARDRAILS_WITHOUT_A_THING = (
    Measure("Satisfaction of {who} with the service they get", "hold-above"),
    Measure("Support requests from {who} each month", "hold-below"),
)
_EXTRA_MILESTONES = (
    Measure("What was learned about {who} is written up and shared with the team", "milestone"),
    Measure("The next experiment is chosen on the evidence", "milestone"),
)


_WISH = re.compile(
    r"^(?:improve|enhance|better|fix up|clean up|tidy up|sort out|do something about|look at|rework|revamp|"
    r"modernise|modernize)\b"
    r"|^make\b.{1,40}\bbetter\b|\b(?:needs? to be better|is a mess|sucks|is bad|is terrible|could be better)\b",
    re.IGNORECASE,
)
_MEASURE_NOUN = re.compile(
    r"\b(?:engagement|retention|conversion|churn|satisfaction|nps|revenue|activation|adoption|usage|sales|margin|"
    r"throughput|uptime|latency|response times?|wait times?|turnaround|lead time|cycle time|abandonment|drop-?off|"
    r"sign-?ups|bookings)\b",
    re.IGNORECASE,
)
_OUTCOME_SHAPE = re.compile(
    r"^(?:(?:increase|raise|grow|improve|boost|reduce|cut|lower|decrease|halve|double|shorten|speed up|"
    r"minimi[sz]e|maximi[sz]e)\s"
    r"|(?:make|keep)\s.+\s(?:more|less|fewer)\s|(?:make|keep)\s.+\b\w+er\b\s*$"
    r"|(?:fewer|less|more)\s)",
    re.IGNORECASE,
)
_MAKE_SURE = re.compile(r"^(?:make\s+sure|ensure)\s+(?:that\s+)?", re.IGNORECASE)


def _tidy_outcome(text: str) -> str:
    """An outcome as the user wrote it, with "Make sure" dropped when people follow it
    ("Make sure field technicians fix …" → "field technicians fix …") and its "should" made
    a state ("Guests shouldn't have to queue" → "Guests no longer have to queue")."""
    text = re.sub(r"[\s.!?;:]+$", "", text)
    text = re.sub(r"\b(?:shouldn't|should not) have to\b", "no longer have to", text, flags=re.IGNORECASE)
    who = people_subject(text)
    if who and re.match(rf"^{re.escape(who)}\s+(?:should|must)\s+", text, re.IGNORECASE):
        text = re.sub(r"\s+(?:should|must)\s+", " ", text, count=1)  # "Guests should get …" → "Guests get …"
    rest = _MAKE_SURE.sub("", text)
    return rest if rest != text and people_subject(rest) else text


def _reads_as_outcome(text: str) -> bool:
    """Whether the user's own words have the shape of an outcome: a change to a measure
    ("Reduce churn"), a comparison ("Fewer invoices go unpaid"), or people doing something
    ("Customers renew …", "Help store managers order …")."""
    tidied = _tidy_outcome(text)
    if _OUTCOME_SHAPE.match(tidied):
        return True
    who, ability = _who_and_ability(tidied)
    return who is not None and ability is not None


def _tidy_question(question: str) -> str:
    question = re.sub(r"[\s.!?;:]+$", "", question)
    return re.sub(r"\b(what|who|that|there|it)'s\b", r"\1 is", question, flags=re.IGNORECASE)
