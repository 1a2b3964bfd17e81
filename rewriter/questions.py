"""The next "why?" of the 5 Whys: what to ask when the request does not say who benefits,
why it matters, or what number should move.

Questions name the request's own thing ("Who reads the weekly newsletter today …?") so that
answering one, added to the context, gives the engine what it lacked. They are asked in
English only: for a request in another language the engine says what it cannot do instead.
"""

from __future__ import annotations

import re

from evaluators import ObjectiveJudgement
from rewriter.domain import Mission, RewriteSpec
from rewriter.figures import stated_measures
from rewriter.reading import ReadRequest, people_subject, read_request
from rewriter.things import Thing, singular, thing_of

MAX_QUESTIONS = 3


def questions_for(spec: RewriteSpec, mission: Mission, assessment: ObjectiveJudgement, *, answered: bool) -> list[str]:
    """Up to :data:`MAX_QUESTIONS` questions, most useful first; none when the request says
    who benefits, why, and by how much, or is not in English."""
    if assessment.language != "en":
        return []
    read = read_request(spec.request, spec.context)
    thing = thing_of(read.thing)
    vague = any(f.code == "vague" for f in assessment.findings)
    subject = _subject(thing) if thing is not None and not vague else None
    if subject is not None and people_subject(read.text):
        subject = "this"  # an outcome about people names no thing: "Customers renew …"
    who = read.beneficiary or people_subject(read.text) or (thing.serves if thing else None)
    asked: list[str] = []
    if mission == "discovery":
        about = subject or "this"
        asked.append(f"What decision will what you learn about {about} inform, and by when?")
        if not who:
            asked.append(f"Whose behaviour around {about} do you most need to understand, and why them?")
        asked.append(f"What do you already believe about {about}, and which belief would hurt most if it were wrong?")
        return asked[:MAX_QUESTIONS]
    if subject is None:
        asked.append("Which part of the product or service is this about, and who feels the problem most?")
        asked.append("What happens today that should stop happening, or what can people not do that they should?")
    else:
        if not who:
            asked.append(f"Who relies on {subject}, and what are they trying to get done with it?")
        if not read.reasons and not read.purpose and assessment.kind == "output":
            asked.append(_why_question(read, subject, who or "the people who use it"))
    if not stated_measures(f"{spec.request}. {spec.context or ''}") and (asked or not answered):
        asked.append("What would you see change if this worked: which number, and what is it today?")
    if not answered and not asked:
        # Nothing was written: there is always a next "why?" to ask.
        asked.append(f"Who is this for, and what should {who or 'they'} be able to do that they cannot do today?")
    return asked[:MAX_QUESTIONS]


def _subject(thing: Thing) -> str:
    """How a question names the thing: the user's own phrase, with an article when it is a
    countable noun ("the weekly newsletter"), bare when it is a name or a mass noun; "this"
    when the phrase is no noun a question can name ("w/", "may", "there's demand")."""
    phrase = thing.phrase
    if not _nameable(phrase):
        return "this"
    if (
        phrase[:1].isupper()
        or phrase.isupper()
        or phrase.lower().endswith(("ing", "tion", "sion", "ment", "ness", "ity", "s"))
    ):
        return phrase
    return f"the {phrase}"


def _nameable(phrase: str) -> bool:
    from evaluators.words import word_classes

    words = phrase.split()
    if not words or not all(re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", w) for w in words):
        return False
    head = words[-1]
    if head[:1].isupper() or head.isupper():
        return True  # a name: "Okta", "SAP"
    return "NOUN" in word_classes(singular(head.lower())) and word_classes(head.lower()) != frozenset({"VERB"})


def _why_question(read: ReadRequest, subject: str, who: str) -> str:
    if read.work_kind == "fix":
        return f"How often does this happen to {who}, and what do they do when it does?"
    if read.work_kind == "modernise":
        return f"What goes wrong if {subject} stays as it is: time spent keeping it running, outages, cost or risk?"
    if read.work_kind == "automate":
        return "Who does this by hand today, how long does it take them, and what goes wrong?"
    return f"Why does {subject} matter now: what can {who} not do today, or what does it cost them?"
