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
    "Het wijkteam weet niet dat school al hulp biedt: we zien elkaars dossiers niet.",
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
    # two obstacles at least: the board makes no pile of one
    ("Gegevens mogen niet gedeeld worden", [2, 10], "informatie/beeldvorming", None),
]

# actions the room agrees on: (contribution index, title, due in days, partners)
ACTIONS = [
    (0, "Eén intakeformulier voor alle partners", 30, ["Wijkteam Noord", "Schuldhulp"]),
    (1, "Vaste regisseur per gezin", 21, ["Gemeente, sociaal domein"]),
    (2, "Vrij budget voor het wijkteam", 45, []),
]
FOLLOWUP_PLACE = "Buurthuis De Ster, Noord"

# A busy room for the projector's paging (the wall tests and the README's 10/40/200 screenshots): thirty people from
# as many organisations, some with long names, and forty obstacles of every length a room really types.
CROWD_PEOPLE = [
    *PEOPLE,
    ("Marieke", "Stichting Maatschappelijke Dienstverlening Noord-Oost"),
    ("Yusuf", "Buurtsportcoaches"),
    ("Els", "Bibliotheek Noord"),
    ("Bram", "Gemeente, Vergunningen"),
    ("Samira", "Voedselbank"),
    ("Joost", "Woningcorporatie Eigen Haard Wijkbeheer en Leefbaarheid"),
    ("Hanneke", "Huisartsenpraktijk Het Plein"),
    ("Tim", "MEE Amstel en Zaan"),
    ("Latifa", "Moskee Al Fath, vrouwengroep"),
    ("Gerrit", "Ondernemersvereniging Winkelcentrum Boven 't IJ"),
    ("Priya", "Leerplicht"),
    ("Koen", "Reclassering"),
    ("Zeynep", "Buurtteam Volwassenen"),
    ("Henk", "Huurdersvereniging"),
    ("Lotte", "Kinderopvang De Speeltuin"),
    ("Ahmed", "Stadsdeel Noord, gebiedsmakelaar"),
    ("Johanna Wilhelmina Catharina", "Vrijwilligerscentrale"),
    ("Mo", "Straatcoaches"),
]

CROWD_OBSTACLES = [
    *OBSTACLES,
    "Te veel overleg.",
    "Niemand heeft tijd.",
    "Het wijkteam is na vijf uur niet bereikbaar, juist als de problemen thuis oplopen.",
    "Formulieren zijn te moeilijk.",
    "Ouders schamen zich en vragen pas hulp als de deurwaarder al voor de deur staat.",
    "Elke partner meet iets anders, dus we kunnen niet zien of het beter gaat.",
    "Subsidies lopen per jaar; een project stopt net als het begint te werken.",
    "Vrijwilligers haken af door de regels rond de verklaring omtrent gedrag.",
    "We kennen elkaars mensen niet bij naam.",
    "De huisarts hoort het als eerste, maar zit bij geen enkel overleg aan tafel.",
    "Tolken zijn te duur, dus gesprekken gaan via de kinderen.",
    "Beleid verandert elke vier jaar, de buurt blijft hetzelfde.",
    "Privacyregels worden strenger uitgelegd dan de wet vraagt.",
    "Jongeren hebben 's avonds geen plek om heen te gaan.",
    "De wachttijd voor een urgentieverklaring is langer dan de crisis zelf.",
    "Een gezin krijgt zes hulpverleners en geen enkel plan.",
    "Scholen en wijkteam hebben verschillende vakanties en werktijden.",
    "We schrijven rapporten voor de financier in plaats van voor de bewoner.",
    "Kleine organisaties worden niet uitgenodigd omdat ze geen vaste contactpersoon hebben.",
    "Digitale loketten: wie geen DigiD kan gebruiken valt buiten de boot.",
    "Mantelzorgers zijn overbelast en niemand vraagt hoe het met hén gaat.",
    "Na een verhuizing begint alles opnieuw.",
    "Geld voor preventie is er niet, geld voor crisis wel.",
    "De buurt vertrouwt de gemeente niet meer na de vorige herstructurering.",
    "Er is geen gedeelde agenda: we horen achteraf wat een ander al deed.",
    "Statushouders wachten maanden op een taalcursus.",
    "Contracten verbieden ons om buiten de eigen doelgroep te helpen.",
    "Wie een klacht heeft, wordt van het kastje naar de muur gestuurd.",
    "Het buurthuis is alleen overdag open.",
    "Te weinig mannen in het onderwijs en de jeugdzorg als rolmodel.",
]


def crowd(count: int) -> list[tuple[tuple[str, str], str]]:
    """`count` obstacles, each with the person who sends it: the room above, round after round."""
    # a stride through the texts that shares no factor with their number, so neighbours on the wall differ
    texts = [CROWD_OBSTACLES[(i * 7) % len(CROWD_OBSTACLES)] for i in range(count)]
    return [(CROWD_PEOPLE[i % len(CROWD_PEOPLE)], text) for i, text in enumerate(texts)]
