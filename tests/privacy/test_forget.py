"""Forgetting one participant, by their own link or by a member at their request: by who they are, never by name."""

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlmodel import col

from app import models
from app.models import Action, Event, MailToken, OutboxMessage, Participant
from app.organisations import service as organisations
from app.privacy import service as privacy
from app.workshops import service as workshops
from tests.clusters.test_clusters import obstacles, post
from tests.conftest import Facilitator, Phone, Workshop, csrf_of, receive_until
from tests.exports.test_personal import personal_link
from tests.notify.conftest import join as join_as
from tests.register.pages import history, history_kinds
from tests.workspaces.conftest import add_member, workspace_of


@dataclass
class TwoAlis:
    """A workshop where two people are called Ali, each with an obstacle and a raised hand on one action, and a
    follow-up workshop that reviews that action."""

    workshop: Workshop
    followup: Workshop
    forgets: Phone
    stays: Phone
    forgets_id: int
    stays_id: int
    action_id: int


def forget_me(own: Any, link: str) -> Any:
    """Confirm "vergeet mij" from the page that asks, as the participant's own browser."""
    asked = own.get(f"{link}/vergeet-mij")
    return own.post(f"{link}/vergeet-mij", data={"csrf": csrf_of(asked.text), "confirm": "ja"})


def _db(facilitator: Facilitator) -> Any:
    app: Any = facilitator.http.app
    return app.state.runtime.db


def _participant(facilitator: Facilitator, participant_id: int) -> Participant:
    return _db(facilitator).read_sync(lambda db: db.get(Participant, participant_id))


def two_alis(facilitator: Facilitator, join: Callable[..., Phone]) -> TwoAlis:
    """Two people of the same name in one room, both in every place the log and the exports name people."""
    workshop = facilitator.create_workshop(title="Jeugdoverlast Noord")
    forgets = join(workshop, name="Ali", organisation="Schuldhulp")
    stays = join(workshop, name="Ali", organisation="Wijkteam")
    (first,) = obstacles(facilitator, workshop, forgets, "Wachtlijsten")
    (second,) = obstacles(facilitator, workshop, stays, "Te weinig tijd")
    # a pile that happens to carry the name too: it is no person's, and stays
    grouped = post(facilitator, workshop, "/clusters/group", {"answer_ids": [first, second], "name": "Ali"})
    assert grouped.status_code == 200
    action = post(facilitator, workshop, "/actions", {"title": "Buurtkamer open", "owner_organisation": "Welzijn"})
    action_id = action.json()["id"]
    for phone in (forgets, stays):
        with phone.connect() as ws:
            ws.receive_json()
            ws.send_text(json.dumps({"type": "volunteer", "action_id": action_id, "joining": True}))
            while ws.receive_json()["type"] != "volunteer_ack":
                pass
    followup = facilitator.create_workshop(format_key="vervolgsessie", title="Vervolg")
    # chosen anew, so its log lists the action under review with both hands
    for source in (None, workshop.id):
        assert post(facilitator, followup, "/review/source", {"review_of": source}).status_code == 200
    ids = _db(facilitator).read_sync(
        lambda db: dict(
            db.execute(
                select(col(Participant.organisation), col(Participant.id)).where(
                    col(Participant.workshop_id) == workshop.id
                )
            ).all()
        )
    )
    return TwoAlis(workshop, followup, forgets, stays, ids["Schuldhulp"], ids["Wijkteam"], action_id)


def names_in_log(facilitator: Facilitator, room: TwoAlis) -> dict[int, set[str]]:
    """Every name the event logs of both workshops give each participant (answers' authors, raised hands)."""
    found: dict[int, set[str]] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "participant" in value:
                found.setdefault(value["participant"], set()).add(value.get("author", value.get("name")))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    logged = select(col(Event.payload)).where(col(Event.workshop_id).in_([room.workshop.id, room.followup.id]))
    for payload in _db(facilitator).read_sync(lambda db: list(db.execute(logged).scalars())):
        walk(payload)
    return found


def pile_names_in_log(facilitator: Facilitator, workshop: Workshop) -> set[str]:
    logged = select(col(Event.payload)).where(
        col(Event.workshop_id) == workshop.id, col(Event.kind) == "clusters.changed"
    )
    payloads = _db(facilitator).read_sync(lambda db: list(db.execute(logged).scalars()))
    return {pile["name"] for payload in payloads for pile in payload["clusters"]}


def register_hands(facilitator: Facilitator, action_id: int) -> str:
    """The register's count of raised hands for the action, as its CSV gives it."""
    text = facilitator.http.get("/f/register.csv").text.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","))
    column = rows[0].index("Vrijwilligers")
    (row,) = [row for row in rows[1:] if row[0] == str(action_id)]
    return row[column]


def assert_only_one_forgotten(facilitator: Facilitator, room: TwoAlis) -> None:
    """The one who asked is gone from the log, the exports and the register; the other Ali and the pile stay."""
    assert names_in_log(facilitator, room) == {room.forgets_id: {""}, room.stays_id: {"Ali"}}
    assert pile_names_in_log(facilitator, room.workshop) == {"Ali"}
    answers = facilitator.http.get(f"/api/workshops/{room.workshop.id}/answers").json()
    assert {a["text"]: a["author"] for a in answers} == {"Wachtlijsten": "", "Te weinig tijd": "Ali"}
    (action,) = facilitator.http.get(f"/api/workshops/{room.workshop.id}/actions").json()
    assert {(v["name"], v["organisation"]) for v in action["volunteers"]} == {("", "Schuldhulp"), ("Ali", "Wijkteam")}
    page = facilitator.http.get(f"/f/acties/{room.action_id}").text
    assert page.count("<bdi>Ali</bdi>") == 1 and "Een anonieme deelnemer" in page
    assert register_hands(facilitator, room.action_id) == "2"
    gone = _participant(facilitator, room.forgets_id)
    assert (gone.name, gone.email) == ("", None)
    assert _participant(facilitator, room.stays_id).name == "Ali"


def give_address(phone: Phone, browser: Callable[[], TestClient], address: str) -> None:
    """The participant gives an address on Mijn afspraken: its confirmation mail waits in the outbox."""
    link = personal_link(phone)
    own = browser()
    form = {"csrf": csrf_of(own.get(link).text), "email": address, "lang": "nl"}
    assert own.post(f"{link}/e-mail", data=form, follow_redirects=False).status_code == 303


def confirm_address(facilitator: Facilitator, browser: Callable[[], TestClient], address: str) -> None:
    """The address's owner opens the confirmation link of the newest confirmation mail to it, and confirms."""
    query = (
        select(col(OutboxMessage.body_text))
        .where(col(OutboxMessage.kind) == "confirm_address", col(OutboxMessage.recipient) == address)
        .order_by(col(OutboxMessage.id).desc())
    )
    body = _db(facilitator).read_sync(lambda db: db.execute(query).scalars().first())
    (path,) = re.findall(r"http://[^/\s]+(/e-mail-bevestigen/\S+)", body)
    owner = browser()
    assert owner.post(path, data={"csrf": csrf_of(owner.get(path).text)}).status_code == 200


def unsent_for(facilitator: Facilitator) -> list[tuple[str, int | None]]:
    """The outbox's mails not sent yet: to which address, written for whom."""
    query = select(col(OutboxMessage.recipient), col(OutboxMessage.participant_id)).where(
        col(OutboxMessage.status) != "sent"
    )
    return sorted(_db(facilitator).read_sync(lambda db: [tuple(row) for row in db.execute(query).all()]))


def test_forgetting_oneself_removes_only_ones_own_name_where_two_share_it(
    facilitator: Facilitator, join: Any, browser: Any
) -> None:
    room = two_alis(facilitator, join)
    assert names_in_log(facilitator, room) == {room.forgets_id: {"Ali"}, room.stays_id: {"Ali"}}
    # one address for both, as a household might share: their mails are told apart by whom they were written for
    give_address(room.forgets, browser, "ali@thuis.nl")
    give_address(room.stays, browser, "ali@thuis.nl")
    link = personal_link(room.forgets)
    own = browser()
    forgotten = forget_me(own, link)
    assert forgotten.status_code == 200 and "Je naam en e-mailadres zijn verwijderd" in forgotten.text
    assert "ali@thuis.nl" not in forgotten.text
    assert_only_one_forgotten(facilitator, room)
    # their link mail, with their name, does not go; the other Ali's does
    assert unsent_for(facilitator) == [("ali@thuis.nl", room.stays_id)]
    links = select(col(MailToken.participant_id), col(MailToken.purpose)).order_by(col(MailToken.purpose))
    assert _db(facilitator).read_sync(lambda db: [tuple(row) for row in db.execute(links)]) == [
        (room.stays_id, "confirm"),
        (room.stays_id, "unsubscribe"),
    ]


def test_a_member_forgets_a_participant_who_lost_their_link(facilitator: Facilitator, join: Any, browser: Any) -> None:
    room = two_alis(facilitator, join)
    give_address(room.forgets, browser, "ali.yilmaz@schuldhulp.nl")
    decisions = facilitator.http.get(f"/f/workshops/{room.workshop.id}/besluitenlijst").text
    assert f'href="/f/workshops/{room.workshop.id}/deelnemers"' in decisions
    listing = facilitator.http.get(f"/f/workshops/{room.workshop.id}/deelnemers")
    assert listing.status_code == 200 and "ali.yilmaz@schuldhulp.nl" in listing.text
    url = f"/f/workshops/{room.workshop.id}/deelnemers/{room.forgets_id}/vergeten"
    assert url in listing.text and f"/deelnemers/{room.forgets_id}/gegevens.json" in listing.text
    page = facilitator.http.get(url)
    assert page.status_code == 200 and "Schuldhulp" in page.text and "Typ de naam om te bevestigen" in page.text
    # a name that is not theirs is refused, and nothing changes
    wrong = facilitator.http.post(url, data={"csrf": csrf_of(page.text), "typed": "Alie"})
    assert wrong.status_code == 422 and "precies over" in wrong.text
    assert _participant(facilitator, room.forgets_id).name == "Ali"
    done = facilitator.http.post(url, data={"csrf": csrf_of(page.text), "typed": " ali "}, follow_redirects=False)
    assert done.status_code == 303
    result = facilitator.http.get(done.headers["location"])
    assert "De naam en het e-mailadres zijn verwijderd" in result.text
    assert "ali.yilmaz@schuldhulp.nl" not in result.text
    assert_only_one_forgotten(facilitator, room)
    assert unsent_for(facilitator) == []
    record = facilitator.http.get(f"/f/workshops/{room.workshop.id}/deelnemers/{room.forgets_id}/gegevens.json")
    assert record.json()["participant"]["name"] == "" and record.json()["participant"]["email"] is None
    assert {a["text"] for a in record.json()["answers"]} == {"Wachtlijsten"}  # what they said stays
    # a second press (a double click, the back button) finds nothing left to type or remove
    again = facilitator.http.get(url)
    assert again.status_code == 200 and 'name="typed"' not in again.text
    assert facilitator.http.post(url, data={"csrf": csrf_of(page.text)}, follow_redirects=False).status_code == 303


def test_an_anonymous_participant_with_an_address_is_confirmed_by_the_address(
    facilitator: Facilitator, browser: Any
) -> None:
    workshop = facilitator.create_workshop(title="Open", allow_anonymous=True)
    http = browser()
    page = http.get(f"/j/{workshop.code}")
    joined = http.post(
        f"/j/{workshop.code}/participant",
        data={"csrf": csrf_of(page.text), "anonymous": "true"},
        follow_redirects=False,
    )
    assert joined.status_code == 303, joined.text
    phone = Phone(http=http, workshop=workshop)
    give_address(phone, browser, "stil@example.org")
    (participant_id,) = _db(facilitator).read_sync(lambda db: list(db.execute(select(col(Participant.id))).scalars()))
    url = f"/f/workshops/{workshop.id}/deelnemers/{participant_id}/vergeten"
    form = facilitator.http.get(url)
    assert "Typ het e-mailadres om te bevestigen" in form.text
    refused = facilitator.http.post(url, data={"csrf": csrf_of(form.text), "typed": ""})
    assert refused.status_code == 422 and "e-mailadres van de deelnemer precies over" in refused.text
    done = facilitator.http.post(url, data={"csrf": csrf_of(form.text), "typed": "Stil@Example.org"})
    assert done.status_code == 200 and _participant(facilitator, participant_id).email is None


@pytest.mark.parametrize("who", ["other_workspace", "meekijker", "no_csrf"])
def test_no_one_else_forgets_a_participant(
    facilitator: Facilitator, other_facilitator: Facilitator, join: Any, browser: Any, who: str
) -> None:
    workshop = facilitator.create_workshop(title="Wijk A")
    join(workshop, name="Ali", organisation="Schuldhulp")
    participant_id = _db(facilitator).read_sync(lambda db: db.execute(select(col(Participant.id))).scalar_one())
    base = f"/f/workshops/{workshop.id}/deelnemers"
    url = f"{base}/{participant_id}/vergeten"
    app: Any = facilitator.http.app
    if who == "meekijker":
        reader = add_member(
            app,
            browser(),
            workspace_id=workspace_of(app, facilitator.email),
            role="meekijker",
            email="m@a.nl",
            name="M",
        )
        expected = 403
    else:
        reader, expected = other_facilitator, 404
    csrf = csrf_of(reader.http.get("/f/workshops").text)
    if who == "no_csrf":
        reader, expected = facilitator, 403
        assert facilitator.http.post(url, data={"typed": "Ali"}).status_code == expected
    else:
        assert reader.http.get(base).status_code == expected
        assert reader.http.get(url).status_code == expected
        assert reader.http.post(url, data={"csrf": csrf, "typed": "Ali"}).status_code == expected
        data = reader.http.get(f"{base}/{participant_id}/gegevens.json")
        assert data.status_code == expected and "Schuldhulp" not in data.text
    assert _participant(facilitator, participant_id).name == "Ali"


def test_a_participant_of_another_workshop_or_workspace_is_not_found(
    facilitator: Facilitator, other_facilitator: Facilitator, join: Any
) -> None:
    mine, also_mine = facilitator.create_workshop(title="Wijk A"), facilitator.create_workshop(title="Wijk B")
    theirs = other_facilitator.create_workshop(title="Elders")
    join(also_mine, name="Bo", organisation="Politie")
    join(theirs, name="Xavier", organisation="Woonstichting")
    ids = _db(facilitator).read_sync(
        lambda db: dict(db.execute(select(col(Participant.name), col(Participant.id))).all())
    )
    csrf = csrf_of(facilitator.http.get("/f/workshops").text)
    for participant_id in (ids["Bo"], ids["Xavier"], 999):
        url = f"/f/workshops/{mine.id}/deelnemers/{participant_id}/vergeten"
        assert facilitator.http.get(url).status_code == 404
        assert facilitator.http.post(url, data={"csrf": csrf, "typed": "Xavier"}).status_code == 404
    # their workshop, with their participant: not this member's to see
    url = f"/f/workshops/{theirs.id}/deelnemers/{ids['Xavier']}/vergeten"
    assert facilitator.http.post(url, data={"csrf": csrf, "typed": "Xavier"}).status_code == 404
    for bad in ("abc", "0", str(2**40)):
        assert (
            facilitator.http.post(f"/f/workshops/{mine.id}/deelnemers/{bad}/vergeten", data={"csrf": csrf}).status_code
            == 422
        )
    assert _participant(facilitator, ids["Xavier"]).name == "Xavier"
    assert _participant(facilitator, ids["Bo"]).name == "Bo"


def test_forgetting_takes_them_off_the_actions_named_after_them_and_no_one_else(
    facilitator: Facilitator, join: Any, browser: Any
) -> None:
    room = two_alis(facilitator, join)
    zora = join(room.workshop, name="Zora Quist", organisation="Bibliotheek")
    answers = facilitator.http.get(f"/api/workshops/{room.workshop.id}/answers").json()
    said = {a["text"]: a["id"] for a in answers}
    made = {}
    for title, contact, contribution in (
        # made on the board from what each Ali pledged: the contact is its author
        ("Van deze Ali", "Ali", said["Wachtlijsten"]),
        ("Van de andere Ali", "Ali", said["Te weinig tijd"]),
        # typed by hand: with two of the name in the room it is not known which one, so it stays
        ("Ali zonder herkomst", "ali", None),
        # a name no one else in the room has is theirs
        ("Voor Zora", "zora quist", None),
    ):
        body = {"title": title, "owner_organisation": "Welzijn", "contact_person": contact}
        created = post(facilitator, room.workshop, "/actions", {**body, "contribution_id": contribution})
        assert created.status_code == 200, created.text
        made[title] = created.json()["id"]
    for phone in (room.forgets, zora):
        link = personal_link(phone)
        own = browser()
        assert forget_me(own, link).status_code == 200
    listed = facilitator.http.get(f"/api/workshops/{room.workshop.id}/actions").json()
    assert {a["title"]: a["contact"] for a in listed if a["title"] in made} == {
        "Van deze Ali": "",
        "Van de andere Ali": "Ali",
        "Ali zonder herkomst": "ali",
        "Voor Zora": "",
    }
    page = facilitator.http.get(f"/f/acties/{made['Voor Zora']}").text
    assert "Voor Zora" in page and "Quist" not in page
    # the history says the contact went, without naming them; only where it went
    assert history(page)[0].startswith("Contactpersoon verwijderd op eigen verzoek ")
    assert history(page)[0].endswith(" · systeem")
    for title, kept in (("Van deze Ali", False), ("Van de andere Ali", True), ("Ali zonder herkomst", True)):
        kinds = history_kinds(facilitator.http.get(f"/f/acties/{made[title]}").text)
        assert ("contact_forgotten" not in kinds) == kept, title


def test_a_room_of_hundreds_is_listed_a_hundred_to_a_page_and_found_by_name_or_address(
    facilitator: Facilitator,
) -> None:
    workshop = facilitator.create_workshop(title="Netwerkdag")

    def fill(tx: Any) -> None:
        for n in range(247):
            join_as(tx, workshop.id, f"Deelnemer {n:03d}", "Buurtwerk", f"d{n}@voorbeeld.nl" if n % 7 == 0 else None)
        join_as(tx, workshop.id, "ÖZLEM <script>alert(1)</script>", "Wijkteam", "o.yilmaz@wijkteam.nl")
        join_as(tx, workshop.id, "İlker", "Politie")

    _db(facilitator).write_sync(fill)
    base = f"/f/workshops/{workshop.id}/deelnemers"
    first = facilitator.http.get(base)
    assert first.status_code == 200 and first.text.count('class="participant-row"') == 100
    assert "Deelnemers · 249" in first.text and "Pagina 1 van 3, 100 per pagina" in first.text
    assert f'rel="next" href="{base}?page=2"' in first.text and "<script>alert" not in first.text
    last = facilitator.http.get(f"{base}?page=3")
    assert last.text.count('class="participant-row"') == 49 and 'aria-current="page">3<' in last.text
    # those without a name come last, by name otherwise: İlker and Özlem after Deelnemer 246
    assert "İlker" in last.text and "Deelnemer 246" in last.text and "Deelnemer 001" not in last.text
    # every word typed starts a word of the name or address, accents and case aside, as organisations are found
    for query, found in (("ozlem", 1), ("O.YILMAZ@", 1), ("ilker", 1), ("deelnemer 12", 10), ("lem", 0)):
        page = facilitator.http.get(base, params={"q": query})
        assert page.status_code == 200 and page.text.count('class="participant-row"') == found, query
        assert ("Niemand gevonden" in page.text) == (found == 0), query
    searched = facilitator.http.get(base, params={"q": "deelnemer 0"})
    assert searched.text.count('class="participant-row"') == 100 and "100 deelnemers gevonden" in searched.text
    assert f'href="{base}?q=deelnemer+0&amp;page=2"' not in searched.text  # exactly 100: one page
    wide = facilitator.http.get(base, params={"q": "deelnemer"})
    assert f'href="{base}?q=deelnemer&amp;page=2"' in wide.text
    beyond = facilitator.http.get(f"{base}?page=4")
    assert beyond.status_code == 404 and "Pagina 4 bestaat niet: de laatste is 3." in beyond.text
    for bad in ("abc", "0", "-1", "٣", "9" * 30):
        refused = facilitator.http.get(base, params={"page": bad})
        assert refused.status_code == 422 and "Deelnemer 000" not in refused.text, bad
    assert facilitator.http.get(base, params={"q": "x" * 255}).status_code == 422
    english = facilitator.http.get(f"{base}?page=2", headers={"accept-language": "en"})
    assert "Page 2 of 3, 100 a page" in english.text and "Search by name or email address" in english.text


def test_the_participants_page_is_paged_by_the_database_in_the_order_names_sort_everywhere(
    facilitator: Facilitator,
) -> None:
    workshop = facilitator.create_workshop(title="Netwerkdag", allow_anonymous=True)
    names = ["Huis 10", "huis 2", "Zoë", "zoe", "Ärmin", "arm", "سارة", "12 Apen", "???", "Bo", "Anna de Wit 3"] * 12
    forgotten: list[int] = []

    def fill(tx: Any) -> None:
        for n, name in enumerate(names):
            person = join_as(tx, workshop.id, name, "Buurtwerk")
            if n % 25 == 0:
                forgotten.append(person.id or 0)
                privacy.forget_participant(tx, participant=person)
        for _ in range(3):
            workshops.join_workshop(tx, workshop_id=workshop.id, name="", organisation="", anonymous=True)

    db = _db(facilitator)
    db.write_sync(fill)
    people = db.read_sync(lambda s: s.execute(select(col(Participant.id), col(Participant.name))).all())
    # the order the page had when it sorted in Python: by name as every list sorts names, the nameless last, by id
    expected = [i for _, _, i in sorted((name == "", organisations.name_order(name), i) for i, name in people)]
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    listed: list[int] = []
    event.listen(db.read_engine, "before_cursor_execute", seen)
    try:
        for page in (1, 2):
            shown = db.read_sync(partial(privacy.participants_page, workshop_id=workshop.id, page=page))
            listed += [p.id or 0 for p in shown.rows]
    finally:
        event.remove(db.read_engine, "before_cursor_execute", seen)
    assert listed == expected and shown.found == shown.total == len(expected) == 135
    assert set(forgotten) <= set(listed[-len(forgotten) - 3 :])  # nameless, as the anonymous are
    # the database pages: no statement reads the whole room
    assert all(" LIMIT " in sql for sql in statements if "FROM participant" in sql and "count(" not in sql)


def test_a_search_is_asked_of_the_database_and_finds_whom_the_words_typed_start_a_word_of(
    facilitator: Facilitator, join: Callable[..., Phone]
) -> None:
    workshop = facilitator.create_workshop(title="Netwerkdag", allow_anonymous=True)
    people = [
        ("ÖZLEM Yılmaz", "o.yilmaz@wijkteam.nl"),
        ("İlker 007", None),
        ("Ali_Baba", "ALI@Example.NL"),
        ("100% Ali", None),
        ("José", "jose@straße.de"),
        ("Jose\u0301 Zoë", None),
        ("سارة العلي", "sara@voorbeeld.nl"),
        ("a%b c_d", None),
        ("Deelnemer", None),
    ] * 15

    def fill(tx: Any) -> None:
        for name, email in people:
            join_as(tx, workshop.id, name, "Buurtwerk", email)
        workshops.join_workshop(tx, workshop_id=workshop.id, name="", organisation="", anonymous=True)

    db = _db(facilitator)
    db.write_sync(fill)
    rows = db.read_sync(lambda s: s.execute(select(Participant.id, Participant.name, Participant.email)).all())
    in_order = [i for _, _, i in sorted((name == "", organisations.name_order(name), i) for i, name, _ in rows)]
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.read_engine, "before_cursor_execute", seen)
    try:
        queries = ("ozlem", "ali", "ALI ba", "100", "%", "_", "a%", "jose", "JOSÉ", "zoe", "stra", "strasse")
        for query in queries + ("سا", "العلي", "wijkteam.nl", "ilk 00", "ilker 7", "b", "d", "nobody"):
            found = {i for i, name, email in rows if organisations.matches(query, (name, email or ""))}
            expected = [i for i in in_order if i in found]
            pages = [
                db.read_sync(partial(privacy.participants_page, workshop_id=workshop.id, search=query, page=n))
                for n in range(1, max(1, -(-len(expected) // privacy.PARTICIPANTS_PAGE)) + 1)
            ]
            assert [p.id for page in pages for p in page.rows] == expected, query
            assert {page.found for page in pages} == {len(expected)}, query
    finally:
        event.remove(db.read_engine, "before_cursor_execute", seen)
    # the database finds and pages: no statement reads the whole room
    assert all(" LIMIT " in sql for sql in statements if "FROM participant" in sql and "count(" not in sql)
    base = f"/f/workshops/{workshop.id}/deelnemers"

    def listed(query: str) -> int:
        return facilitator.http.get(base, params={"q": query}).text.count('class="participant-row"')

    # an address given, changed or taken back on Mijn afspraken is found by, and no longer found by
    phone = join(workshop, name="Quirijn")
    link = personal_link(phone)
    for address, by_old, by_new in (("q.one@xyz.nl", 0, 1), ("q.two@xyz.nl", 0, 1), ("", 0, 0)):
        form = {"csrf": csrf_of(phone.http.get(link).text), "email": address, "lang": "nl"}
        assert phone.http.post(f"{link}/e-mail", data=form, follow_redirects=False).status_code == 303
        assert listed("one") == (by_new if address.startswith("q.one") else by_old), address
        assert listed("two") == (by_new if address.startswith("q.two") else by_old), address
        assert listed("quirijn") == 1
    assert forget_me(phone.http, link).status_code == 200
    assert listed("quirijn") == 0
    # a workshop whose retention passed keeps nobody's words
    db.write_sync(lambda tx: privacy.anonymise_workshop(tx, workshop=tx.get(models.Workshop, workshop.id)))
    assert listed("ozlem") == listed("wijkteam") == listed("ali") == 0


def test_an_answer_waiting_for_approval_loses_its_name_on_the_board_alone(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    held_back = {"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json"}
    assert facilitator.http.post(f"/f/workshops/{workshop.id}/moderated", data={"on": "true"}, headers=held_back)
    author = join(workshop, name="Ali", organisation="Schuldhulp")
    facilitator.go(workshop, "obstacles")
    with (
        facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector,
        facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board,
        author.connect() as ws,
    ):
        projector.receive_json(), board.receive_json(), ws.receive_json()
        ws.send_text(author.answer_frame("Te weinig groen op het plein"))
        assert receive_until(ws, lambda f: f["type"] == "ack")
        assert receive_until(board, lambda f: f.get("kind") == "answer.created")["data"]["author"] == "Ali"
        (participant_id,) = _db(facilitator).read_sync(
            lambda db: list(db.execute(select(col(Participant.id))).scalars())
        )
        url = f"/f/workshops/{workshop.id}/deelnemers/{participant_id}/vergeten"
        forgotten = facilitator.http.post(
            url, data={"csrf": facilitator.csrf(), "typed": "Ali"}, follow_redirects=False
        )
        assert forgotten.status_code == 303
        facilitator.step(workshop, "next")
        before_the_step = []
        while (frame := board.receive_json()).get("kind") != "step.changed":
            before_the_step.append(frame)
        assert [(f["kind"], f["data"]["author"], f["data"]["held"]) for f in before_the_step] == [
            ("answer.created", "", True)
        ]
        # the projector never had it, and does not get it now: its next event is the step change
        assert receive_until(projector, lambda f: f["type"] == "event")["kind"] == "step.changed"


def test_forgetting_leaves_a_contact_of_their_name_with_another_address_and_other_workshops_contacts(
    facilitator: Facilitator, join: Any, browser: Any
) -> None:
    room = facilitator.create_workshop(title="Wijkavond")
    other_room = facilitator.create_workshop(title="Netwerkdag")
    jan = join(room, name="Jan Smit", organisation="Buurtwerk")
    give_address(jan, browser, "jan@thuis.nl")
    confirm_address(facilitator, browser, "jan@thuis.nl")
    made = {}
    for workshop, title, address in (
        # the municipality's Jan Smit, not in the room: the address is not the one this Jan gave
        (room, "Met het adres van een ander", "j.smit@gemeente.nl"),
        (room, "Alleen de naam", None),
        (other_room, "In een andere workshop", None),
        (other_room, "Met zijn adres", "Jan@Thuis.nl"),
    ):
        body = {
            "title": title,
            "owner_organisation": "Gemeente",
            "contact_person": "Jan Smit",
            "contact_email": address,
        }
        created = post(facilitator, workshop, "/actions", body)
        assert created.status_code == 200, created.text
        made[title] = created.json()["id"]
    link = personal_link(jan)
    own = browser()
    assert forget_me(own, link).status_code == 200
    listed = [
        action
        for workshop in (room, other_room)
        for action in facilitator.http.get(f"/api/workshops/{workshop.id}/actions").json()
    ]
    assert {a["title"]: a["contact"] for a in listed} == {
        "Met het adres van een ander": "Jan Smit",
        "Alleen de naam": "",
        "In een andere workshop": "Jan Smit",
        "Met zijn adres": "",
    }
    kept = _db(facilitator).read_sync(lambda db: db.get(Action, made["Met het adres van een ander"]))
    assert kept.contact_email == "j.smit@gemeente.nl"


def test_the_participants_are_listed_by_name_with_numbers_read_as_numbers(facilitator: Facilitator) -> None:
    workshop = facilitator.create_workshop(title="Netwerkdag")

    def fill(tx: Any) -> None:
        for name in ("Tafel 10", "tafel 2", "Ëva", "Tafel 1", "Bas"):
            join_as(tx, workshop.id, name, "Buurtwerk", None)

    _db(facilitator).write_sync(fill)
    page = facilitator.http.get(f"/f/workshops/{workshop.id}/deelnemers").text
    listed = re.findall(r'<strong class="wrap"><bdi>([^<]+)</bdi></strong>', page)
    # case and accents aside, and 2 before 10
    assert listed == ["Bas", "Ëva", "Tafel 1", "tafel 2", "Tafel 10"]
