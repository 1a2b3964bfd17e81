"""Measures the user already gave: figures in the request or its context, read with the
metric they belong to, so that they become key results' baselines instead of "a baseline to
be measured" (issue 12, "use the why").

Only shapes that can be read with confidence become a measure; any other figure is left
alone (and the bench counts it as not kept) rather than dressed in a guessed metric:

- "<metric> is/are/was <figure>"        "Average wait time is 47 minutes"
- "<figure> of <people or things> <verb …>"  "30% of callers hang up before they reach an agent"
- "half / a third / a quarter of …"     "Half of applicants give up at step 3" (50 %)
- "It takes <who> <figure> to <do …>"   "It takes IT 9 working days to get a new hire a laptop"
- "<things> <verb> about <figure> late" "Reset emails arrive about 20 minutes late"
- "<metric> dropped from <a> to <b>"     "Our store rating dropped from 4.5 to 3.9" (3.9 now)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Metric words whose measure should fall: a wait, a cost, a failure.
_FALLING = re.compile(
    r"\b(?:wait|waiting|time|times|late|lateness|delay|cost|costs|spend|no-shows?|errors?|"
    r"abandon\w*|give up|gives up|hang up|hangs up|churn\w*|crash\w*|outstanding|complaints?|"
    r"incidents?|penalt\w+|returns?|refunds?|tickets?|calls?|days?|hours?|minutes?|weeks?|"
    r"fail\w*|bounce\w*|drop\w*|miss\w*|cancel\w*|no results|second reset|request a second|wasted|waste|"
    r"steps|fields|clicks|screens|hand-?offs|re-?entr\w+|outstanding|breaks|breakages|leaks|bursts|outages?|disputes?)\b",
    re.IGNORECASE,
)
_FIGURE = r"(?:\d+h\s?\d+m(?:in)?\b|\d+(?:[.,]\d+)?h\b|(?:£|\$|€)?\d+(?:[.,]\d+)*(?:\s?%|(?:k|m|bn)\b)?)"
_UNIT = (
    r"(?:\s?(?:%|percent|working days|business days|days?|hours?|hrs|minutes?|mins|min|seconds?|secs|s|"
    r"weeks?|months?|calls|times|ms)\b)?"
)
_EFFORT = r"(?:steps|fields|clicks|screens|pages|questions|hand-?offs|approvals|sign-offs|forms|tools|systems|logins)"
_FRACTIONS = {"half": "50%", "a third": "33%", "a quarter": "25%", "two thirds": "67%", "three quarters": "75%"}

_IS = re.compile(
    rf"(?P<metric>(?:[A-Z]?[\w'-]+ ){{0,9}}?[\w'-]+) (?:is|are|was|were|stands at|sits at) "
    rf"(?:at |about |around |roughly |only |just |~)?"
    rf"(?P<figure>{_FIGURE}{_UNIT})",
)
_SHARE = re.compile(
    r"(?:(?:about|around|roughly|only|over|nearly|almost) )?"
    r"(?P<figure>\d+(?:[.,]\d+)?\s?%|half|a third|a quarter|two thirds|three quarters)"
    r" of (?:the |our |all |their )?(?P<who>(?!(?:the|our|all|their|a|an)\b)[\w'-]+) (?P<doing>(?:[\w'-]+ ?){1,8})",
    re.IGNORECASE,
)
_TAKES = re.compile(
    rf"[Ii]t takes (?P<who>[\w'-]+(?: [\w'-]+)?) (?:about |around |on average )?"
    rf"(?P<figure>\d+(?:[.,]\d+)?{_UNIT})(?: on average)? to (?P<doing>(?:[\w'-]+ ?){{1,8}})",
)
_LATE = re.compile(
    rf"(?P<things>(?:[\w'-]+ ){{0,3}}[\w'-]+) arrive (?:about |around |roughly )?"
    rf"(?P<figure>\d+(?:[.,]\d+)?{_UNIT}) late",
    re.IGNORECASE,
)
_MOVED = re.compile(
    rf"(?P<metric>(?:[\w'-]+ ){{0,4}}[\w'-]+) (?:has |have )?"
    rf"(?:dropped|fallen|fell|risen|rose|gone up|gone down|went up|went down|grown|grew|climbed|slipped)"
    rf" from (?P<was>{_FIGURE}{_UNIT}) to (?P<figure>{_FIGURE}{_UNIT})",
    re.IGNORECASE,
)
#: "The form has 7 steps": a count of the effort something asks of people, which should fall.
_HAS = re.compile(
    rf"(?P<thing>(?:[\w'-]+ ){{0,2}}[\w'-]+) (?:has|have|takes|needs|requires|asks for) "
    rf"(?:about |around |roughly |over )?"
    rf"(?P<figure>\d+) (?P<unit>{_EFFORT})\b",
    re.IGNORECASE,
)
#: "roughly 900 wasted slots a month across our 4 clinics": a count per period, with its scope.
_PER_PERIOD = re.compile(
    r"(?:(?:about|around|roughly|over|nearly|almost) |~)?(?P<figure>(?:£|\$|€)?\d+(?:[.,]\d+)*(?:k|m)?) "
    r"(?P<things>(?:[a-z][\w'-]* ){0,2}[a-z][\w'-]*) (?:a|per|each|every) (?P<period>day|week|month|year|quarter)"
    r"(?P<scope> across (?:our |the |all )?\d+ [a-z][\w'-]*)?",
    re.IGNORECASE,
)
#: "… are at 97.2% on Android and 99.5% on iOS": one more figure for the same metric elsewhere.
_AND_ELSEWHERE = re.compile(
    rf"(?P<where> (?:on|in|for|at) [\w' -]{{1,30}}?)(?:,| and| while| but)+ (?:at )?(?P<figure>{_FIGURE}{_UNIT})"
    rf"(?P<where2> (?:on|in|for|at) [\w'-]+(?: [\w'-]+)?)",
    re.IGNORECASE,
)
#: "… 58 days while our terms are net 30": what the figure is held against.
_HELD_AGAINST = re.compile(
    r"\s*,?\s*(?:while|whereas|but|and) (?:our |the |their )?(?P<what>[a-z][\w' -]{1,30}?) (?:is|are|says|say) "
    r"(?P<ref>(?:[a-z]+ )?\d+(?:[.,]\d+)?(?:\s?%| days| hours| minutes)?)\b",
    re.IGNORECASE,
)
_NOT_COUNTED = frozenset("times of the a an and or per percent".split())
_UNIT_WORDS = re.compile(
    r"(?:%|percent|working|days?|hours?|minutes?|mins|seconds?|weeks?|months?|years?)", re.IGNORECASE
)
_PEOPLE_ENDINGS = (
    "ers",
    "ors",
    "ists",
    "ants",
    "ents",
    "ians",
    "ees",
    "people",
    "staff",
    "users",
    "customers",
    "patients",
)
_STOP_AT = re.compile(r"\s(?:and|but|while|which|so|because|even|although|compared|vs|versus|than)\b.*$", re.IGNORECASE)


@dataclass(frozen=True)
class StatedMeasure:
    metric: str  # "Share of callers who hang up before they reach an agent"
    baseline: str  # "30%", as the user wrote it
    falls: bool  # whether the change wanted is down
    # A figure the user gave to compare it with: where it was ("4.5 before"), or what it is
    # elsewhere ("41% overall", "94% in the other regions"). Kept, never turned into a target.
    reference: str | None = None
    # What the user said it should become, and by when ("Leadership wants 70% by end of Q4"):
    # a target the user gave is theirs to keep, never "a target to be agreed".
    target: str | None = None
    deadline: str | None = None


#: A target the user states: "wants 70% by end of Q4", "aim for under 10 minutes", "get it down to 2 days".
_TARGET = re.compile(
    rf"\b(?:wants?(?: it| this| that)?(?: at)?|aims? for|aiming for|"
    rf"(?:sla|target|goal)\b[\w' -]{{0,40}}?\s(?:is|of|at)|"
    rf"targets?(?: is| of)?|goal(?: is| of)?|needs? to (?:reach|hit|get to|be)|"
    rf"should be|to reach|to hit|get (?:it |this |that )?(?:down |up )?to|bring (?:it )?(?:down |up )?to)\s+"
    rf"(?:about |around |under |below |at least |above )?"
    rf"(?P<target>{_FIGURE}{_UNIT})(?:\s+by\s+(?P<deadline>(?:the\s+)?(?:end\s+of\s+(?:the\s+)?)?(?:Q[1-4]|H[12]|[A-Z][a-z]+|next\s+\w+|this\s+\w+|quarter|year|month)(?:\s+\d{{4}})?))?",
    re.IGNORECASE,
)


_TARGET_WORDS = re.compile(r"\b(?:goal|target|aim|objective|ambition|sla)s?\b", re.IGNORECASE)
#: "Builds take 42 min", "Refund emails take 3 days": how long something takes.
_TAKE = re.compile(
    rf"(?P<things>(?:[\w'-]+ ){{0,2}}[\w'-]+) (?:take|takes|took|last|lasts) (?:about |around |roughly |over |~)?"
    rf"(?P<figure>\d+(?:[.,]\d+)?{_UNIT})",
    re.IGNORECASE,
)


#: "42-minute builds", "a 4-day access wait": a duration written before what lasts it.
_HYPHENATED = re.compile(
    r"(?P<n>\d+(?:[.,]\d+)?)-(?P<unit>second|minute|min|hour|day|week|month)s? "
    r"(?P<things>[a-z][\w-]*(?: [a-z][\w-]*)?)",
    re.IGNORECASE,
)
#: Money the user says is spent or lost: "refunded $18k last month", "each costs about $25 to handle".
_MONEY = re.compile(
    r"(?P<each>\beach )?(?P<verb>refunded|refund|spent|spend|spending|lost|lose|losing|costs?(?: us)?|"
    r"paid|pay|paying|wasted|waste|miss|missed|missing)\s+(?:out on\s+)?"
    r"(?:about |around |roughly |over |nearly |almost |~)?(?P<figure>[£$€]\s?\d[\d,.]*(?:\s?(?:k|m|bn)\b)?)"
    r"(?P<to> to \w+)?(?:\s+(?P<per>per \w+|a (?:month|year|week|day)|every (?:month|year|week)|"
    r"last (?:month|year|quarter|week)|this (?:month|year|quarter)))?",
    re.IGNORECASE,
)
_MONEY_METRICS = {
    "refund": "Money refunded",
    "spen": "Spend",
    "los": "Money lost",
    "cost": "Cost",
    "pa": "Money paid out",
    "wast": "Money wasted",
    "miss": "Money missed",
}


def _money_metric(match: re.Match[str]) -> str:
    verb = match.group("verb").lower()
    name = next(metric for stem, metric in _MONEY_METRICS.items() if verb.startswith(stem))
    if match.group("each"):
        name = f"{name} to{match.group('to')[3:]} each one" if match.group("to") else f"{name} of each one"
    per = (match.group("per") or "").lower()
    if per.startswith("per "):
        return f"{name} {per}"
    period = re.search(r"(month|year|week|day|quarter)", per)
    return f"{name} each {period.group(1)}" if period else name


_PART = re.compile(
    r"(?P<part>(?:[\w'-]+ ){0,3}[\w'-]+) (?:is|are|make up|makes up|account for|accounts for) "
    r"(?:about |around |roughly |nearly |almost |over )?"
    r"(?P<figure>\d+(?:[.,]\d+)?\s?%|half|a third|a quarter|two thirds|three quarters) of (?:the |our |all )?"
    r"(?P<whole>(?:[\w'-]+ ?){1,6})",
    re.IGNORECASE,
)


def _people(phrase: str) -> bool:
    from rewriter.reading import as_people  # (reading reads requests; figures only their numbers)

    return as_people(phrase) == phrase


def _acting(word: str) -> bool:
    """Whether a word can open what people or things do ("finish", "are", "hang", "get"),
    rather than go on naming them ("tickets", "workspaces", "volume")."""
    from lemminflect import getAllLemmas

    lowered = word.lower()
    if lowered in (
        "is",
        "are",
        "was",
        "were",
        "have",
        "has",
        "do",
        "does",
        "did",
        "can",
        "will",
        "never",
        "still",
        "only",
        "don't",
        "can't",
    ):
        return True
    lemmas = getAllLemmas(lowered)
    return "VERB" in lemmas and (
        "NOUN" not in lemmas or not lowered.endswith("s") or lowered in ("returns", "calls", "drops")
    )


def _plural_thing(word: str) -> bool:
    """A plural noun that is no verb form: "tickets", "invoices" (not "give", "are")."""
    from lemminflect import getAllLemmas

    lemmas = getAllLemmas(word.lower())
    return (
        word.lower().endswith("s")
        and "NOUN" in lemmas
        and lemmas["NOUN"][0] != word.lower()
        and word.lower() not in ("is", "was", "has", "does")
    )


#: What people do that a share of them should do less: "give up", "hang up", "are paid late"
#: (the time words that make a wait fall, "in their first week", say nothing of a share).
_FALLING_ACTS = re.compile(
    r"\b(?:abandon\w*|give up|gives up|gave up|hang up|hangs up|drop\w*|churn\w*|cancel\w*|miss\w*|fail\w*|complain\w*|"
    r"call\w*|leave|leaves|left|quit\w*|bounce\w*|wait\w*|late|return\w*|request a second|no results|error\w*|"
    r"are password resets|are duplicates|get lost|never \w+|don't|do not|can't|cannot|"
    r"contact\w*|chase\w*|re-?key\w*)\b",
    re.IGNORECASE,
)


def _unit_of(figure: str) -> str:
    """What kind of figure it is, so a target joins a measure of its kind: "4h10m" and "2h"
    are both times, "54%" and "70%" both shares."""
    lowered = figure.lower()
    if "%" in lowered or "percent" in lowered:
        return "%"
    if re.search(r"[£$€]", lowered):
        return "money"
    if re.search(
        r"\d\s?(?:h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?|ms|"
        r"days?|weeks?|months?|working days|business days)\b",
        lowered,
    ):
        return "time"
    return re.sub(r"[\d.,\s~]", "", lowered)


def _with_targets(text: str, measures: list[tuple[int, StatedMeasure]]) -> list[tuple[int, StatedMeasure]]:
    """Each stated target joins the nearest measure before it with the same unit."""
    for match in _TARGET.finditer(text):
        target = match.group("target").strip()
        before = [
            (i, (start, m))
            for i, (start, m) in enumerate(measures)
            if start < match.start() and m.target is None and _unit_of(m.baseline) == _unit_of(target)
        ]
        if not before:
            continue
        index, (start, measure) = before[-1]
        deadline = match.group("deadline")
        if deadline:
            deadline = re.sub(r"^(?:the\s+)?end\s+of\s+(?:the\s+)?", "end of ", deadline, flags=re.IGNORECASE)
            deadline = deadline if deadline.lower().startswith("end of") else deadline
        measures[index] = (
            start,
            StatedMeasure(measure.metric, measure.baseline, measure.falls, measure.reference, target, deadline),
        )
    return measures


def stated_measures(text: str | None) -> list[StatedMeasure]:
    """The measures ``text`` states with a figure, in order, one per figure at most."""
    if not text:
        return []
    found: list[tuple[int, StatedMeasure]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, measure: StatedMeasure) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append((start, measure))

    for sentence_match in re.finditer(r"(?:[^.;!?]|\.(?=\d))+", text):  # (not inside "97.2")
        sentence = sentence_match.group(0)
        offset = sentence_match.start()
        for match in _MOVED.finditer(sentence):
            # "Our store rating dropped from 4.5 to 3.9": the baseline is where it is now.
            metric = _trim_lead(match.group("metric"))
            figure = match.group("figure").strip()
            was = f"{match.group('was').strip()} before"
            add(
                offset + match.start(),
                offset + match.end(),
                StatedMeasure(metric[:1].upper() + metric[1:], figure, _falls(metric), was),
            )
        for match in _TAKES.finditer(sentence):
            doing = _trim(match.group("doing"))
            metric = f"Time it takes {match.group('who')} to {doing}"
            add(
                offset + match.start(), offset + match.end(), StatedMeasure(metric, match.group("figure").strip(), True)
            )
        for match in _MONEY.finditer(sentence):
            add(
                offset + match.start("figure"),
                offset + match.end(),
                StatedMeasure(_money_metric(match), match.group("figure").replace(" ", ""), True),
            )
        for match in _HYPHENATED.finditer(sentence):
            unit = match.group("unit").lower()
            unit = {"min": "minute"}.get(unit, unit)
            figure = f"{match.group('n')} {unit}{'' if match.group('n') == '1' else 's'}"
            add(
                offset + match.start(),
                offset + match.end(),
                StatedMeasure(f"Length of {_trim(_trim_lead(match.group('things'))).lower()}", figure, True),
            )
        for match in _TAKE.finditer(sentence):
            things = _trim_lead(match.group("things"))
            if things.lower() in ("it", "this", "that") or not re.search(
                r"[a-z]", match.group("figure"), re.IGNORECASE
            ):
                continue  # "it takes …" is _TAKES's; a bare count is no duration
            verb = "take" if _plural_thing(things.split()[-1]) else "takes"
            add(
                offset + match.start(),
                offset + match.end(),
                StatedMeasure(f"Time {things.lower()} {verb}", match.group("figure").strip(), True),
            )
        for match in _LATE.finditer(sentence):
            things = _trim_lead(match.group("things"))
            metric = f"Delay of {things.lower()}"
            add(
                offset + match.start(), offset + match.end(), StatedMeasure(metric, match.group("figure").strip(), True)
            )
        for match in _PART.finditer(sentence):
            part, whole = _trim_lead(match.group("part")), _trim(match.group("whole"))
            figure = _FRACTIONS.get(match.group("figure").lower(), match.group("figure").replace(" ", ""))
            metric = f"{part[:1].upper()}{part[1:]} as a share of {whole}"
            add(
                offset + match.start(),
                offset + match.end(),
                StatedMeasure(metric, figure, bool(_FALLING_ACTS.search(part))),
            )
        for match in _SHARE.finditer(sentence):
            who, doing = match.group("who"), _trim(match.group("doing"))
            first, _, rest = doing.partition(" ")
            while rest and not _acting(first):
                who, (first, _, rest) = f"{who} {first}", rest.partition(" ")  # "40% of helpdesk | tickets are …"
            doing = f"{first} {rest}".strip()
            if not _acting(first):
                continue  # "a third of inbound volume at the contact centre" says no act: read as a part of a whole
            if not doing:
                continue
            relative = "who" if _people(who) else "that"
            metric = f"Share of {who} {relative} {doing}"
            figure = _FRACTIONS.get(match.group("figure").lower(), match.group("figure").replace(" ", ""))
            add(
                offset + match.start(),
                offset + match.end(),
                StatedMeasure(metric, figure, bool(_FALLING_ACTS.search(doing))),
            )
        for match in _HAS.finditer(sentence):
            thing = _trim_lead(match.group("thing"))
            metric = (
                f"{match.group('unit').capitalize()} in the {thing.lower()}"
                if thing.lower() not in ("it", "this", "that")
                else match.group("unit").capitalize()
            )
            add(offset + match.start(), offset + match.end(), StatedMeasure(metric, match.group("figure"), True))
        for match in _IS.finditer(sentence):
            metric = _trim_lead(re.split(r"\b(?:and|but|while|which|that's|so)\b|,", match.group("metric"))[-1])
            if (
                not metric
                or metric.lower() in ("it", "this", "that", "there", "which", "what")
                or re.search(r"\b(?:when|if|once|until)\b", metric, re.IGNORECASE)
            ):
                continue  # "notify when the driver is 10 minutes away" is a condition, not a measure
            figure = match.group("figure").strip()
            # The measure starts where its metric does, not where the pattern began reading.
            begins = match.start("metric") + max(match.group("metric").rfind(metric), 0)
            elsewhere = _AND_ELSEWHERE.match(sentence, match.end())
            if elsewhere:
                # Two places, two baselines: "Crash-free sessions on Android", "… on iOS".
                named = metric[:1].upper() + metric[1:]
                add(
                    offset + begins,
                    offset + match.end(),
                    StatedMeasure(named + elsewhere.group("where"), figure, _falls(metric)),
                )
                add(
                    offset + elsewhere.start("figure"),
                    offset + elsewhere.end(),
                    StatedMeasure(named + elsewhere.group("where2"), elsewhere.group("figure").strip(), _falls(metric)),
                )
                continue
            against = _HELD_AGAINST.match(sentence, match.end())
            reference = f"{_trim_lead(against.group('what'))} of {against.group('ref')}" if against else None
            end = against.end() if against else match.end()
            add(
                offset + begins,
                offset + end,
                StatedMeasure(metric[:1].upper() + metric[1:], figure, _falls(metric), reference),
            )
        for match in _PER_PERIOD.finditer(sentence):
            things = _trim_lead(match.group("things"))
            if things.split()[0].lower() in _NOT_COUNTED or _UNIT_WORDS.fullmatch(things.split()[0]):
                continue  # "3 hours a day" is a duration, "the 2 a week" nothing counted
            scope = match.group("scope") or ""
            scope = re.sub(r" (?:our|the|all) ", " ", scope)
            metric = f"{things[:1].upper()}{things[1:]} a {match.group('period')}{scope}"
            add(
                offset + match.start(),
                offset + match.end(),
                StatedMeasure(metric, match.group("figure"), _falls(things)),
            )
        for index, (start, measure) in enumerate(list(found)):
            end = taken[index][1]
            if offset <= start < offset + len(sentence) and measure.reference is None:
                # Only a comparison right after this figure is about it.
                gap = _GAP.match(sentence, end - offset)
                compared = _COMPARED.match(sentence, gap.end()) if gap else None
                if compared:
                    found[found.index((start, measure))] = (
                        start,
                        StatedMeasure(
                            measure.metric, measure.baseline, measure.falls, _trim(compared.group("reference"))
                        ),
                    )
    # A target is a figure, not a measure of today: never read as a baseline of its own.
    targets = [(m.start("target"), m.end("target")) for m in _TARGET.finditer(text)]
    found = [
        (start, m)
        for start, m in found
        if not any(a <= start < b for a, b in targets) and not _TARGET_WORDS.search(m.metric)
    ]
    return [measure for _, measure in sorted(_with_targets(text, found), key=lambda pair: pair[0])]


_GAP = re.compile(r"\s*,?\s*")
#: A comparison after a stated figure: "… is 22% compared with 41% overall", "81% vs 94% in
#: the other regions".
_COMPARED = re.compile(
    rf"\b(?:compared (?:with|to)|vs\.?|versus|against|while it is|but)\s+"
    rf"(?P<reference>{_FIGURE}{_UNIT}(?:\s+(?:overall|elsewhere|on average|(?:in|on|at|for) [\w' -]{{1,40}}))?)",
    re.IGNORECASE,
)


#: Metrics that are good news when they rise, whatever words they contain ("Crash-free
#: sessions", "On-time delivery", "Activation rate").
_RISING = re.compile(
    r"\b(?:on-time|[\w-]+-free|satisfaction|rating|activation|conversion|adoption|retention|uptime|nps)\b",
    re.IGNORECASE,
)


def _falls(metric: str) -> bool:
    return not _RISING.search(metric) and bool(_FALLING.search(metric))


_TRAILING = re.compile(
    r"(?:\s+(?:with|of|to|the|a|an|and|or|for|from|at|in|on|by|about|asking|into|over))+$", re.IGNORECASE
)


def _trim(phrase: str) -> str:
    """A clause cut where a new one starts ("hang up before they reach an agent and …"),
    and never on a word that needs another after it ("… a working laptop with")."""
    return _TRAILING.sub("", _STOP_AT.sub("", phrase.strip()).strip(" ,"))


_LEADING = re.compile(r"^(?:(?:and|but|while|so|our|the|their|its|on|in|at)\s+)+", re.IGNORECASE)


def _trim_lead(phrase: str) -> str:
    return _LEADING.sub("", phrase.strip()).strip()
