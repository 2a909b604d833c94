"""Sample people and answers for the demo room (written for Doorbraak, not taken from the sources)."""

DEMO_TITLE = "Demo: samen sneller hulp voor gezinnen in Noord"
DEMO_OPGAVE = (
    "Gezinnen in Noord met schulden, een krappe woning en kinderen die school missen krijgen hulp van vijf "
    "instanties tegelijk, maar het wordt niet beter. Hoe zorgen we dat één plan per gezin echt werkt?"
)

PEOPLE = [
    ("Sanne", "Woonstichting Thuis"),
    ("Mehmet", "Gemeente, sociaal domein"),
    ("Ilse", "Wijkteam Noord"),
    ("Jeroen", "Basisschool De Bron"),
    ("Fatima", "Bewonersraad Noord"),
    ("Karel", "Politie, wijkagent"),
    ("Noor", "GGD"),
    ("Wim", "Welzijn Op Maat"),
    ("Anouk", "Schuldhulp"),
    ("Rachid", "Jongerenwerk"),
    ("Petra", "Zorgverzekeraar"),
    ("Daan", "Gemeente, onderwijs"),
]

OBSTACLES = [
    "Elk loket heeft een eigen intake: een gezin vertelt zijn verhaal vijf keer.",
    "Het geld zit in aparte potjes per afdeling, niemand mag schuiven.",
    "We mogen gegevens niet delen, dus niemand ziet het hele plaatje.",
    "Bewoners weten niet bij wie ze moeten aankloppen.",
    "Een besluit moet langs drie besturen en dat duurt maanden.",
    "Wachtlijsten bij de schuldhulp van twaalf weken.",
    "Iedereen is verantwoordelijk, dus niemand pakt de regie.",
    "School ziet het als eerste, maar weet niet wie ze kan bellen.",
    "Regels van de corporatie botsen met wat het wijkteam afspreekt.",
    "Jongeren haken af voordat de hulp begint.",
]

CONTRIBUTIONS = [
    "Wij nemen één gezamenlijk intakeformulier over en stoppen met ons eigen.",
    "Ik regel dat onze wijkcoach de vaste regisseur per gezin wordt.",
    "Wij maken een budget vrij dat het wijkteam zonder aanvraag mag inzetten.",
    "Onze intern begeleider krijgt een direct nummer bij het wijkteam.",
    "Wij zetten huurachterstand tijdelijk stil zolang er een plan loopt.",
    "Ik bespreek binnen twee weken met onze jurist wat we wél mogen delen.",
    "Wij openen de buurtkamer op dinsdagavond voor een vast spreekuur.",
    "Ik neem twee jongeren mee naar het volgende overleg.",
    "Wij maken de schuldhulp-wachtlijst inzichtelijk en bellen binnen een week terug.",
    "Ik stel voor dat één bestuurder mandaat krijgt voor deze aanpak.",
]

# how the demo facilitator groups the obstacles above: (name, obstacle indexes, spanningscluster, theme)
CLUSTERS = [
    ("Versnipperde hulp: elk loket apart", [0, 3, 7], "operationele processen", "gezondheid"),
    ("Geld en mandaat zitten vast", [1, 4], "financiering", "wonen"),
    ("Niemand houdt de regie", [6, 8], "besturing", "veiligheid"),
    ("Gegevens mogen niet gedeeld worden", [2], "informatie/beeldvorming", None),
]

# actions the room agrees on: (contribution index, title, due in days, partners)
ACTIONS = [
    (0, "Eén intakeformulier voor alle partners", 30, ["Wijkteam Noord", "Schuldhulp"]),
    (1, "Vaste regisseur per gezin", 21, ["Gemeente, sociaal domein"]),
    (2, "Vrij budget voor het wijkteam", 45, []),
]
FOLLOWUP_PLACE = "Buurthuis De Ster, Noord"
