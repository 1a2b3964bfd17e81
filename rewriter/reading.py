"""Read an output-style request: what is being made, for whom, and why.

Shallow, deterministic parsing — enough for the offline engine to pick outcome frames and
to name the people and the capability involved. It never guesses numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evaluators import lexicon as lx
from evaluators import reports_fault
from evaluators.words import english_zipf, plural_noun, word_classes
from rewriter.things import (
    attached_thing,
    capabilities,
    capability_of_verb,
    inflected_verb,
    readable,
    singular,
    thing_of,
)
from rewriter.things import noun_phrase as thing_phrase

_STORY = re.compile(
    r"^\s*as\s+(?:an?|the)?\s*(?P<role>[^,]+?)\s*,?\s+"
    r"i\s*(?:want|would\s+like|'d\s+like|wish|need|can|should\s+be\s+able)\s+(?:to\s+)?(?:be\s+able\s+to\s+)?(?:have\s+)?"
    r"(?P<want>.+?)"
    r"(?:\s*,?\s*(?:so\s+that|in\s+order\s+to|so)\s+(?P<benefit>.+?))?\s*[.!]?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_FOR_WHOM = re.compile(
    r"\b(?:for|to help|so that)\s+(?:the\s+|our\s+|all\s+)?(?P<who>[a-z][\w\- ]{2,40}?)"
    r"(?:\s+(?:to|so|by|with|in|on|who)\b|[,.;]|$)",
    re.IGNORECASE,
)
_PURPOSE = re.compile(
    r"\b(?:to|so that|in order to|so)\s+"
    r"(?P<purpose>(?:increase|reduce|improve|cut|grow|speed up|lower|raise|help|make|let|allow|enable)\b.+)$",
    re.IGNORECASE,
)
_LEADING_ARTICLE = re.compile(r"^(?:a|an|the|our|new|some)\s+", re.IGNORECASE)
_TRAILING_PUNCT = re.compile(r"[\s.!?;:]+$")

# What kind of work the lead verb asks for; each kind has its own outcome frames.
WORK_KINDS: dict[str, frozenset[str]] = {
    "modernise": frozenset(
        (
            "upgrade migrate replace refactor rewrite port update patch move switch consolidate decommission retire "
            "modernise modernize"
        ).split()
    ),
    "build": frozenset(
        (
            "build create develop launch ship add implement release introduce deliver make roll deploy set install "
            "integrate provide offer enable support allow"
        ).split()
    ),
    "redesign": frozenset(
        "redesign restyle rework revamp simplify overhaul polish clean tidy declutter improve".split()
    ),
    "automate": frozenset("automate script schedule streamline".split()),
    "document": frozenset("document write publish produce record train".split()),
    "hire": frozenset("hire recruit staff onboard".split()),
    "fix": frozenset("fix debug resolve repair correct".split()),
    "discover": frozenset(
        (
            "explore investigate understand research learn discover assess evaluate test validate prototype spike "
            "analyse analyze study survey"
        ).split()
    ),
}

# Words in the "why" that point at the reason behind the request, in priority order.
REASON_SIGNALS: dict[str, tuple[str, ...]] = {
    "supportability": (
        "out of support",
        "end of life",
        "eol",
        "unsupported",
        "eats time",
        "toil",
        "maintenance",
        "maintain",
        "time-consuming",
        "time consuming",
        "manual",
        "patch",
        "hard to support",
        "legacy",
    ),
    "reliability": (
        "outage",
        "down",
        "downtime",
        "crash",
        "unreliable",
        "fails",
        "failure",
        "incident",
        "flaky",
        "resilien",
    ),
    "speed": (
        "slow",
        "latency",
        "performance",
        "timeout",
        "wait",
        "takes too long",
        "takes forever",
        "delay",
        " late",
        "lagg",
        "faster",
        "quicker",
        "speed up",
    ),
    "cost": ("cost", "expensive", "licen", "budget", "spend", "cheaper", "money"),
    "security": ("security", "vulnerab", "cve", "breach", "attack", "hacked", "phishing", "pen test", "penetration"),
    "experience": (
        "complain",
        "confus",
        "frustrat",
        "hard to use",
        "drop out",
        "abandon",
        "satisf",
        "support calls",
        "support tickets",
    ),
    "adoption": ("nobody uses", "low usage", "adoption", "reach", "engage", "sign up", "signup", "retention", "churn"),
}


@dataclass(frozen=True)
class ReadRequest:
    text: str
    verb: str | None  # the lead verb, lowercased
    work_kind: str  # a key of WORK_KINDS, "build" when unsure
    thing: str  # what is being made or changed ("Elasticsearch", "a chatbot for the help centre")
    capability: str  # what the thing is for ("search"), used to phrase outcomes
    beneficiary: str | None  # who it serves, when the text says
    purpose: str | None  # a stated purpose ("increase basket size", a story's "so that")
    want: str  # what is asked for, verb first ("create a customer account")
    reasons: tuple[str, ...]  # REASON_SIGNALS keys found in request + context, strongest first
    is_story: bool
    capability_known: bool = False  # whether the capability came from the map, not the user's noun
    context: str | None = None  # the why the user gave, as given
    question: str | None = None  # what a discovery request asks ("why trial users don't invite …")
    people: str | None = None  # people the request or its context names, when no beneficiary is given


def _clean(phrase: str) -> str:
    phrase = _TRAILING_PUNCT.sub("", phrase.strip())
    return phrase


def _strip_article(phrase: str) -> str:
    previous = None
    while previous != phrase:
        previous, phrase = phrase, _LEADING_ARTICLE.sub("", phrase)
    return phrase


def lemma(word: str) -> str:
    """A verb's base form from lemminflect's dictionary ("upgrading" → "upgrade", "builds"
    → "build", "migrated" → "migrate"); a word it does not know as a verb stays as written,
    lowercased."""
    from lemminflect import getLemma

    lowered = word.lower()
    if lowered in _ALL_WORK_VERBS:
        return lowered
    lemmas = getLemma(lowered, upos="VERB", lemmatize_oov=False)
    if lemmas:
        return lemmas[0]
    # Words the dictionary lacks ("refactored", "dockerising") by its rules for unknown words,
    # kept only when that gives a verb a work kind knows.
    guessed = getLemma(lowered, upos="VERB", lemmatize_oov=True)
    return guessed[0] if guessed and guessed[0] in _ALL_WORK_VERBS else lowered


_ALL_WORK_VERBS = frozenset().union(*WORK_KINDS.values())
#: Verbs whose want is a thing made, not something people do ("add campers", "upload an item").
_OUTPUT_LIKE = _ALL_WORK_VERBS - WORK_KINDS["discover"] | frozenset(
    "upload configure edit delete remove customise customize assign import define specify".split()
)


def work_kind_of(verb: str | None) -> str:
    if verb:
        for kind, verbs in WORK_KINDS.items():
            if verb in verbs:
                return kind
    return "build"


def mapped_capability(thing: str, verb: str | None = None) -> str | None:
    """The capability the map knows for the thing ("search" for Elasticsearch), for what
    its verb names ("search for information"), or for what it is attached to ("a dark mode
    | to the mobile banking app"); None when the map knows none of them."""
    found = thing_of(thing)
    if found is not None and found.capability:
        return found.capability
    from_verb = capability_of_verb(verb) if verb else None
    if from_verb:
        return from_verb
    attached = attached_thing(thing)
    return attached.capability if attached is not None and attached.capability else None


def capability_of(thing: str, verb: str | None = None) -> str:
    """How outcomes name what the thing serves: the capability the map gives it ("search"
    for Elasticsearch), else the one its verb names ("search for information" → search),
    else the thing's own noun phrase ("the weekly newsletter"), at most three of the user's
    words; "" when the request names nothing anyone could act on (or only people)."""
    mapped = mapped_capability(thing, verb)
    if mapped:
        return mapped
    found = thing_of(thing)
    if found is None or not readable(found.phrase) or as_people(found.phrase) == found.phrase:
        return ""
    phrase = found.phrase
    if phrase[:1].isupper() or phrase.isupper():
        return phrase  # a name: "Titanium Studio", "FPDS"
    # Two of the user's words at most, so that with an article the objective repeats at
    # most three in a row ("the records service"), never the request itself.
    phrase = " ".join(phrase.split()[-2:])
    # Mass nouns ("personalisation", "onboarding") and plurals read fine bare; countable things take "the".
    return phrase if not countable(phrase.split()[-1]) else f"the {phrase}"


def countable(noun: str) -> bool:
    """Whether a singular noun takes an article ("the environment", "the form"), not a mass
    noun ("onboarding", "personalisation") or a plural: its plural must be a word people use."""
    from lemminflect import getInflection

    lowered = noun.lower()
    if plural_noun(lowered) or lowered in _MASS_NOUNS:
        return False
    plurals = [form for form in getInflection(lowered, tag="NNS") if form != lowered]
    return any(english_zipf(form) >= 1.5 for form in plurals)


#: Mass nouns whose plural exists in some corner of English ("informations", "datas").
_MASS_NOUNS = frozenset(
    "information data feedback software hardware equipment advice research evidence knowledge access support "
    "traffic content media music furniture metadata documentation training guidance analytics".split()
)


def reasons_in(text: str) -> tuple[str, ...]:
    lowered = text.lower()
    found = []
    for reason, signals in REASON_SIGNALS.items():
        positions = [lowered.find(signal) for signal in signals if signal in lowered]
        if positions:
            found.append((min(positions), reason))
    return tuple(reason for _, reason in sorted(found))


PEOPLE_WORDS = frozenset(
    "people users customers clients staff team teams members citizens residents patients students visitors "
    "applicants caseworkers managers employees colleagues agents developers engineers analysts partners "
    "tenants buyers sellers readers listeners subscribers parents children families volunteers admins "
    "administrators researchers editors authors owners players travellers drivers nurses doctors teachers "
    "hires joiners starters recruits newcomers guests passengers pupils learners callers shoppers devs nurses "
    "clinicians "
    "pharmacists merchants riders diners investors borrowers claimants caseworkers dispatchers technicians "
    "candidates donors clients patrons fans athletes coaches carers farmers growers landlords solicitors paralegals "
    "lawyers officers planners inspectors recruiters consultants operators travellers travelers homeowners "
    # "-ants"/"-ents" name things as often as people (documents, payments), so only these:
    "applicants participants consultants assistants accountants attendants occupants claimants "
    "entrants migrants respondents dependents recipients residents".split()
)
#: Plural things with a people-like ending.
_THINGS_LIKE_PEOPLE = frozenset(
    "orders servers folders filters containers computers headers footers trackers errors sensors "
    "monitors colors colours vectors connectors numbers letters papers buffers layers markers "
    "parameters meters timers triggers routers browsers offers".split()
)


def as_people(phrase: str) -> str:
    """'the help centre' -> 'people who use the help centre'; 'managers' stays 'managers'."""
    words = phrase.lower().split()
    if not words:
        return "users"
    last = words[-1]
    if last in PEOPLE_WORDS or (
        last.endswith(("ers", "ors", "ists", "ians", "ees"))
        and last not in _THINGS_LIKE_PEOPLE
        and not _a_known_thing(last)
    ):
        return phrase
    return f"people who use the {_strip_article(phrase)}"


def _a_known_thing(plural: str) -> bool:
    """Whether the map knows the word as a thing ("clusters", "servers", "routers"), so
    that an "-ers" ending does not make it people."""
    one = singular(plural)
    return one != plural and one in capabilities() and one not in PEOPLE_WORDS


def people_subject(clause: str) -> str | None:
    """The people a clause opens with ("Customers renew …", "store managers order …", "New
    hires are productive …"), lowercased: its first words up to a word for people, within
    :data:`_SUBJECT_WORDS`; None when no people lead it."""
    words = clause.split()
    for end, word in enumerate(words[:_SUBJECT_WORDS]):
        bare = re.sub(r"[^\w-]", "", word)
        if not bare or (end and bare.lower() in _NOT_IN_A_SUBJECT):
            return None
        if bare[:1].isupper() and bare[1:2].isupper():
            continue  # an acronym ("API users") is part of it, never the people themselves
        if as_people(bare) == bare and bare.lower() not in _NOT_IN_A_SUBJECT:
            if words[0].lower() in ("as", "so", "too", "how"):
                return None  # "as many people as possible can …": a comparison, not a subject
            while end + 1 < len(words) and re.sub(r"[^\w-]", "", words[end + 1]).lower() in PEOPLE_WORDS:
                end += 1  # "staff | members"
                bare = re.sub(r"[^\w-]", "", words[end])
            subject = " ".join([*words[:end], bare])
            return subject[:1].lower() + subject[1:] if not subject[1:2].isupper() else subject
    return None


_SUBJECT_WORDS = 4
_NOT_IN_A_SUBJECT = frozenset("the a an to of for and or who that is are can will their our".split())


def _first_person_to_role(clause: str, role: str) -> str:
    """'I can log on to my account' -> '{role}s can log on to their account'."""
    plural = pluralise(role)
    # Contractions first: "I'm" is "they are", never "{role}'m".
    for short, full in (("'m", " are"), ("'ve", " have"), ("'ll", " will"), ("'d", " would")):
        clause = re.sub(rf"\b(?:i|we){short}\b", f"I{full}", clause, flags=re.IGNORECASE)
    clause = re.sub(r"\bI am\b", "I are", clause)
    clause = re.sub(r"^\s*(?:i|we)\b", plural, clause, flags=re.IGNORECASE)
    possessive = plural + ("'" if plural.endswith("s") else "'s")
    clause = re.sub(r"^\s*(?:my|our)\b", possessive, clause, flags=re.IGNORECASE)  # "my transactions …" opens it
    clause = re.sub(r"\b(?:I|we)\b", "they", clause)
    clause = re.sub(r"\b(?:my|our)\b", "their", clause, flags=re.IGNORECASE)
    clause = re.sub(r"\bme\b", "them", clause, flags=re.IGNORECASE)
    clause = re.sub(r"\bam\b", "are", clause)
    return clause


#: Words after which a role's head noun has ended: "Director of Data Integrity".
_AFTER_HEAD = frozenset("of for in at on from with to".split())


def _resolve_object(clause: str, wanted: str) -> str:
    """A "so that" clause's "them"/"it" is what the story wants ("reuse last year's quizzes
    so that I don't have to rebuild them" → "… rebuild the quizzes")."""
    words = [w for w in thing_phrase(wanted) if w]
    possessive = [i for i, w in enumerate(words) if w.lower().endswith("'s")]
    words = words[possessive[-1] + 1 :] if possessive else words  # "last year's | quizzes"
    if not words:
        return clause
    named = " ".join(words)
    plural = plural_noun(words[-1].lower())
    pronoun = r"\bthem\b" if plural else r"(?<!\bis )\bit\b(?! is\b)"
    return re.sub(pronoun, f"the {named}", clause, count=1) if re.search(pronoun, clause) else clause


def pluralise(role: str) -> str:
    """The plural of a role, inflecting its head noun with lemminflect ("Director of Data
    Integrity" → "Directors of Data Integrity", "staff member" → "staff members",
    "person" → "people"); a word it does not know takes the regular ending."""
    from lemminflect import getInflection

    role = _strip_article(role.strip())
    words = role.split()
    if not words:
        return "people"
    head = len(words) - 1
    for i, word in enumerate(words):
        if i > 0 and (word.lower() in _AFTER_HEAD or word.lower().endswith("ing")):
            head = i - 1  # "Director | of Research", "resident | applying for a permit"
            break
    word = words[head]
    if word.lower().endswith("s") and not word.lower().endswith("ss"):
        return role  # already plural ("developers", "FundingBodies")
    lowered = word.lower()
    forms = getInflection(lowered, tag="NNS")
    changed = [form for form in forms if form != lowered]
    # Of several plurals the commonest; a noun whose plural is itself ("sheep", "staff") stays.
    plural = max(changed, key=english_zipf) if changed else (lowered if forms else lowered + "s")
    shared = 0
    while shared < min(len(lowered), len(plural)) and lowered[shared] == plural[shared]:
        shared += 1
    plural = word[:shared] + plural[shared:]  # keep the user's capitals ("FundingBodies")
    return " ".join([*words[:head], plural, *words[head + 1 :]])


_PARTICLES = frozenset("up down out off over back".split())


def _base_verb(word: str) -> bool:
    """Whether the dictionary knows a lowercase word as a verb in its base form, and not as a
    noun too ("improve", "speed", "shorten"; not "titanium", "debugger", "invoice")."""
    classes = word_classes(word)
    return "VERB" in classes and ("NOUN" not in classes or word in _VERB_FIRST)


#: Words that are nouns too but lead a request as verbs ("Speed up …", "Cut …", "Fix …").
_VERB_FIRST = frozenset("speed cut increase decrease reduce improve boost lower raise halve double stop help".split())


#: What people put before the ask itself: "We need to …", "Please …", "Bug: …", "[Tech debt] …".
_PREAMBLE = re.compile(
    r"^(?:\[[^\]]{1,30}\]\s*"
    r"|(?:[\w-]+\s+)?(?:bug|feature|feature request|request|task|todo|chore|story|epic|tech debt|idea)\s*[:\-–]\s*"
    r"|(?:please|pls|kindly)\s+|(?:we|i)\s+(?:want|need|would\s+like|'d\s+like)\s+(?=(?:an?|the|some)\s)|(?:we|i|you)\s+(?:really\s+)?(?:need|want|have|would\s+like|'d\s+like|should|must|ought)\s+to\s+"
    r"|(?:can|could|should)\s+(?:we|you|someone)\s+(?:please\s+)?|let'?s\s+|need\s+to\s+|time\s+to\s+"
    r"|[A-Z][\w.+-]*(?:\s[A-Z][\w.+-]*)?:\s+(?=\S))+",
    re.IGNORECASE,
)


#: A discovery request's question: "Figure out why …", "Look into whether …".
_DISCOVERY_QUESTION = re.compile(
    r"^(?:figure\s+out|find\s+out|work\s+out|look\s+into|dig\s+into|check|investigate|explore|research|understand|learn|"
    r"assess|evaluate|validate|test|study|establish|determine|see)\s+"
    r"(?P<question>(?:whether|if|why|how|what|which|who|where|when)\b.+)$",
    re.IGNORECASE,
)
#: Clauses after a question that say why it is asked, not what: "… before we build anything".
_QUESTION_TAIL = re.compile(
    r"\s*(?:,|\s)\s*(?:before|so that|so we|because|since|as we|in order to|to decide|to inform)\b.*$", re.IGNORECASE
)


#: A label that makes an ask a learning one: "Spike: …", "POC - …", "[Research] …".
_LEARNING_LABEL = re.compile(
    r"^\s*\[?(?:spike|poc|proof of concept|research|experiment|investigation|discovery)\]?\s*[:\-–]\s*", re.IGNORECASE
)
#: A yes/no question after such a label: "can we use LLMs to …?" → "whether we can use LLMs to …".
_YES_NO = re.compile(
    r"^(can|could|should|would|will|do|does|is|are)\s+((?:[\w'-]+\s+){0,3}?(?:we|it|they|there|\w+s))\s+(.+)$",
    re.IGNORECASE,
)


def learning_label(request: str) -> bool:
    """Whether the request is labelled as learning work ("Spike: …")."""
    return bool(_LEARNING_LABEL.match(request))


def discovery_question(text: str) -> str | None:
    """The question a discovery request asks, without the reason for asking: "Research
    what's stopping small businesses from using the portal" → "what's stopping small
    businesses from using the portal"; None when it asks none."""
    match = _DISCOVERY_QUESTION.match(text)
    if match is None:
        return None
    question = _QUESTION_TAIL.sub("", match.group("question"))
    question = re.sub(r"^if\b", "whether", question, flags=re.IGNORECASE)
    return _clean(question) if len(question.split()) >= 3 else None


#: Words for people that say too little on their own to name who benefits ("the team").
_TOO_GENERAL_PEOPLE = frozenset("people team teams staff members users".split())
_WORD_TOKEN = re.compile(r"[A-Za-z][\w'-]*|[^\w\s]")


def _beneficiary(phrase: str) -> str | None:
    """Who "for …" names: people ("for enterprise customers") or the users of a country
    ("for Japan"); None when it names a thing ("for the invoices page")."""
    if as_people(phrase) == phrase:
        return phrase
    place = country(phrase)
    return f"users in {place}" if place else None


def country(phrase: str) -> str | None:
    """The country a phrase names ("Japan", "the United Kingdom"), by name only: "IT" or
    "US" in a request are rarely countries."""
    import pycountry

    name = _strip_article(phrase.strip())
    if not name[:1].isupper() or name.isupper():
        return None
    countries = pycountry.countries
    if countries.get(name=name) or countries.get(common_name=name) or countries.get(official_name=name):
        return name
    return None


def people_named(text: str) -> str | None:
    """The first people a text names, with the noun before them when it says which
    ("Accounting teams at our customers keep asking …" → "accounting teams"; "Reception
    staff can't find patients" → "reception staff"; "customers are complaining" →
    "customers"); None when it names none specific enough."""
    words = _WORD_TOKEN.findall(text)
    for i, word in enumerate(words):
        lowered = word.lower()
        if lowered not in PEOPLE_WORDS:
            continue
        previous = words[i - 1] if i and words[i - 1][:1].isalpha() else ""  # never across punctuation
        modifier = previous.lower()
        qualified = (
            bool(previous)
            and modifier not in _NOT_IN_A_SUBJECT
            and modifier not in _NOT_A_MODIFIER
            and modifier not in lx.STOPWORDS
            and "NOUN" in word_classes(modifier)
            and not previous.isupper()
        )
        if qualified and modifier not in PEOPLE_WORDS:
            return f"{modifier} {lowered}"
        if lowered not in _TOO_GENERAL_PEOPLE:
            return lowered
    return None


#: Words before people that do not say which people: "our", "many", "some", "those".
_NOT_A_MODIFIER = frozenset(
    "our your their my his her its all many some most few several other those these more less fewer new existing "
    "biggest largest best top key real actual whether if why how what which who where when than as".split()
)


_MADE = re.compile(r"^(?P<subject>(?:[\w'-]+ ){0,3}[\w'-]+s) (?P<done>[a-z]+ed)(?P<rest>\b.*)$", re.IGNORECASE)


_TO_BE = re.compile(r"^(?P<subject>(?:\w[\w'-]* ){0,4}\w[\w'-]*) to (?:be|stay|remain) (?P<state>.+)$", re.IGNORECASE)


#: Markup pasted with a request ("<b>bold</b>", "<img …>") is not words to read.
_MARKUP = re.compile(r"</?[A-Za-z][^<>]{0,200}>")


#: What bug reports say that the evaluators' reading of a fault may miss: "… does nothing",
#: "returns zero results", "takes forever", "go out an hour early", "says 'expired'".
_FAULT_SIGNS = re.compile(
    r"\b(?:does nothing|doesn'?t (?:work|load|open|save|show|send)|not working|stopped working|is broken|are broken|"
    r"returns? (?:zero|no|the wrong|wrong|an? error|empty)|shows? (?:the )?wrong|takes forever|an hour (?:early|late)|"
    r"(?:too )?early since|crash(?:es|ed|ing)?\b|throws?|exception|error \d{3}|\b[45]\d\d error|"
    r"randomly|keeps? (?:failing|crashing|logging)|lets you|allows? (?:you )?to select|is wrong|are wrong|"
    r"incorrect(?:ly)?|(?:get|gets|got|getting) logged out|lose everything|lost (?:everything|their \w+)|"
    r"times? out|timing out|timed out|saves twice|"
    r"(?:sent|emailed|charged|shows?|appears?) twice|off by one)\b",
    re.IGNORECASE,
)


#: Contractions typed without their apostrophe ("dont", "cant"): read, and written back, whole.
_BARE_CONTRACTIONS = {
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "cant": "can't",
    "wont": "won't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "shouldnt": "shouldn't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "ive": "I've",
}
_BARE_CONTRACTION = re.compile(r"\b(" + "|".join(_BARE_CONTRACTIONS) + r")\b", re.IGNORECASE)


def _tidy_contractions(text: str) -> str:
    return _BARE_CONTRACTION.sub(lambda m: _BARE_CONTRACTIONS[m.group(1).lower()], text)


_MODERNISING = re.compile(
    r"\b(?:upgrade|migration|replacement|refactor(?:ing)?|rewrite|deprecation|end of life|eol|version bump)\b",
    re.IGNORECASE,
)


def strip_preamble(request: str) -> str:
    """The ask itself, without what people put before it ("Can someone …", "We need to …",
    "Bug: …") or a closing question mark."""
    text = _tidy_contractions(" ".join(_MARKUP.sub(" ", request).split()) or " ".join(request.split()))
    text = (
        re.sub(r"\s*\b(?:pls|plz|please|thx|thanks|asap)\b\s*(?=[—–\-,.!]|$)", "", text, flags=re.IGNORECASE).strip()
        or text
    )
    return _PREAMBLE.sub("", text).rstrip("?") or text


def read_request(request: str, context: str | None = None) -> ReadRequest:
    text = strip_preamble(request)
    why = " ".join(_MARKUP.sub(" ", context or "").split())
    story = _STORY.match(text)
    if story:
        role = _clean(story.group("role"))
        want = _clean(story.group("want"))
        benefit = story.group("benefit")
        first = want.split()[0] if want.split() else ""
        # "I want saved payment details": no verb leads, so all of it is the thing.
        verb = lemma(first) if first and "VERB" in word_classes(lemma(first)) else None
        thing = (" ".join(want.split()[1:]) if verb else want) or want
        purpose = _first_person_to_role(_clean(benefit), role) if benefit else None
        if purpose:
            purpose = _resolve_object(purpose, " ".join(want.split()[1:]) if verb else want)
        made = _MADE.match(want) if purpose is None else None
        if made and inflected_verb(made.group("done")):
            # "I want duplicate candidates merged automatically": that state is the outcome.
            subject = made.group("subject")
            verb_form = "are" if plural_noun(subject.split()[-1].lower()) else "is"
            purpose = _first_person_to_role(f"{subject} {verb_form} {made.group('done')}{made.group('rest')}", role)
            verb = None
        if purpose is None and verb and verb not in _OUTPUT_LIKE and first.lower() == verb:
            # "I want to see which forms I have submitted": the want is already an ability.
            purpose = _first_person_to_role(f"I can {want}", role)
        state = _TO_BE.match(want) if purpose is None and verb is None else None
        if state:
            # "I want FPDS data to be up-to-date daily": that state is the outcome.
            subject = state.group("subject")
            verb_form = "are" if plural_noun(subject.split()[-1].lower()) else "is"
            purpose = _first_person_to_role(f"{subject} {verb_form} {state.group('state')}", role)
        return ReadRequest(
            text=text,
            verb=verb,
            work_kind=work_kind_of(verb),
            thing=thing,
            capability=capability_of(thing, verb),
            capability_known=mapped_capability(thing, verb) is not None,
            beneficiary=pluralise(role),
            purpose=purpose,
            want=want,
            reasons=reasons_in(f"{benefit or ''} {why}"),
            is_story=True,
            context=why or None,
            people=None,
        )
    question = discovery_question(text)
    labelled = _LEARNING_LABEL.match(" ".join(request.split()))
    if question is None and labelled:
        asked = _YES_NO.match(" ".join(request.split())[labelled.end() :].rstrip("?. "))
        if asked:
            modal, subject, rest = asked.groups()
            rest = re.sub(r"\s*\([^)]*\)", "", rest)  # "(gloves, noise)": an aside, not the question
            question = f"whether {subject.lower()} {modal.lower()} {rest}"
    # "Get the batch jobs off Python 2.7" is a migration of the batch jobs.
    words = re.sub(r"^(?:get|move|take)\s+(.+?)\s+off\s+(?=\S)", r"migrate \1 off ", text, flags=re.IGNORECASE).split()
    verb = lemma(re.sub(r"\W", "", words[0])) if words else None
    kind = work_kind_of(verb)
    if verb not in _ALL_WORK_VERBS and _MODERNISING.search(text):
        verb, kind, words = None, "modernise", ["", *words]  # "k8s upgrade 1.24->1.29 …": the work is named by a noun
    elif verb not in _ALL_WORK_VERBS and (reports_fault(text) or _FAULT_SIGNS.search(text)):
        # A bug report: its subject is the thing ("Reset emails | arrive 20 minutes late").
        verb, kind, words = None, "fix", ["", *words]
    # "Set up X", "Roll out X": a two-word verb.
    rest = words[1:]
    if (
        verb in {"set", "roll", "move", "switch", "spin"}
        and rest
        and rest[0].lower() in {"up", "out", "over", "to", "off"}
    ):
        rest = rest[1:]
    # A verb we have no work kind for ("Improve the helpline", "Speed up reset emails") still
    # leads: what follows it is the thing. Only a first word that is no verb ("Titanium
    # Studio: high CPU …") leaves the whole text as the thing.
    leads = kind != "build" or verb in WORK_KINDS["build"] or (verb is not None and _base_verb(verb))
    if (
        leads
        and verb is not None
        and kind == "build"
        and verb not in WORK_KINDS["build"]
        and rest
        and rest[0].lower() in _PARTICLES
    ):
        rest = rest[1:]  # "Speed up …", "Cut down …"
    thing = " ".join(rest) if leads and rest else text
    thing = (
        re.split(r"[?!;]|\.\s", thing, maxsplit=1)[0].strip() or thing
    )  # "recurring orders? | like subscribe & save"
    if question:
        # What a question is about follows its question word: "why | trial users don't …".
        kind, thing = "discover", question.split(None, 1)[1]
    purpose_match = _PURPOSE.search(thing)
    purpose = _clean(purpose_match.group("purpose")) if purpose_match else None
    if purpose_match:
        thing = thing[: purpose_match.start()].strip()
    who = _FOR_WHOM.search(thing)
    beneficiary = _beneficiary(_clean(who.group("who"))) if who else None
    named = people_named(question or "") or people_named(text) or people_named(why)
    subject = question and people_subject(question.split(None, 1)[1] if " " in question else "")
    named = named or subject or None  # "whether shop-floor operators would …"
    if named and beneficiary is None:
        beneficiary = named  # "for the invoices page", but the context says who: "Accounting teams …"
    if beneficiary is None and who and kind != "discover":  # (demand "for a subscription tier" has no subscribers yet)
        found = thing_of(_clean(who.group("who")))
        beneficiary = found.serves if found is not None else None  # whom the map says it serves
    named_part = (thing if not who else thing[: who.start()]).strip()
    return ReadRequest(
        text=text,
        verb=verb,
        work_kind=kind,
        thing=_clean(thing) or text,
        capability=capability_of(named_part, verb),
        capability_known=mapped_capability(named_part, verb) is not None,
        beneficiary=beneficiary,
        purpose=purpose,
        want=_clean(text),
        reasons=reasons_in(f"{text} {why}"),
        is_story=False,
        context=why or None,
        question=question,
        people=named,
    )
