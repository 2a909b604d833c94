"""Calendar feeds: a participant's, an organisation's and the workspace's dates, subscribable and revocable."""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import col

from app.actions import service as actions
from app.demo.driver import csrf_of
from app.models import Action, CalendarFeed, Organisation, Workshop, Workspace
from app.notify import reminders
from tests.conftest import LimitsClock
from tests.notify.conftest import NOW, TODAY, Network, build_network, database, join, sign_in


@pytest.fixture
def network(client: TestClient) -> Network:
    """The people around one action, in the app's database."""
    return database(client).write_sync(build_network)


def events(body: bytes) -> dict[str, Any]:
    """A feed's events by UID, as a calendar program reads them."""
    calendar = Calendar.from_ical(body)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def feed_url(page: str) -> str:
    """The https:// address of the feed a page shows once, and its webcal:// twin checked on the way."""
    url = re.search(r'value="(http[^"]+/agenda/[^"]+\.ics)"', page)
    assert url is not None, page
    webcal = re.search(r'href="(webcal://[^"]+)"', page)
    assert webcal is not None and webcal.group(1) == "webcal://" + url.group(1).split("://", 1)[1]
    return url.group(1).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def participant_feed(http: TestClient, link: str) -> str:
    """Make a participant's feed from Mijn afspraken; returns its path."""
    page = http.get(f"/m/{link}")
    made = http.post(f"/m/{link}/agenda", data={"csrf": csrf_of(page.text)})
    assert made.status_code == 200, made.text
    return feed_url(made.text)


def change(db: Any, network: Network, **fields: Any) -> None:
    """Change the action as the board does (its history records it)."""

    def job(tx: Any) -> None:
        current = {
            "title": "Huiskamer in de flat",
            "owner_organisation": "Woonstichting",
            "partners": ["Gemeente"],
            "contact_person": "Cor",
            "due_on": TODAY + timedelta(days=2),
            "status": "open",
        }
        actions.save_action(tx, workshop_id=network.workshop_id, action_id=network.action_id, **{**current, **fields})

    db.write_sync(job)


def public_id(db: Any, workshop_id: int) -> str:
    """A workshop's public id (part of every UID)."""
    return db.read_sync(lambda tx: tx.get(Workshop, workshop_id).public_id)


def test_a_participants_feed_follows_a_moved_date_and_a_withdrawn_action(client: TestClient, network: Network) -> None:
    db = database(client)
    path = participant_feed(client, network.links["volunteer"])
    uid = f"action-{network.action_id}-{public_id(db, network.workshop_id)}@doorbraak"
    first = client.get(path)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/calendar")
    event = events(first.content)[uid]
    assert (event.decoded("dtstart"), int(event["sequence"])) == (TODAY + timedelta(days=2), 0)
    assert str(event["status"]) == "CONFIRMED" and "Huiskamer in de flat" in str(event["summary"])

    change(db, network, due_on=TODAY + timedelta(days=9))
    moved = events(client.get(path).content)[uid]
    assert moved.decoded("dtstart") == TODAY + timedelta(days=9)
    assert int(moved["sequence"]) == 1, "a calendar replaces its copy only when SEQUENCE goes up"

    change(db, network, due_on=TODAY + timedelta(days=9), status="klaar")
    done = events(client.get(path).content)[uid]
    assert int(done["sequence"]) == 2 and str(done["summary"]).startswith("Klaar:")

    db.write_sync(lambda tx: actions.delete_action(tx, workshop_id=network.workshop_id, action_id=network.action_id))
    withdrawn = events(client.get(path).content)[uid]
    assert str(withdrawn["status"]) == "CANCELLED" and int(withdrawn["sequence"]) == 3


def test_the_feed_and_the_download_share_uids(client: TestClient, network: Network) -> None:
    db = database(client)

    def followup(tx: Any) -> None:
        actions.set_followup(tx, workshop_id=network.workshop_id, at=datetime(2026, 12, 21, 14), place="Buurthuis")

    db.write_sync(followup)
    link = network.links["volunteer"]
    download = events(client.get(f"/m/{link}/vervolg.ics").content)
    feed = events(client.get(participant_feed(client, link)).content)
    assert set(download) == set(feed) and len(feed) == 2
    meeting = f"followup-{public_id(db, network.workshop_id)}@doorbraak"
    assert int(feed[meeting]["sequence"]) == 0

    def move(tx: Any) -> None:
        actions.set_followup(tx, workshop_id=network.workshop_id, at=datetime(2026, 12, 22, 14), place="Buurthuis")

    db.write_sync(move)
    moved = events(client.get(participant_feed(client, link)).content)[meeting]
    assert int(moved["sequence"]) == 1 and moved.decoded("dtstart").date() == date(2026, 12, 22)


def test_a_new_participant_feed_stops_the_old_one_and_unknown_tokens_are_404(
    client: TestClient, network: Network
) -> None:
    old = participant_feed(client, network.links["owner"])
    new = participant_feed(client, network.links["owner"])
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get("/agenda/geraden-token.ics").status_code == 404
    tokens = database(client).read_sync(lambda tx: [f.token_hash for f in tx.execute(select(CalendarFeed)).scalars()])
    assert new.split("/")[2].removesuffix(".ics") not in tokens, "only the token's hash is kept"


def test_new_calendar_links_from_one_personal_link_are_limited(
    frozen_clock: LimitsClock, client: TestClient, network: Network
) -> None:
    # each press keeps a row (the earlier feed, revoked, answers its calendars "gone"): without a limit one person
    # could add rows as fast as they can post
    allowed = cast(FastAPI, client.app).state.runtime.limits.changes_per_link[0].amount
    link = network.links["owner"]
    token = csrf_of(client.get(f"/m/{link}").text)
    made = [client.post(f"/m/{link}/agenda", data={"csrf": token}).status_code for _ in range(allowed + 1)]
    assert made == [200] * allowed + [429]
    refused = client.post(f"/m/{link}/agenda", data={"csrf": token}, headers={"accept-language": "en"})
    assert refused.status_code == 429 and "new calendar link" in refused.text
    rows = database(client).read_sync(lambda tx: len(tx.execute(select(CalendarFeed)).all()))
    assert rows == allowed
    # another participant's link has its own allowance
    assert participant_feed(client, network.links["volunteer"]).endswith(".ics")


def test_each_feed_holds_its_own_actions(client: TestClient, network: Network, browser: Callable[[], Any]) -> None:
    db = database(client)

    def more(tx: Any) -> int:
        here = tx.get(Workshop, network.workshop_id)
        actions.save_action(
            tx, workshop_id=here.id, title="Speelplek", owner_organisation="Sportclub", due_on=TODAY + timedelta(5)
        )
        theirs = actions.save_action(
            tx,
            workshop_id=network.other_workshop_id,
            title="Buurtapp",
            owner_organisation="Gemeente",
            due_on=TODAY + timedelta(6),
        )
        return theirs["id"]

    db.write_sync(more)
    boss = browser()
    sign_in(boss, "bea@a.nl")
    page = boss.get("/f/agenda")
    municipality = db.read_sync(
        lambda tx: tx.execute(select(Organisation.id).where(col(Organisation.name) == "Gemeente")).scalar_one()
    )
    made = boss.post(
        "/f/agenda", data={"csrf": csrf_of(page.text), "scope": "organisation", "organisation_id": str(municipality)}
    )
    assert made.status_code == 201, made.text
    titles = sorted(str(e["summary"]) for e in events(boss.get(feed_url(made.text)).content).values())
    # the municipality's own action and the one it is a partner in, both workshops' follow-ups have none set
    assert titles == ["Deadline: Buurtapp", "Deadline: Huiskamer in de flat"]
    whole = boss.post("/f/agenda", data={"csrf": csrf_of(page.text), "scope": "workspace"})
    all_titles = sorted(str(e["summary"]) for e in events(boss.get(feed_url(whole.text)).content).values())
    assert all_titles == ["Deadline: Buurtapp", "Deadline: Huiskamer in de flat", "Deadline: Speelplek"]
    owner = sorted(
        str(e["summary"]) for e in events(client.get(participant_feed(client, network.links["owner"])).content).values()
    )
    assert owner == ["Deadline: Huiskamer in de flat"]


def test_an_organisations_feed_follows_it_into_a_merge_and_never_to_a_later_organisation(
    client: TestClient, network: Network, browser: Callable[[], Any]
) -> None:
    db = database(client)
    boss = browser()
    sign_in(boss, "bea@a.nl")
    csrf = csrf_of(boss.get("/f/organisaties").text)
    for name in ("Buurtteam Oost", "Buurtteam O."):
        added = boss.post("/f/organisaties", data={"csrf": csrf, "name": name}, follow_redirects=False)
        assert added.status_code == 303

    def organisation_id(name: str) -> int:
        query = select(Organisation.id).where(col(Organisation.name) == name)
        return int(db.read_sync(lambda tx: tx.execute(query).scalar_one()))

    def agree(title: str, owner: str) -> None:
        db.write_sync(
            lambda tx: actions.save_action(
                tx, workshop_id=network.workshop_id, title=title, owner_organisation=owner, due_on=TODAY
            )
        )

    kept, duplicate = organisation_id("Buurtteam Oost"), organisation_id("Buurtteam O.")
    agree("Spreekuur", "Buurtteam O.")
    made = boss.post("/f/agenda", data={"csrf": csrf, "scope": "organisation", "organisation_id": str(duplicate)})
    path = feed_url(made.text)
    merged = boss.post(f"/f/organisaties/{duplicate}/samenvoegen", data={"csrf": csrf, "into": str(kept)})
    assert merged.status_code == 200
    # the duplicate's calendar is the organisation's: it goes on, with the name it was merged into
    feed = client.get(path)
    assert feed.status_code == 200
    assert [str(e["summary"]) for e in events(feed.content).values()] == ["Deadline: Spreekuur"]
    assert str(Calendar.from_ical(feed.content)["x-wr-calname"]).startswith("Buurtteam Oost · ")
    # SQLite gives a new row the largest id again once that row is gone: the duplicate's, here
    assert boss.post("/f/organisaties", data={"csrf": csrf, "name": "Politie Zuid"}).status_code == 200
    agree("Cameratoezicht", "Politie Zuid")
    titles = [str(e["summary"]) for e in events(client.get(path).content).values()]
    assert titles == ["Deadline: Spreekuur"]


def test_a_beheerder_revokes_a_feed_and_it_answers_404(client: TestClient, network: Network, browser: Any) -> None:
    db = database(client)
    boss = browser()
    sign_in(boss, "bea@a.nl")
    page = boss.get("/f/agenda")
    made = boss.post("/f/agenda", data={"csrf": csrf_of(page.text), "scope": "workspace"})
    path = feed_url(made.text)
    assert boss.get(path).status_code == 200
    assert path not in boss.get("/f/agenda").text, "the link is shown once, when made"
    feed_id = db.read_sync(lambda tx: tx.execute(select(CalendarFeed.id)).scalar_one())
    revoked = boss.post(f"/f/agenda/{feed_id}/intrekken", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert revoked.status_code == 303
    assert client.get(path).status_code == 404
    assert "ingetrokken op" in boss.get("/f/agenda").text


def test_another_workspaces_beheerder_cannot_revoke_a_feed(client: TestClient, network: Network, browser: Any) -> None:
    boss, stranger = browser(), browser()
    sign_in(boss, "bea@a.nl")
    made = boss.post("/f/agenda", data={"csrf": csrf_of(boss.get("/f/agenda").text), "scope": "workspace"})
    path = feed_url(made.text)
    feed_id = database(client).read_sync(lambda tx: tx.execute(select(CalendarFeed.id)).scalar_one())
    sign_in(stranger, "xander@b.nl")
    csrf = csrf_of(stranger.get("/f/agenda").text)
    assert stranger.post(f"/f/agenda/{feed_id}/intrekken", data={"csrf": csrf}).status_code == 404
    assert client.get(path).status_code == 200, "the feed still works"


def test_bad_feed_requests_are_refused(client: TestClient, network: Network, browser: Any) -> None:
    boss = browser()
    sign_in(boss, "bea@a.nl")
    csrf = csrf_of(boss.get("/f/agenda").text)
    assert (
        boss.post("/f/agenda", data={"csrf": csrf, "scope": "organisation", "organisation_id": "999"}).status_code
        == 404
    )
    for missing in ("x", ""):
        refused = boss.post("/f/agenda", data={"csrf": csrf, "scope": "organisation", "organisation_id": missing})
        assert refused.status_code == 422 and "Kies bij “Eén organisatie” een organisatie uit de lijst." in refused.text
    assert boss.post("/f/agenda", data={"csrf": csrf, "scope": "alles"}).status_code == 422
    assert boss.post("/f/agenda/999/intrekken", data={"csrf": csrf}).status_code == 404
    assert boss.post(f"/f/agenda/{2**64}/intrekken", data={"csrf": csrf}).status_code == 422
    db = database(client)

    def a_participant_feed(tx: Any) -> int:
        participant = join(tx, network.workshop_id, "Nora", "Woonstichting")
        feed = CalendarFeed(
            token_hash="a" * 64, scope="participant", workspace_id=network.workspace_id, participant_id=participant.id
        )
        tx.add(feed)
        tx.flush()
        return feed.id

    # a participant's own feed is theirs: the office cannot see or revoke it by id
    own = db.write_sync(a_participant_feed)
    assert boss.post(f"/f/agenda/{own}/intrekken", data={"csrf": csrf}).status_code == 404


def test_the_menu_leads_every_member_to_the_calendars_and_the_workspace_page_to_the_outbox(
    client: TestClient, network: Network, browser: Any
) -> None:
    boss = browser()
    sign_in(boss, "bea@a.nl")
    for path in ("/f/workshops", "/f/register", "/f/organisaties", "/f/berichten"):
        menu = boss.get(path).text.split('<nav class="topnav">', 1)[1].split("</nav>", 1)[0]
        assert '<a href="/f/agenda">Agenda</a>' in menu, path
    # the outbox is a beheerder's: their workspace page links it
    assert '<a href="/f/berichten">Uitgaande berichten</a>' in boss.get("/f/werkruimte").text


def test_a_feed_is_dated_by_the_dutch_clock(client: TestClient, network: Network, browser: Any) -> None:
    db = database(client)
    boss = browser()
    sign_in(boss, "bea@a.nl")
    boss.post("/f/agenda", data={"csrf": csrf_of(boss.get("/f/agenda").text), "scope": "workspace"})

    def late_at_night(tx: Any) -> None:
        feed = tx.execute(select(CalendarFeed)).scalar_one()
        # half past midnight in the Netherlands, still the day before in UTC
        feed.created_at = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
        feed.revoked_at = datetime(2027, 1, 31, 23, 15, tzinfo=UTC)

    db.write_sync(late_at_night)
    page = boss.get("/f/agenda").text
    assert "op 7 december 2026" in page
    assert "ingetrokken op 1 februari 2027" in page


def test_days_stored_at_the_end_of_the_calendar_still_give_a_feed(client: TestClient, network: Network) -> None:
    # days are bounded to 2000-2099 when typed now; one stored before, on the calendar's last day, made every feed of
    # its workspace answer a 500, since its end (the day or hour after it) cannot be counted
    db = database(client)
    last_hour = datetime(9999, 12, 31, 22, 30, tzinfo=UTC)  # 23:30 on the Dutch clock, as it could be typed

    def stored_before(tx: Any) -> None:
        tx.get(Action, network.action_id).due_on = date.max
        tx.get(Workshop, network.workshop_id).followup_at = last_hour

    db.write_sync(stored_before)
    response = client.get(participant_feed(client, network.links["volunteer"]))
    assert response.status_code == 200
    workshop = public_id(db, network.workshop_id)
    feed = events(response.content)
    due = feed[f"action-{network.action_id}-{workshop}@doorbraak"]
    assert due.decoded("dtstart") == date.max and due.decoded("duration") == timedelta(days=1)
    meeting = feed[f"followup-{workshop}@doorbraak"]
    assert meeting.decoded("dtend") - meeting.decoded("dtstart") == timedelta(hours=1)


def test_a_name_of_two_lines_keeps_every_calendar_and_the_reminders_of_every_workspace(
    client: TestClient, network: Network, browser: Callable[[], Any]
) -> None:
    # a pasted title or workspace name may hold a line break; a calendar's name took it unescaped and icalendar
    # refused the whole file (500), and in the reminder pass the one workshop stopped every workspace's reminders
    db = database(client)
    meeting_at = datetime.combine(TODAY + timedelta(days=2), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)

    def two_lines(tx: Any) -> None:
        workshop = tx.get(Workshop, network.workshop_id)
        workshop.title, workshop.followup_at = "Jeugdoverlast\nNoord", meeting_at
        tx.get(Workspace, network.workspace_id).name = "Netwerk\nNoord"

    db.write_sync(two_lines)
    boss = browser()
    sign_in(boss, "bea@a.nl")
    page = boss.get("/f/agenda")
    made = boss.post("/f/agenda", data={"csrf": csrf_of(page.text), "scope": "workspace"})
    feed = boss.get(feed_url(made.text))
    assert feed.status_code == 200
    assert str(Calendar.from_ical(feed.content)["x-wr-calname"]) == "Netwerk Noord"
    download = boss.get(f"/f/workshops/{network.workshop_id}/export/agenda.ics")
    assert download.status_code == 200
    assert str(Calendar.from_ical(download.content)["x-wr-calname"]) == "Jeugdoverlast Noord"
    due = db.read_sync(partial(reminders.due_mails, today=TODAY, now=NOW, secret="s"))
    invited = {facts.workshop_id: [person.address for person in people] for facts, people in due.meetings}
    assert "olga@woon.nl" in invited[network.workshop_id]
    calendar = Calendar.from_ical(next(facts.ics for facts, _ in due.meetings))
    assert str(calendar["x-wr-calname"]) == "Jeugdoverlast Noord"
    assert str(calendar.walk("VEVENT")[0]["summary"]) == "Vervolgafspraak: Jeugdoverlast\nNoord"


def test_a_moved_followup_counts_up_its_sequence_under_one_uid_in_the_download_the_feed_and_the_reminder(
    client: TestClient, network: Network
) -> None:
    db = database(client)
    link = network.links["volunteer"]
    feed = participant_feed(client, link)
    meeting = f"followup-{public_id(db, network.workshop_id)}@doorbraak"

    def meet(day: date) -> None:
        db.write_sync(
            lambda tx: actions.set_followup(
                tx,
                workshop_id=network.workshop_id,
                at=datetime.combine(day, datetime.min.time()) + timedelta(hours=14),
                place="Buurthuis",
            )
        )

    def three_events() -> list[Any]:
        """The meeting as the download, the feed and the reminder's calendar file give it."""
        due = db.read_sync(partial(reminders.due_mails, today=TODAY, now=NOW, secret="s" * 40))
        (reminder,) = [facts.ics.encode() for facts, _ in due.meetings if facts.workshop_id == network.workshop_id]
        return [
            events(body)[meeting]
            for body in (client.get(f"/m/{link}/vervolg.ics").content, client.get(feed).content, reminder)
        ]

    meet(TODAY + timedelta(days=2))
    assert [int(event["sequence"]) for event in three_events()] == [0, 0, 0]
    meet(TODAY + timedelta(days=3))
    moved = three_events()
    assert [int(event["sequence"]) for event in moved] == [1, 1, 1]
    assert {event.decoded("dtstart").date() for event in moved} == {TODAY + timedelta(days=3)}


def test_a_feed_speaks_the_language_its_link_was_made_in(
    client: TestClient, network: Network, browser: Callable[[], Any]
) -> None:
    """A calendar program asks without a language: the feed keeps the one of the page that made its link."""
    db = database(client)
    change(db, network, status="klaar")
    client.cookies.set("dbk_lang", "en")
    english = participant_feed(client, network.links["volunteer"])
    client.cookies.delete("dbk_lang")
    server = browser()  # as a calendar server fetches it: no cookie, no Accept-Language
    body = server.get(english).content
    calendar = Calendar.from_ical(body)
    assert str(calendar["x-wr-calname"]).startswith("My actions · ")
    (summary,) = [str(e["summary"]) for e in calendar.walk("VEVENT")]
    assert summary == "Done: Huiskamer in de flat"
    # one made in Dutch stays Dutch, whoever asks
    dutch = participant_feed(client, network.links["owner"])
    asked = server.get(dutch, headers={"accept-language": "en"}).content
    assert str(Calendar.from_ical(asked)["x-wr-calname"]).startswith("Mijn afspraken · ")
    # a member's feed too
    boss = browser()
    sign_in(boss, "bea@a.nl")
    boss.get("/taal/en")
    made = boss.post("/f/agenda", data={"csrf": csrf_of(boss.get("/f/agenda").text), "scope": "workspace"})
    titles = [str(e["summary"]) for e in events(server.get(feed_url(made.text)).content).values()]
    assert titles == ["Done: Huiskamer in de flat"]
