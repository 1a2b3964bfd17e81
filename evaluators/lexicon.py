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
        ("set", "up"),
        ("roll", "out"),
        ("stand", "up"),
        ("spin", "up"),
        ("kick", "off"),
        ("carry", "out"),
        ("put", "in"),
        ("put", "together"),
        ("clean", "up"),
        ("sign", "off"),
        ("write", "up"),
        ("switch", "to"),
        ("move", "to"),
        ("get", "done"),
        ("go", "live"),
        ("start", "using"),
        ("begin", "using"),
        ("bring", "in"),
        ("take", "over"),
        ("wrap", "up"),
        ("kit", "out"),
        ("fit", "out"),
    }
)

#: Verbs that only disguise a deliverable: "Deliver the roadmap", "Finish the migration".
DISGUISED_OUTPUT_VERBS: Final[frozenset[str]] = frozenset("deliver finish complete finalise finalize execute".split())

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
    experiment test find figure work establish prove identify evaluate look dig check
    """.split()
)

#: Discovery verbs that are only about learning when a question follows
#: ("Test whether …", "Find out which …", not "Test the app", "Establish a board").
DISCOVERY_VERBS_NEEDING_QUESTION: Final[frozenset[str]] = frozenset(
    "test find figure work establish prove assess determine decide identify evaluate look dig check".split()
)

#: Particles and question words that turn those verbs into a learning objective.
QUESTION_WORDS: Final[frozenset[str]] = frozenset("whether if which what why how who where when out that".split())

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
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TENS: Final[dict[str, int]] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
#: Numbers written as words ("one" alone is left out: "in one place" is seldom a count).
NUMBER_WORDS: Final[dict[str, int]] = {
    "zero": 0,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "hundred": 100,
    "thousand": 1000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    "dozen": 12,
    **_TENS,
    # "sixty-two", "forty-five": one token each
    **{f"{tens}-{unit}": _TENS[tens] + _UNITS[unit] for tens in _TENS for unit in _UNITS},
}

#: Words that stand for a whole set: a key result led by them states a threshold
#: ("Every claim gets …", "No outage longer than …", "All tickets …").
QUANTIFIER_WORDS: Final[frozenset[str]] = frozenset("all every no none zero nobody nothing half".split())

#: Words that open a deadline or a cadence ("by", "every", "per").
DEADLINE_OPENERS: Final[frozenset[str]] = frozenset(
    (
        "by before until till in during within every each per a an all this next end throughout through thru across "
        "over for at"
    ).split()
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
        (
            "fehler bug absturz abstürzen stürzen kaputt defekt fehlerhaft hängen falsch falsche falschen falscher "
            "doppelt"
        ).split()
    ),
    "fr": frozenset(
        "bug bogue erreur plantage planter plante crash bloquer bloqué impossible incorrect mauvais".split()
    ),
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
    missing unreadable unusable invalid breaks broke oom oom-killed trapped swapped bounce
    bounces bounced
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
SYSTEM_SYMPTOM_VERBS: Final[frozenset[str]] = frozenset("skips rejects ignores overwrites loses misreads".split())
#: Signs that the behaviour just described is wrong: "shows Sunday twice", "still show last
#: month's tax code", "shows STARTED even when the job is complete".
SYMPTOM_QUALIFIERS: Final[frozenset[str]] = frozenset("twice still even although".split())
#: Gerunds of a fault that "stop" asks to end: "Make the CSV import stop dropping rows".
FAULT_GERUNDS: Final[frozenset[str]] = frozenset(
    """
    dropping crashing failing freezing hanging timing duplicating signing kicking resetting overwriting
    truncating corrupting rejecting skipping showing sending charging logging throwing
    returning erroring breaking flickering
    """.split()
)
#: Gerunds after "keeps" that report a fault ("keeps rejecting cards", "keeps logging me
#: out"), besides FAULT_GERUNDS.
FAULT_GERUNDS_KEPT: Final[frozenset[str]] = frozenset("rejecting logging asking reloading restarting".split())
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
    delete remove edit change see find access nothing sort store calculate apply process
    import export index validate charge record filter honor honour recognise recognize
    include deliver refund notify
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
    harder set put create curve ahead special yet champion continuous improvement think big
    house dream reimagine possible learning years business start small up
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
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "pt": "Portuguese",
    "it": "Italian",
    "nl": "Dutch",
    "pl": "Polish",
    "sv": "Swedish",
    "da": "Danish",
    "nb": "Norwegian",
    "fi": "Finnish",
    "tr": "Turkish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "cs": "Czech",
    "ar": "Arabic",
    "he": "Hebrew",
    "ja": "Japanese",
    "zh": "Chinese",
    "ko": "Korean",
    "hi": "Hindi",
    "id": "Indonesian",
    "vi": "Vietnamese",
    "el": "Greek",
    "ro": "Romanian",
    "hu": "Hungarian",
}

#: Lead verbs of a guardrail when a threshold follows: "Hold gross margin at 78% or above",
#: "Keep churn under 2%" (not "Hold 6 roundtables").
GUARDRAIL_LEADS: Final[frozenset[str]] = frozenset("hold keep maintain sustain preserve protect".split())
#: Lead verbs of a goal that is a sign-off: "Achieve SOC 2 certification", "Obtain the licence".
APPROVAL_LEADS: Final[frozenset[str]] = frozenset("get achieve obtain gain earn pass receive attain".split())

#: A level that is already measured, named instead of a figure: "stays at or above
#: today's level", "no worse than the current baseline".
CURRENT_LEVEL_WORDS: Final[frozenset[str]] = frozenset(
    (
        "current today today's todays baseline existing present last previous prior usual year's quarter's month's "
        "budget"
    ).split()
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


# --- grammar: leads, deadlines, faults, things and requests ------------------------------

SUBJECT_PRONOUNS: Final[frozenset[str]] = frozenset("we i let's lets we're we'll i'm i'll they they'll they're".split())
INTENT_WORDS: Final[frozenset[str]] = frozenset(
    "will shall must should want need aim plan are would like hope intend us 'll going".split()
)
ADVERB_FILLERS: Final[frozenset[str]] = frozenset(
    "successfully fully finally really completely quickly properly also then first further".split()
)
CLAUSE_OPENERS: Final[frozenset[str]] = frozenset("by before until within in during over throughout at for".split())
STANDALONE_PERIODS: Final[frozenset[str]] = frozenset("q1 q2 q3 q4 h1 h2 eoy eoq eom".split())
AFTER_OR_THRESHOLD: Final[frozenset[str]] = frozenset(
    "above more better higher over below less fewer lower under".split()
)
MORE_OR_LESS: Final[frozenset[str]] = frozenset("more fewer less higher lower".split())
MOVE_WITHOUT_DESTINATION: Final[frozenset[str]] = frozenset(
    "faster quicker quickly fast forward closer towards toward away beyond ahead up".split()
)
SUBORDINATORS: Final[frozenset[str]] = frozenset(
    "whenever when if because so that which who what where while until after before once unless as".split()
)
CONJUNCTION_WORDS: Final[frozenset[str]] = frozenset("and or but nor".split())
MODALS_WITHOUT_TO: Final[frozenset[str]] = frozenset("will 'll shall must".split())
IRREGULAR_COMPARATIVES: Final[frozenset[str]] = frozenset("better worse more less".split())
ALSO_NOUNS: Final[frozenset[str]] = frozenset(
    "inventory release build test stock design review support record draft launch audit survey trial pilot".split()
)
AMONG: Final[frozenset[str]] = frozenset("among amongst across between within throughout around".split())
SHARE_WORDS: Final[frozenset[str]] = frozenset("% percent pp per of".split())
AFTER_A_THING: Final[frozenset[str]] = frozenset(
    "for to with in on at across from that which where live ready launched up".split()
)
BUILD_LIKE: Final[frozenset[str]] = frozenset("run hold record prototype pilot".split())
NEGATING: Final[frozenset[str]] = frozenset("without not never no".split())
POSSESSIVES: Final[frozenset[str]] = frozenset("their his her our your my".split())
HOW_IT_IS_DONE: Final[frozenset[str]] = frozenset(
    "right correctly properly well quickly fast reliably promptly safely accurately when whenever".split()
)
STATE_WORDS: Final[frozenset[str]] = frozenset("open operational".split())
WHEN_OR_WHERE: Final[frozenset[str]] = frozenset("by before in from across at on".split())
LIMIT_WORDS: Final[frozenset[str]] = frozenset(
    "under below above over least most within less fewer longer shorter max maximum min minimum".split()
)
SHARE_MARKS: Final[frozenset[str]] = frozenset("% percent pp".split())
PLURALS_WITHOUT_S: Final[frozenset[str]] = frozenset("people children staff men women folk everyone everybody".split())
NEVER_BROKEN: Final[frozenset[str]] = frozenset(
    "arrive arrives load loads work works open opens start starts respond responds sync syncs".split()
)
RELATIVE_WORDS: Final[frozenset[str]] = frozenset("what that which who whatever".split())
CONDITION_OPENERS: Final[frozenset[str]] = frozenset("moment before until unless whenever when if".split())
SHOWS_NOTHING: Final[frozenset[str]] = frozenset("do return show display find give load render print".split())
PASSIVE_AUXILIARIES: Final[frozenset[str]] = frozenset("is are was were get gets got being been be".split())
FRAMING_VERBS: Final[frozenset[str]] = frozenset(
    "make give get let help enable be have see feel put bring turn take do go".split()
)
TIME_UNITS: Final[frozenset[str]] = frozenset(
    "ms s sec secs second seconds min mins minute minutes hour hours hr hrs day days week weeks".split()
)
LIMIT_BEFORE_FIGURE: Final[frozenset[str]] = frozenset("less under within than fewer below no at most".split())
HTTP_FAULTS: Final[frozenset[str]] = frozenset(
    "400 401 403 404 405 408 409 410 413 422 429 500 501 502 503 504".split()
)
AFTER_A_CHANGE: Final[frozenset[str]] = frozenset(
    """
    update upgrade deploy deployment release migration version patch yesterday yesterday's
    morning monday tuesday wednesday thursday friday saturday sunday
    """.split()
)
WORKS_AGAIN: Final[frozenset[str]] = frozenset(
    "work works load loads show shows open opens sync syncs print prints".split()
)
STATE_VERBS: Final[frozenset[str]] = frozenset(
    "feel seem look become stay remain keep need want have be do get mean".split()
)
#: Outcome verbs that, said of a thing, describe what it does: "Room booking lets two teams
#: reserve the same room", "The portal allows …".
FEATURE_BEHAVIOUR_VERBS: Final[frozenset[str]] = frozenset("let allow help enable".split())
#: Subjects that make a sentence a promise about all cases: "No student misses a class",
#: "Every order arrives complete".
QUANTIFIED_SUBJECTS: Final[frozenset[str]] = frozenset(
    "no every each all nothing nobody none everyone everybody anyone any".split()
)
#: Limits that make a behaviour a change wanted: "replies within a day", "under 2 s".
LIMITS: Final[frozenset[str]] = frozenset("less fewer under within below".split())
SUBJECT_PREPOSITIONS: Final[frozenset[str]] = frozenset("at in on for of from".split())
PARTICLES: Final[frozenset[str]] = frozenset("out up down back off in on over through away".split())
DIRECTIONS: Final[frozenset[str]] = frozenset("up down from to by".split())
STILL_SHOWN: Final[frozenset[str]] = frozenset(
    "show display say list appear use charge include point send return load print count ask".split()
)
REMOVING: Final[frozenset[str]] = frozenset("eliminate stop remove kill".split())
REPEATED_FAULT: Final[frozenset[str]] = frozenset("duplicate duplicates duplicated double doubled".split())
FIRST_PERSON: Final[frozenset[str]] = frozenset("i i'm i've i'd me my".split())
#: Words of an unfilled template slot that are tokens of their own ("TODO", "TBD: …",
#: "lorem ipsum"); brackets, braces and angle brackets set features.SUSPICIOUS_HINT.
SLOT_WORDS: Final[frozenset[str]] = frozenset("todo tbd lorem objective_placeholder placeholder".split())
#: Fractions people write for a share, and the percentage each is ("half of them" → 50).
FRACTION_PERCENTS: Final[dict[str, str]] = {
    "half": "50",
    "a third": "33",
    "one third": "33",
    "a quarter": "25",
    "one quarter": "25",
    "two thirds": "67",
    "three quarters": "75",
}
#: Words of a message to the team, not of an objective: "hey quick one", "fyi", "pls fix".
CHAT_MARKERS: Final[frozenset[str]] = frozenset("hey hi hello fyi pls plz please asap thanks thx cheers".split())
ASKING: Final[frozenset[str]] = frozenset("need want needs wants".split())
QUESTION_OPENERS: Final[frozenset[str]] = frozenset("do does did are is was were why how what which who".split())
ASKED_OF: Final[frozenset[str]] = frozenset("we i you".split())
MOVES_TO: Final[frozenset[str]] = frozenset("from to at below above under over by within between".split())
IN_A_NAME: Final[frozenset[str]] = frozenset("a an the for of in on with to by and from via per".split())
NAME_MARKS: Final[frozenset[str]] = frozenset("( ) / - + &".split())
NEW: Final[frozenset[str]] = frozenset("new".split())
REQUIREMENT_MODALS: Final[frozenset[str]] = frozenset("should must shall need needs".split())
FEATURE_VERBS: Final[frozenset[str]] = frozenset(
    "support allow show display include provide accept offer export import list".split()
)

# --- other -------------------------------------------------------------------------------

#: "Move faster", "Move towards …": a direction of travel, not a migration.
#: Words that open a subordinate clause: "… whenever they are ready" describes a
#: condition, not a deliverable reported as done.
#: Deliverable verbs that as often name a thing in a compound noun ("Build failures",
#: "Inventory write-offs", "Release delays"), before a plural as well.
#: What may follow a thing named on its own: a preposition or relative clause about it
#: ("… for the garden centres", "… that tenants can use"), or its being delivered.
#: Research verbs that still produce something when they are the means ("by testing" is
#: learning; "by running a campaign" is a deliverable).
#: After a done word, how well or when, for whom: a promise to people, not a delivery.
#: Done words that also describe a lasting state ("open until 8pm"): done only when a
#: place or a date follows, or nothing.
#: Words that make a figure a limit ("within 2 days", "under 5 minutes"); "all 14 courts"
#: still counts places.
#: Words before "live" that are its subject but do not end in "s": "people live …".
#: "never" reports a fault only before these: "Reset emails never arrive" (but "Customers
#: never see an error page" is the outcome wanted).
#: Verbs that frame a change rather than name work: "Make checkout effortless", "Give
#: nurses back an hour", "Let tenants pay online", "Be the easiest bank to join".
#: Verbs of how something seems or holds, and of wanting: "Checkout feels fast", "Search
#: stays up", "The app needs to …" describe a state or a wish, not a behaviour observed.
#: "Payslips still show last month's code", "still charges the old price" (not "while the
#: question still matters"): a system still doing what it should have stopped.
#: Words a thing's name may hold between its nouns: "A loyalty card for the café chain",
#: "SSL support for RabbitMQ (bus and modules)".
#: What a feature does, after "should": "should support", "should show", "should allow".
#: Every match of _CHATTER or _FIRST_PERSON holds one of these tokens: texts without any
#: skip the regular expressions.
#: Words that stand in for a text nobody wrote.
#: A sentence never ends on these: the text was cut off ("… more of their time with").
#: "Hit every milestone", "Meet the roadmap deadlines": delivering a schedule.
#: Words before a figure that make it a level measured or aimed at ("from three to five").

# --- fluency: chatter, agreement, pasted clauses -----------------------------------------

CHATTER_WORDS: Final[frozenset[str]] = frozenset(
    """
    sure certainly course absolutely okay ok ai model here here's note ignore disregard forget
    previous prior instructions prompt mark i i'm i'll i've i'd me hope feel great happy like
    options you you're requested rewritten
    """.split()
)
FLUENCY_QUESTION_WORDS: Final[frozenset[str]] = frozenset(
    "how why what which who whom whose when where should shall can could would might do does did is are".split()
)
FLUENCY_ASKED_OF: Final[frozenset[str]] = frozenset("we i you they it our us".split())
FILLERS: Final[frozenset[str]] = frozenset(
    "n a na n/a tbd tba tbc none null nil todo xxx test asdf placeholder - / . ? ... …".split()
)
DOUBLE_COMPARATIVE: Final[frozenset[str]] = frozenset("more most less".split())
#: "we ships", "they needs": plural pronouns before a third-person verb.
PLURAL_PRONOUNS: Final[frozenset[str]] = frozenset("we they".split())
#: After a pronoun these are _DISAGREEING's to judge ("they is", "we has").
NOT_VERBS_AFTER_PRONOUN: Final[frozenset[str]] = frozenset("is was has does".split())
NOT_COMPARED: Final[frozenset[str]] = frozenset("other over under after never ever".split())
RELATIVES: Final[frozenset[str]] = frozenset("which who that".split())
POSSESSIVE_DETERMINERS: Final[frozenset[str]] = frozenset("their his her its our my your".split())
DANGLING: Final[frozenset[str]] = frozenset(
    "the a an and or of their our its your will can would should must without".split()
)
ARTICLES: Final[frozenset[str]] = frozenset("a an the".split())
FLUENCY_DETERMINERS: Final[frozenset[str]] = frozenset("the a an our their your this".split())
PRONOUNS: Final[frozenset[str]] = frozenset("we i they you".split())
MODALS: Final[frozenset[str]] = frozenset(
    "can can't cannot will won't should must could would may might shall don't doesn't".split()
)
JOINERS: Final[frozenset[str]] = frozenset("and or but then what that which who when if because so".split())

# --- objective rules ---------------------------------------------------------------------

ON_TIME_WORDS: Final[frozenset[str]] = frozenset("time budget schedule plan track".split())
SCHEDULE_VERBS: Final[frozenset[str]] = frozenset("hit meet make achieve".split())
SCHEDULE_NOUNS: Final[frozenset[str]] = frozenset(
    "milestone milestones deadline deadlines roadmap deliverables".split()
)

# --- key-result rules --------------------------------------------------------------------

LEVEL_PREPOSITIONS: Final[frozenset[str]] = frozenset("from to at of".split())

# --- token features ----------------------------------------------------------------------

PERIOD_PREFIXES: Final[frozenset[str]] = frozenset("mid early late end start".split())


# --- tokens ------------------------------------------------------------------------------

NOT_PARTICIPLES: Final[frozenset[str]] = frozenset("is are am has does goes people".split())
