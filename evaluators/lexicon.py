"""Word lists the rules (and the offline engine) share.

Every list holds lowercase *lemmas* (base forms): text is lemmatised by
:func:`evaluators.text.lemma` before it is looked up here, so "upgraded", "upgrades"
and "upgrading" all meet "upgrade". Multi-word verbs ("set up") are listed as
tuples of lemmas in the ``*_PHRASES`` sets.

These are module-level frozensets on purpose: the offline rewriter imports them to
choose words the evaluators will accept, so the two can never drift apart.
"""

from __future__ import annotations

from typing import Final

# --- verbs that name a deliverable (an output) ------------------------------------------

#: Verbs whose object is a thing the team produces. Leading an objective, they make it an
#: output; leading a key result, they make it an activity.
OUTPUT_VERBS: Final[frozenset[str]] = frozenset(
    """
    build rebuild create implement reimplement upgrade downgrade migrate launch relaunch ship
    deploy redeploy redesign refactor rewrite install write hire develop add replace release
    produce organise organize deliver finish complete publish record host hold train automate
    integrate configure reconfigure design document draft prepare introduce establish provide
    revamp overhaul modernise modernize port move switch adopt consolidate standardise
    standardize update patch fix retire decommission sunset archive buy purchase procure
    recruit appoint assemble form open attend present conduct perform execute finalise finalize
    code program prototype sign negotiate select choose renew setup schedule arrange coordinate
    facilitate run extend restructure reorganise reorganize rename rebrand refresh containerise
    containerize dockerise dockerize digitise digitize outsource customise customize localise
    localize translate print film make roll set enable remove delete send post distribute
    compile catalogue catalog inventory draw define plan start begin kick test review audit
    analyse analyze evaluate assess research interview survey pilot trial identify merge
    equip offer transition fund commission stock onboard retrofit refit refurbish renovate
    construct rewire replatform re-platform fit tender obtain retool visit list
        """.split()
)

#: Output verbs that also lead outcomes, so the rules look at what follows them:
#: "Make search cheaper" (outcome) vs "Make a video" (output); "Enable caseworkers to
#: decide" vs "Enable SSO"; "Move faster" vs "Move to the cloud".
AMBIGUOUS_OUTPUT_VERBS: Final[frozenset[str]] = frozenset("make enable move".split())

#: Two-word deliverable verbs: the first lemma plus a particle.
OUTPUT_PHRASES: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        ("set", "up"), ("roll", "out"), ("stand", "up"), ("spin", "up"), ("kick", "off"),
        ("carry", "out"), ("put", "in"), ("put", "together"), ("clean", "up"), ("sign", "off"),
        ("write", "up"), ("switch", "to"), ("move", "to"), ("get", "done"), ("go", "live"),
        ("start", "using"), ("begin", "using"), ("bring", "in"), ("take", "over"),
        ("wrap", "up"), ("kit", "out"), ("fit", "out"),
    }
)

#: Verbs that only disguise a deliverable: "Deliver the roadmap", "Finish the migration".
DISGUISED_OUTPUT_VERBS: Final[frozenset[str]] = frozenset(
    "deliver finish complete finalise finalize execute".split()
)

#: Task verbs that are also the right key results for a discovery mission
#: ("interview 8 applicants", "run 3 experiments"): not flagged as activities there.
RESEARCH_VERBS: Final[frozenset[str]] = frozenset(
    """
    interview survey test run conduct hold observe shadow prototype pilot trial research study
    analyse analyze map collect gather review record speak talk learn validate explore
    investigate experiment measure assess evaluate compare identify document synthesise
    synthesize visit rank estimate tag size quantify sample count benchmark prioritise
    prioritize score model simulate trial ask
    """.split()
)

# --- verbs that name a change (an outcome) ----------------------------------------------

#: Verbs that move a measure or an experience: leading an objective they make it an outcome.
OUTCOME_VERBS: Final[frozenset[str]] = frozenset(
    """
    increase reduce grow scale cut raise lower decrease double halve triple quadruple improve boost
    lift shorten speed accelerate save eliminate minimise minimize maximise maximize prevent
    avoid stop end protect retain keep maintain sustain preserve win earn attract delight
    engage empower help let allow become reach achieve hit ensure understand learn explore
    discover investigate validate decide know prove determine expand enter dominate lead own
    simplify strengthen deepen broaden widen regain recover restore eradicate free unblock
    derisk de-risk secure halt curb shrink slash trim drive deepen earn gain strengthen
    """.split()
)

#: Lead verbs that make a mission one of discovery (a learning objective).
DISCOVERY_VERBS: Final[frozenset[str]] = frozenset(
    """
    explore understand learn investigate discover validate research assess determine decide
    experiment test find figure work establish prove identify evaluate
    """.split()
)

#: Discovery verbs that are only about learning when a question follows
#: ("Test whether …", "Find out which …", not "Test the app", "Establish a board").
DISCOVERY_VERBS_NEEDING_QUESTION: Final[frozenset[str]] = frozenset(
    "test find figure work establish prove assess determine decide identify evaluate".split()
)

#: Particles and question words that turn those verbs into a learning objective.
QUESTION_WORDS: Final[frozenset[str]] = frozenset(
    "whether if which what why how who where when out that".split()
)

#: Lead verbs that keep things as they are.
BUSINESS_AS_USUAL_VERBS: Final[frozenset[str]] = frozenset(
    "maintain continue keep sustain preserve uphold carry".split()
)

#: Lead verbs that promise improvement without saying of what.
IMPROVEMENT_VERBS: Final[frozenset[str]] = frozenset(
    "improve better enhance optimise optimize boost strengthen increase grow".split()
)

#: Words that name nothing in particular: "Improve things", "Be better at everything".
VAGUE_WORDS: Final[frozenset[str]] = frozenset(
    """
    thing things stuff everything anything something it this that them us ourselves lot
    better best good great greater excellent world-class world class overall general generally
    more much further continuously continually again all way ways how at in of the a an our
    we be become get do through
    """.split()
)

#: Objects that make an output verb an outcome: you cannot ship trust.
ABSTRACT_OUTCOME_NOUNS: Final[frozenset[str]] = frozenset(
    """
    trust confidence loyalty awareness momentum value habit habits culture relationship
    relationships reputation understanding alignment clarity engagement goodwill buy-in
    demand traction capability capabilities resilience need needs expectation expectations
    leadership
    """.split()
)

#: Verbs that state where a measure is heading: "rises", "falls", "grows".
DIRECTION_VERBS: Final[frozenset[str]] = frozenset(
    """
    rise fall grow drop increase decrease reduce cut raise lower climb decline shrink double
    halve triple improve reach hit exceed stay remain hold go move jump fell rose grew
    """.split()
)

#: Words a measure direction pushes up: growth and speed.
GROWTH_WORDS: Final[frozenset[str]] = frozenset(
    """
    grow growth increase rise raise double triple more reach exceed boost lift acquire new
    sign-up sign-ups signup signups revenue sale sales lead leads user users customer customers
    adoption active download downloads visitor visitors traffic subscriber subscribers order
    orders booking bookings arr mrr wau dau mau pipeline deal deals conversion faster speed
    fast velocity throughput time cycle lead-time deploy deployment frequency cadence release
    releases volume listener listeners reader readers view views share usage
    """.split()
)

#: Words that show a key result protects something while growth is pushed (a guardrail).
GUARDRAIL_WORDS: Final[frozenset[str]] = frozenset(
    """
    quality reliability reliable availability available uptime downtime error errors
    defect defects bug bugs incident incidents outage outages satisfaction satisfied nps
    csat ces complaint complaints cost costs spend churn retention retain accuracy accurate
    security secure safety safe wellbeing well-being burnout attrition latency failure
    failures rollback rollbacks escape escapes stable stability trust happy happiness
    sentiment compliance breach breaches refund refunds return returns budget effort
    regression regressions crash crashes
    """.split()
)

# --- key results --------------------------------------------------------------------------

#: Nouns that are results, not tasks, when counted after a verb: "Deliver 300 qualified
#: leads a month" is a result, "Publish 10 posts" is a task.
RESULT_NOUNS: Final[frozenset[str]] = frozenset(
    """
    lead leads sign-up sign-ups signup signups revenue sale sales customer customers user
    users order orders booking bookings subscriber subscribers deal deals conversion
    conversions renewal renewals saving savings profit margin arr mrr pipeline member
    members donor donors donation donations visit visits visitor visitors referral referrals
    application applications registration registrations install installs download downloads
    contract contracts client clients patient patients enrolment enrolments enrollment
    """.split()
)

#: Verbs that can lead a counted result rather than a task: "Deliver 300 qualified leads a
#: month", "Sign 5 new customers" (while "Migrate 120 users" stays a task).
RESULT_VERBS: Final[frozenset[str]] = frozenset(
    "deliver produce generate sign close secure book make bring drive achieve earn win land".split()
)

#: Auxiliaries that, before a deliverable's past participle, say "the task is done":
#: "RBAC is implemented", "the migration is completed".
DONE_AUXILIARIES: Final[frozenset[str]] = frozenset(
    "is are be been being was were gets get got has have had will".split()
)

#: Words that on their own announce a task as done: "… goes live", "… is in place".
DONE_WORDS: Final[frozenset[str]] = frozenset(
    "live done complete completed finished ready shipped launched delivered open operational".split()
)

#: Nominalised deliverables: "Launch of the app by March", "Completion of the migration".
ACTIVITY_NOUNS: Final[frozenset[str]] = frozenset(
    """
    launch completion delivery implementation rollout roll-out migration release deployment
    installation creation development publication upgrade redesign introduction adoption
    setup set-up build rebuild rewrite replacement go-live move switchover switch-over
    changeover cutover transfer procurement refurbishment installation relocation refresh
    overhaul consolidation decommissioning replatforming retrofit
    """.split()
)

#: What a team gets signed off: "Get the protocol approved", "Get EASA approval".
APPROVAL_WORDS: Final[frozenset[str]] = frozenset(
    """
    approved approval approvals signed sign-off certified certification accredited
    accreditation authorised authorized authorisation authorization permission consent
    licensed licence license funded funding
    """.split()
)

#: How often something happens, as a value a measure can move between: "Deployments
#: rise from weekly to daily".
CADENCE_VALUES: Final[frozenset[str]] = frozenset(
    "hourly daily weekly fortnightly monthly quarterly yearly annually continuously on-demand".split()
)

#: Words that can stand before a verb without being its subject noun.
AUXILIARY_LIKE: Final[frozenset[str]] = frozenset(
    "will shall can could would should may might must 'll also still always never".split()
)

#: Things a team makes and hands over: "A new website for …", "Get the app into the store".
ARTEFACT_NOUNS: Final[frozenset[str]] = frozenset(
    """
    website site web-site app apps application portal platform system systems tool tools
    dashboard dashboards homepage intranet extranet crm erp database api apis chatbot bot
    podcast newsletter brochure leaflet video videos webinar webinars course module
    feature features product products release version prototype mvp microsite landing
    page pages form forms template templates policy handbook manual playbook wiki catalogue
    catalog warehouse office depot building store shop branch clinic
    """.split()
)

#: Words for the metric itself, used to tell a noun from an imperative
#: ("Build times halve" is about a measure; "Build a portal" is a task) and to find a
#: named metric in placeholder key results.
METRIC_NOUNS: Final[frozenset[str]] = frozenset(
    """
    time times rate rates cadence frequency speed duration success failure failures quality
    coverage cost costs count volume share number percentage proportion ratio score level
    levels hours minutes days latency uptime availability error errors satisfaction nps csat
    churn retention conversion revenue spend throughput velocity usage adoption accuracy
    """.split()
)

#: Words that mark a figure as a standing threshold rather than a change
#: ("under 800 ms", "at 99.95% or above"): such key results need no baseline.
THRESHOLD_WORDS: Final[frozenset[str]] = frozenset(
    """
    under below above over least most within less fewer longer shorter max maximum min
    minimum never always stay stays remain remains zero none no every all
    """.split()
)

#: Words that state the change relative to today: "by 15%", "up 20 %", "halve".
RELATIVE_CHANGE_WORDS: Final[frozenset[str]] = frozenset(
    "up down halve double triple quadruple twice half fold x2 2x 3x 10x".split()
)

#: Number words read as numbers (they count as figures; "one" is left out because
#: "one clear voice" is not a measure).
_UNITS: Final[dict[str, int]] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
_TENS: Final[dict[str, int]] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}
#: Numbers written as words ("one" alone is left out: "in one place" is seldom a count).
NUMBER_WORDS: Final[dict[str, int]] = {
    "zero": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000, "dozen": 12,
    **_TENS,
    # "sixty-two", "forty-five": one token each
    **{f"{tens}-{unit}": _TENS[tens] + _UNITS[unit] for tens in _TENS for unit in _UNITS},
}

#: Words that stand for a whole set: a key result led by them states a threshold
#: ("Every claim gets …", "No outage longer than …", "All tickets …").
QUANTIFIER_WORDS: Final[frozenset[str]] = frozenset("all every no none zero nobody nothing half".split())

#: Words that open a deadline or a cadence ("by", "every", "per").
DEADLINE_OPENERS: Final[frozenset[str]] = frozenset(
    "by before until till in during within every each per a an all this next end throughout through thru across over for at".split()
)

#: Periods that can close a deadline ("by the end of the quarter", "per month", "all year").
PERIOD_WORDS: Final[frozenset[str]] = frozenset(
    """
    day days daily week weeks weekly fortnight month months monthly quarter quarters quarterly
    year years yearly annual annually year-end sprint sprints half h1 h2 q1 q2 q3 q4 fy
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec spring summer autumn fall winter
    semester term season audit review release launch christmas eoy eoq eom
    """.split()
)

#: Calendar words that are not products even when capitalised.
CALENDAR_WORDS: Final[frozenset[str]] = frozenset(
    """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday q1 q2 q3 q4 h1 h2 fy
    """.split()
)

#: Well-known technology and product names that are solutions, not goals.
TECH_NOUNS: Final[frozenset[str]] = frozenset(
    """
    kubernetes k8s elasticsearch opensearch solr kafka rabbitmq redis postgres postgresql
    mysql mongodb oracle sql nosql aws azure gcp terraform ansible docker jenkins gitlab github
    jira confluence slack teams salesforce hubspot sap workday servicenow zendesk sharepoint
    office365 o365 microservices microservice serverless blockchain graphql react angular vue
    django rails kotlin java python node nodejs typescript golang rust php wordpress drupal
    shopify magento tableau looker powerbi snowflake databricks spark hadoop airflow
    openshift vmware okta auth0 sso ldap oauth saml chatgpt gpt openai llm kotlin swift
    android ios linux windows macos
    """.split()
)

#: Technology names that are also everyday words ("teams", "spark", "rust"): they count
#: as a named solution only when capitalised.
TECH_NAMES_ALSO_WORDS: Final[frozenset[str]] = frozenset(
    "teams slack spark swift rust node react angular rails oracle windows java go vue".split()
)

#: Prepositions after which a capitalised name is the chosen solution ("to Kubernetes").
#: Not "into"/"from": "Expand into Germany" names a market, not a product.
SOLUTION_PREPOSITIONS: Final[frozenset[str]] = frozenset("to with on onto using via".split())

#: Small words skipped when comparing content ("the", "of", "and").
STOPWORDS: Final[frozenset[str]] = frozenset(
    """
    a an the of to for and or in on at by with from into onto as is are be been being was
    were it its this that these those our we us their they them his her your you i my so
    than then which who whom whose what when where why how all any each every per via
    will would should can could may might must do does did has have had not no
    """.split()
)

#: Determiners: a deliverable verb is usually followed by one ("Build a portal").
DETERMINERS: Final[frozenset[str]] = frozenset(
    "a an the our new their its his her my your this that these those some".split()
)

#: Words that start an objective without carrying meaning ("We will …", "Successfully …").
LEAD_FILLERS: Final[frozenset[str]] = frozenset(
    """
    we will we'll shall to let's lets let us i our goal aim is successfully fully finally
    quickly properly also then first fully really completely further continue to
    """.split()
)

#: Finite verbs and auxiliaries that show the first word was a noun subject
#: ("Builds are reliable", "Release cadence doubles").
SUBJECT_FOLLOWERS: Final[frozenset[str]] = frozenset(
    "is are was were can will should must has have had does do get gets stay stays remain remains".split()
)

#: Placeholders that stand for a figure nobody has measured yet.
PLACEHOLDER_WORDS: Final[frozenset[str]] = frozenset("tbd tbc tba unknown n xxx zzz".split())
#: Participles after "to be" that make a placeholder: "to be measured", "to be agreed".
PLACEHOLDER_PARTICIPLES: Final[frozenset[str]] = frozenset(
    "measured agreed confirmed determined set defined established decided baselined".split()
)

#: Words of a learning milestone, what a discovery key result should reach.
LEARNING_MILESTONE_WORDS: Final[frozenset[str]] = frozenset(
    """
    confirm confirms confirmed reject rejects rejected hypothesis hypotheses decision decide
    go no-go evidence validated invalidated learning learnings insight insights
    """.split()
)


# --- other languages (judged by evaluators/foreign.py) -------------------------------------
# Lemmas as simplemma gives them (infinitives, singular nouns), lowercase.

#: Deliverable verbs: leading (or, in German, closing) a request they make it an output.
FOREIGN_OUTPUT_VERBS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset(
        """
        bauen aufbauen erstellen entwickeln implementieren aktualisieren migrieren einführen
        umstellen ersetzen hinzufügen beheben reparieren einrichten installieren überarbeiten
        neugestalten gestalten starten veröffentlichen programmieren integrieren konfigurieren
        automatisieren bereitstellen ausrollen liefern umsetzen anpassen erweitern löschen
        entfernen modernisieren upgraden updaten fixen designen launchen organisieren
        durchführen schreiben anlegen erneuern austauschen abschalten korrigieren einbauen
        hinzufügen umbauen migrieren programmieren ergänzen
        """.split()
    ),
    "fr": frozenset(
        """
        construire créer développer implémenter migrer refondre lancer ajouter remplacer
        corriger réparer installer déployer intégrer configurer automatiser publier programmer
        concevoir moderniser supprimer modifier rédiger organiser livrer refaire mettre
        actualiser migrer basculer passer mettre_à_jour ajouter écrire
        """.split()
    ),
    "es": frozenset(
        """
        construir crear desarrollar implementar actualizar migrar lanzar añadir agregar
        reemplazar corregir arreglar reparar instalar desplegar integrar configurar
        automatizar publicar programar diseñar rediseñar modernizar eliminar borrar cambiar
        modificar escribir organizar entregar rehacer sustituir montar
        """.split()
    ),
}

#: Words of a bug report: a fault to fix is an output.
FOREIGN_DEFECT_WORDS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset(
        "fehler bug absturz abstürzen stürzen kaputt defekt fehlerhaft hängen falsch falsche falschen falscher doppelt".split()
    ),
    "fr": frozenset("bug bogue erreur plantage planter plante crash bloquer bloqué impossible incorrect mauvais".split()),
    "es": frozenset("error fallo fallar bug colgar cerrar cierra bloqueo imposible incorrecto erróneo".split()),
}
#: Nouns of a deliverable that open a request ("Refonte du site …", "Migration auf …").
FOREIGN_OUTPUT_NOUNS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset(
        """
        migration umstellung einführung neugestaltung aktualisierung integration implementierung
        entwicklung relaunch export import anbindung
        """.split()
    ),
    "fr": frozenset("refonte migration création développement intégration implémentation déploiement export".split()),
    "es": frozenset("migración rediseño integración implementación desarrollo creación despliegue exportación".split()),
}
#: "does not work": a negation near one of these verbs.
FOREIGN_WORKS_VERBS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset("funktionieren gehen laden klappen öffnen reagieren".split()),
    "fr": frozenset("fonctionner marcher charger ouvrir répondre".split()),
    "es": frozenset("funcionar cargar abrir responder".split()),
}
FOREIGN_NEGATIONS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset("nicht kein keine nie".split()),
    "fr": frozenset("ne n' pas plus jamais".split()),
    "es": frozenset("no nunca".split()),
}
#: Openings of a user story ("Als Nutzer möchte ich …").
FOREIGN_STORY_OPENERS: Final[dict[str, tuple[str, ...]]] = {
    "de": ("als",),
    "fr": ("en tant que", "en tant qu'"),
    "es": ("como",),
}
FOREIGN_STORY_WANTS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset("möchte will wünsche brauche".split()),
    "fr": frozenset("veux voudrais souhaite aimerais".split()),
    "es": frozenset("quiero necesito deseo quisiera".split()),
}
#: Words before the verb that carry no meaning ("Bitte …", "Wir müssen …", "Il faut …").
FOREIGN_LEAD_FILLERS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset("bitte wir müssen sollten sollen wollen möchten ich man dringend".split()),
    "fr": frozenset("il faut nous devons on doit veuillez svp merci de".split()),
    "es": frozenset("por favor hay que necesitamos debemos queremos tenemos se debe".split()),
}
#: Learning objectives ("Herausfinden, ob …", "Explorer …", "Entender si …").
FOREIGN_DISCOVERY_VERBS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset("herausfinden erforschen untersuchen verstehen prüfen testen erkunden klären".split()),
    "fr": frozenset("explorer comprendre découvrir étudier tester valider vérifier".split()),
    "es": frozenset("explorar entender descubrir investigar validar comprobar averiguar".split()),
}
#: Words before a figure that make it the starting point ("von 30 %", "de 30 % à 45 %").
FOREIGN_BASELINE_WORDS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset("von um ausgehend derzeit aktuell heute".split()),
    "fr": frozenset("de d' depuis actuellement aujourd'hui".split()),
    "es": frozenset("de desde actualmente hoy".split()),
}
#: Verbs that state a relative change with no figure ("halbieren", "doubler").
FOREIGN_MULTIPLIERS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset("halbieren verdoppeln verdreifachen".split()),
    "fr": frozenset("doubler tripler diviser".split()),
    "es": frozenset("duplicar triplicar reducir_a_la_mitad".split()),
}
#: Words before a figure that make it a standing threshold ("unter 2 %", "au moins 90 %").
FOREIGN_THRESHOLD_WORDS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset("unter über mindestens höchstens weniger mehr maximal minimal unterhalb oberhalb".split()),
    "fr": frozenset("sous moins plus au-dessus au-dessous minimum maximum".split()),
    "es": frozenset("bajo menos más mínimo máximo encima debajo".split()),
}
#: Words that open a deadline or a cadence ("bis Ende Juni", "d'ici fin juin", "antes de junio").
FOREIGN_DEADLINE_OPENERS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset("bis zum zur im in ende pro je jeden jede jedes vor innerhalb".split()),
    "fr": frozenset("d'ici avant fin en au à par chaque d'ici la le dans".split()),
    "es": frozenset("antes para hasta en a al por cada finales fin final dentro".split()),
}
#: Periods that close a deadline in those languages.
FOREIGN_PERIOD_WORDS: Final[frozenset[str]] = frozenset(
    """
    januar februar märz april mai juni juli august september oktober november dezember
    quartal quartals quartalsende jahr jahres jahresende monat monats woche tag halbjahr
    janvier février mars avril mai juin juillet août septembre octobre novembre décembre
    trimestre semestre année an mois semaine jour
    enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
    año mes semana día
    """.split()
)

# --- bug reports --------------------------------------------------------------------------

#: Words that report a fault: a request made of them asks for a fix (an output).
DEFECT_WORDS: Final[frozenset[str]] = frozenset(
    """
    bug bugs buggy error errors exception exceptions npe nullpointerexception crash crashes
    crashed crashing regression regressions glitch glitches broken defect defects typo typos
    stacktrace traceback hang hangs hanging freeze freezes freezing frozen incorrect incorrectly
    wrong wrongly corrupt corrupted timeout timeouts unresponsive flaky flakey misspelled
    misaligned overlapping overlaps garbled truncated duplicated blank unclickable 404 500 502
    503 segfault deadlock deadlocks leak leaks npes exceptions silently unexpectedly
    intermittently randomly greyed grayed misbehaves inconsistent forever blocked stuck
    missing unreadable unusable invalid breaks broke oom oom-killed
    """.split()
)
#: Behaviour nobody wants from a system, in any form: "Map pins vanish", "Mule Debugger and
#: Java Debugger collide", "Photo upload spins forever".
SYMPTOM_VERBS: Final[frozenset[str]] = frozenset(
    """
    vanish vanishes vanished vanishing disappear disappears disappeared disappearing collide
    collides collided colliding flicker flickers flickering stall stalls stalled stalling
    misbehave misbehaving
    """.split()
)
#: Behaviour that is a fault when a system does it ("Checkout rejects valid Eircodes",
#: "Screen reader skips the submit button") but may be wanted of people ("Guests skip the
#: queue"): a fault only in the third person singular.
SYSTEM_SYMPTOM_VERBS: Final[frozenset[str]] = frozenset(
    "skips rejects ignores overwrites loses misreads".split()
)
#: Signs that the behaviour just described is wrong: "shows Sunday twice", "still show last
#: month's tax code", "shows STARTED even when the job is complete".
SYMPTOM_QUALIFIERS: Final[frozenset[str]] = frozenset("twice still even".split())
#: Gerunds of a fault that "stop" asks to end: "Make the CSV import stop dropping rows".
FAULT_GERUNDS: Final[frozenset[str]] = frozenset(
    """
    dropping crashing failing freezing hanging timing duplicating signing kicking resetting overwriting
    truncating corrupting rejecting skipping showing sending charging logging throwing
    returning erroring breaking flickering
    """.split()
)
#: Nouns of a fault itself: an objective that names one ("Eliminate the duplicate-charge
#: bug") still asks for a fix, whatever verb leads it.
FAULT_NOUNS: Final[frozenset[str]] = frozenset(
    "bug bugs defect defects glitch glitches regression error errors crash crashes exception exceptions".split()
)
#: Verbs that, with a negation or as "fails to …", report a fault: "does not load",
#: "fails to save", "cannot delete".
FAULT_VERBS: Final[frozenset[str]] = frozenset("fail fails failed failing".split())
NEGATED_FAULTS: Final[frozenset[str]] = frozenset(
    """
    cannot can't unable doesn't don't won't isn't aren't didn't wasn't weren't couldn't not never
    cant doesnt dont wont isnt arent didnt wasnt werent couldnt
    """.split()
)
#: After a negation, the verbs of a broken feature ("does not load"), or "nothing".
BROKEN_FEATURE_VERBS: Final[frozenset[str]] = frozenset(
    """
    work load show display appear save open respond render update sync send arrive start run
    print upload download login log sign submit accept trigger fire redirect refresh connect
    delete remove edit change see find access nothing
    """.split()
)
#: Symptoms of slowness or lateness: "reset emails arrive 20 minutes late", "times out".
LATE_WORDS: Final[frozenset[str]] = frozenset("late delayed slow slowly lag lagging lags".split())
#: Words that turn a fault into the change wanted: "Fewer payments fail", "without errors".
FAULT_REMEDIES: Final[frozenset[str]] = frozenset(
    """
    fewer less reduce reduced cut prevent prevented eliminate avoid stop halve without
    zero no-one nobody rarely minimise minimize lower decrease shrink catch catches
    detect detects spot spots hardly repaired fixed resolved
    """.split()
)
#: Lead verbs of a fix: "Fix the checkout", "Resolve the login bug".
FIX_VERBS: Final[frozenset[str]] = frozenset(
    "fix repair debug hotfix patch resolve troubleshoot correct deduplicate dedupe".split()
)

# --- vague objectives ------------------------------------------------------------------

#: Words that name no one in particular and no change that could be observed: an objective
#: made only of these and VAGUE_WORDS ("Make the product better for users", "Drive
#: excellence across the board") says nothing a team could check.
GENERIC_WORDS: Final[frozenset[str]] = frozenset(
    """
    product products service services user users customer customers people everyone
    everybody business company organisation organization team teams experience experiences
    quality excellence excellent innovation innovative innovate value success successful
    goal goals objective objectives target targets mission vision potential ambition
    ambitions continue keep stay remain year quarter month across platform data bar raise ship
    customer-centric centric continuous continuously improvement improvements stakeholder
    stakeholders industry take next synergy
    level next board front forward future growth efficiency efficient performance result
    results outcome outcomes impact synergy synergies drive unlock leverage deliver make
    improve better best great greater good amazing awesome progress transformation transform
    digital world world-class class top-notch leading cutting-edge edge game-changing
    possible ever always market-leading industry-leading first-class premium seamless
    seamlessly modern smart smarter efficiently effective effectively overall general
    operational operations journey full leader leaders leadership market markets accelerate
    work working modernise modernize achieve everything things stuff group whole agile
    agility excel thrive scale excellence-driven strategic strategy awesome best-in-class
    everywhere leverage ai go-to momentum going bold force above beyond heights together
    relentless relentlessly future win lead industry app apps theme themes new brand
    ownership elevate standard future-proof simpler simple marketplace loves love smarter
    harder set put create
    boldly disrupt disruptive reimagine partner partners choice strive organisation
    organization portfolio needle embrace ai-first mindset data-driven obsession obsessed
    touchpoint touchpoints heart hearts mind minds lives life change changes inspire engage
    empower pushing push boundaries boundary fast delight delighted sustainability
    sustainable green purpose purpose-driven values culture people-first digital-first move
    """.split()
)

#: GENERIC_WORDS in German, French and Spanish (lemmas): a request made only of these and
#: the language's commonest words is a platitude ("Digitalisierung vorantreiben", "Être le
#: leader de l'innovation dans notre secteur", "Ser una empresa orientada al cliente").
FOREIGN_GENERIC_WORDS: Final[dict[str, frozenset[str]]] = {
    "de": frozenset(
        """
        digitalisierung vorantreiben voranbringen innovation innovativ kunde kundenorientiert
        kundenorientierung exzellenz exzellent führend marktführer marktführerschaft agil
        agilität gut besser beste erfolg erfolgreich wachstum wachsen zukunft zukunftsfähig
        nachhaltig nachhaltigkeit transformation digital modern modernisieren effizient
        effizienz qualität wert unternehmen organisation stärken verbessern optimieren kultur
        vision mission branche markt weltklasse spitze
        """.split()
    ),
    "fr": frozenset(
        """
        être devenir leader innovation innovant entreprise secteur marché client agile agilité
        excellence excellent meilleur succès croissance avenir durable transformation numérique
        digital moderne efficace efficacité qualité valeur organisation améliorer optimiser
        culture vision référence plus
        """.split()
    ),
    "es": frozenset(
        """
        ser estar convertir líder liderar innovación innovador empresa sector mercado cliente
        orientado orientar ágil agilidad excelencia excelente mejor éxito crecimiento futuro
        sostenible transformación digital moderno eficiente eficiencia calidad valor
        organización mejorar optimizar cultura visión referente todo
        """.split()
    ),
}
#: Words at least this common in their language (Zipf) are function words for the
#: platitude test above: "le", "dans", "notre", "una", "al".
FOREIGN_FUNCTION_ZIPF: Final = 5.5

#: Names of the languages the detector tells apart, for messages.
LANGUAGE_NAMES: Final[dict[str, str]] = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "pt": "Portuguese",
    "it": "Italian", "nl": "Dutch", "pl": "Polish", "sv": "Swedish", "da": "Danish",
    "nb": "Norwegian", "fi": "Finnish", "tr": "Turkish", "ru": "Russian", "uk": "Ukrainian",
    "cs": "Czech", "ar": "Arabic", "he": "Hebrew", "ja": "Japanese", "zh": "Chinese",
    "ko": "Korean", "hi": "Hindi", "id": "Indonesian", "vi": "Vietnamese", "el": "Greek",
    "ro": "Romanian", "hu": "Hungarian",
}

#: Lead verbs of a guardrail when a threshold follows: "Hold gross margin at 78% or above",
#: "Keep churn under 2%" (not "Hold 6 roundtables").
GUARDRAIL_LEADS: Final[frozenset[str]] = frozenset("hold keep maintain sustain preserve protect".split())
#: Lead verbs of a goal that is a sign-off: "Achieve SOC 2 certification", "Obtain the licence".
APPROVAL_LEADS: Final[frozenset[str]] = frozenset("get achieve obtain gain earn pass receive attain".split())

#: A level that is already measured, named instead of a figure: "stays at or above
#: today's level", "no worse than the current baseline".
CURRENT_LEVEL_WORDS: Final[frozenset[str]] = frozenset(
    "current today today's todays baseline existing present last previous prior usual year's quarter's month's budget".split()
)
#: A level named as agreed with someone rather than measured: "stays below a threshold
#: agreed with the clinics", "within a limit set by legal".
AGREED_LEVEL_NOUNS: Final[frozenset[str]] = frozenset("threshold limit level ceiling floor range band cap".split())
AGREED_WORDS: Final[frozenset[str]] = frozenset("agreed agree agrees set defined signed approved".split())
#: Words that say a key result covers every case: "Every quarterly restore test succeeds".
COVERAGE_WORDS: Final[frozenset[str]] = frozenset("every each all".split())
#: Words around a level that make a key result a guardrail: "stays at or above …".
HOLD_WORDS: Final[frozenset[str]] = frozenset("stay stays remain remains hold holds keep keeps held kept".split())

#: Participles that, after "is/are/get", report data or actions going wrong: "Rows are dropped".
BROKEN_PASSIVES: Final[frozenset[str]] = frozenset(
    "dropped lost ignored duplicated overwritten truncated corrupted reset cleared rejected charged logged".split()
)
#: After "doesn't"/"don't", verbs of an outcome wanted, not of a broken feature:
#: "Customers don't have to call", "Shoppers don't lose their basket".
NEGATED_OUTCOME_VERBS: Final[frozenset[str]] = frozenset("have need want lose wait miss forget worry get mind".split())
