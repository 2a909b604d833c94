"""Personal data kept no longer than needed: retention, forgetting a name, deleting a workshop, a data request."""

import asyncio
import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import col

from app.accounts import service as accounts
from app.actions import review
from app.models import Action, ActionChange, Answer, Event, Participant, ReviewItem, Workshop, local_day
from app.privacy import service as privacy
from app.store.database import Database
from tests.actions.test_actions import contribution
from tests.clusters.test_clusters import post
from tests.conftest import PASSWORD, Facilitator, Phone, csrf_of
from tests.exports.test_personal import personal_link
from tests.notify.conftest import join as join_as
from tests.notify.conftest import new_workshop
from tests.register.pages import history, history_kinds


def _db(facilitator: Facilitator) -> Any:
    app: Any = facilitator.http.app
    return app.state.runtime.db


def _count(facilitator: Facilitator, model: Any, *where: Any) -> int:
    return _db(facilitator).read_sync(
        lambda db: db.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
    )


def _room(facilitator: Facilitator, join: Any, title: str = "Jeugdoverlast Noord") -> tuple[Any, Phone, int]:
    """A workshop with a named participant, an obstacle, a pledge and an action with a contact person."""
    workshop = facilitator.create_workshop(title=title)
    phone = join(workshop, name="Ali Yılmaz", organisation="Schuldhulp")
    _, pledge = contribution(facilitator, workshop, phone)
    action = post(
        facilitator,
        workshop,
        "/actions",
        {
            "title": "Terugbellen",
            "owner_organisation": "Schuldhulp",
            "contact_person": "Ali 06-12345678",
            "contribution_id": pledge,
        },
    ).json()
    return workshop, phone, action["id"]


def _held(facilitator: Facilitator, workshop_id: int, day: date) -> None:
    def move(db: Any) -> None:
        db.get(Workshop, workshop_id).held_on = day

    _db(facilitator).write_sync(move)


def test_months_after_keeps_the_day_or_takes_the_months_last() -> None:
    assert privacy.months_after(date(2025, 5, 17), 18) == date(2026, 11, 17)
    assert privacy.months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert privacy.months_after(date(2027, 12, 31), 2) == date(2028, 2, 29)


def test_past_the_retention_period_names_and_contacts_go_and_answers_stay(facilitator: Facilitator, join: Any) -> None:
    old, _, action_id = _room(facilitator, join, title="Oud")
    recent, _, _ = _room(facilitator, join, title="Recent")
    today = date(2026, 12, 4)
    _held(facilitator, old.id, today - timedelta(days=19 * 31))
    _held(facilitator, recent.id, today - timedelta(days=17 * 31))
    answers_before = _count(facilitator, Answer)
    done = _db(facilitator).write_sync(lambda db: privacy.run_retention(db, today=today))
    assert [item["workshop_id"] for item in done] == [old.id] and done[0]["names_removed"] == 1
    assert _count(facilitator, Answer) == answers_before
    names = _db(facilitator).read_sync(
        lambda db: dict(db.execute(select(col(Participant.workshop_id), col(Participant.name))).all())
    )
    assert names == {old.id: "", recent.id: "Ali Yılmaz"}
    contact = _db(facilitator).read_sync(lambda db: db.get(Action, action_id).contact_person)
    assert contact == ""
    assert _count(facilitator, Event, col(Event.workshop_id) == old.id) == 0
    assert _count(facilitator, Event, col(Event.workshop_id) == recent.id) > 0
    # a second run finds nothing left; a shorter period then takes the other one too
    assert _db(facilitator).write_sync(lambda db: privacy.run_retention(db, today=today)) == []
    page = facilitator.http.get("/f/privacy")
    assert "Oud" in page.text and "18 maanden" in page.text
    saved = facilitator.http.post("/f/privacy", data={"csrf": csrf_of(page.text), "months": "12"})
    assert saved.status_code == 200 and "12 maanden" in saved.text
    done = _db(facilitator).write_sync(lambda db: privacy.run_retention(db, today=today))
    assert [item["workshop_id"] for item in done] == [recent.id]


def test_names_and_contacts_given_after_the_retention_period_go_at_the_next_run(
    facilitator: Facilitator, join: Any, browser: Any
) -> None:
    workshop, phone, action_id = _room(facilitator, join, title="Oud")
    link = personal_link(phone)
    today = date(2026, 12, 4)
    _held(facilitator, workshop.id, today - timedelta(days=19 * 31))
    assert len(_db(facilitator).write_sync(lambda db: privacy.run_retention(db, today=today))) == 1
    removed_at = _db(facilitator).read_sync(lambda db: db.get(Workshop, workshop.id).anonymised_at)
    # the register lives on: a member gives the old action a contact again; the participant gives an address
    changed = post(
        facilitator,
        workshop,
        f"/actions/{action_id}",
        {
            "title": "Terugbellen",
            "owner_organisation": "Schuldhulp",
            "contact_person": "Bea de Vries",
            "contact_email": "bea@schuldhulp.nl",
        },
    )
    assert changed.status_code == 200
    own = browser()
    form = {"csrf": csrf_of(own.get(link).text), "email": "ali@example.org", "lang": "nl"}
    assert own.post(f"{link}/e-mail", data=form, follow_redirects=False).status_code == 303
    done = _db(facilitator).write_sync(lambda db: privacy.run_retention(db, today=today + timedelta(days=1)))
    assert [item["workshop_id"] for item in done] == [workshop.id]
    action = _db(facilitator).read_sync(lambda db: db.get(Action, action_id))
    assert (action.contact_person, action.contact_email) == ("", None)
    emails = _db(facilitator).read_sync(lambda db: list(db.execute(select(col(Participant.email))).scalars()))
    assert emails == [None]
    contacts = select(col(ActionChange.after)).where(col(ActionChange.kind) == "contact")
    history = _db(facilitator).read_sync(lambda db: list(db.execute(contacts).scalars()))
    assert history and all("Bea" not in after for after in history)
    # the day the names went stays the first one; a run with nothing new finds nothing to do
    assert _db(facilitator).read_sync(lambda db: db.get(Workshop, workshop.id).anonymised_at) == removed_at
    assert _db(facilitator).write_sync(lambda db: privacy.run_retention(db, today=today + timedelta(days=2))) == []


def test_a_retention_run_of_many_workshops_lets_the_rooms_write_between_its_slices(client: TestClient) -> None:
    # on SQLite the writer commits on the event loop: one transaction for hundreds of workshops held every room still
    app: Any = client.app
    db: Database = app.state.runtime.db
    today, count = date(2026, 12, 4), 3 * privacy.RETENTION_SLICE

    def build(tx: Any) -> list[int]:
        boss = accounts.create_facilitator(tx, email="bea@a.nl", name="Bea", password=PASSWORD)
        ids = []
        for n in range(count):
            workshop = new_workshop(tx, boss.id, f"Oud {n}")
            join_as(tx, workshop.id, f"Deelnemer {n}", "Buurtwerk", f"deelnemer{n}@voorbeeld.nl")
            workshop.held_on = today - timedelta(days=19 * 31)
            ids.append(workshop.id)
        return ids

    ids = db.write_sync(build)

    def named(tx: Any) -> int:
        where = (col(Participant.workshop_id).in_(ids), col(Participant.name) != "")
        return tx.execute(select(func.count()).select_from(Participant).where(*where)).scalar_one()

    async def retention_while_a_room_writes() -> tuple[tuple[list[dict[str, Any]], tuple[int, int]], list[int]]:
        run = asyncio.create_task(privacy.retention_pass(db.read, db.write, today=today))
        seen = []
        while not run.done():
            # a room's write, in the writer's queue behind whatever retention queued: the names it finds left
            seen.append(await db.write(named))
        return await run, seen

    (done, _), seen = client.portal.call(retention_while_a_room_writes)
    assert sorted(item["workshop_id"] for item in done) == sorted(ids) and db.read_sync(named) == 0
    assert any(0 < left < count for left in seen), seen


def test_retention_slices_hold_few_events_and_a_big_session_has_one_to_itself(
    client: TestClient, monkeypatch: Any
) -> None:
    # ten workshops are a small slice, unless one of them was a network day with tens of thousands of events
    monkeypatch.setattr(privacy, "RETENTION_SLICE_EVENTS", 100)
    app: Any = client.app
    db: Database = app.state.runtime.db
    today = date(2026, 12, 4)
    sizes = [0, 40, 70, 250, 10, 10]

    def build(tx: Any) -> list[int]:
        boss = accounts.create_facilitator(tx, email="bea@a.nl", name="Bea", password=PASSWORD)
        ids = []
        for n, size in enumerate(sizes):
            workshop = new_workshop(tx, boss.id, f"Oud {n}")
            workshop.held_on = today - timedelta(days=19 * 31)
            tx.add_all(
                Event(workshop_id=workshop.id, seq=seq, kind="x", audience="all", payload={}) for seq in range(size)
            )
            ids.append(workshop.id)
        return ids

    ids = db.write_sync(build)
    slices = db.read_sync(lambda tx: privacy.due_in_slices(tx, today=today))
    assert slices == [ids[0:2], ids[2:3], ids[3:4], ids[4:6]]


def test_a_retention_period_out_of_bounds_is_refused(facilitator: Facilitator) -> None:
    csrf = csrf_of(facilitator.http.get("/f/privacy").text)
    for months in ("0", "121", "twaalf", "١٢", "-3", ""):
        response = facilitator.http.post("/f/privacy", data={"csrf": csrf, "months": months})
        assert response.status_code == 422, months
        assert "1 tot 120 maanden" in response.text


def test_a_participant_removes_their_name_after_confirming(facilitator: Facilitator, join: Any, browser: Any) -> None:
    workshop, phone, _ = _room(facilitator, join)
    link = personal_link(phone)
    other = browser()
    mine = other.get(link)
    assert "Ali Yılmaz" in mine.text
    # the query that follows forgetting claims no removal on a page whose name is still there
    claimed = other.get(f"{link}?vergeten=1").text
    assert "Ali Yılmaz" in claimed and "Je naam en e-mailadres zijn verwijderd" not in claimed
    # Mijn afspraken only leads to the question; it has no form that forgets
    assert f'href="{link}/vergeet-mij"' in mine.text and f'action="{link}/vergeet-mij"' not in mine.text
    page = other.get(f"{link}/vergeet-mij")
    assert page.status_code == 200 and "Ali Yılmaz" in page.text
    assert "Wat verdwijnt" in page.text and "Wat blijft" in page.text and "niet ongedaan" in page.text
    assert f'href="{link}"' in page.text  # the way back
    assert other.post(f"{link}/vergeet-mij", data={"confirm": "ja"}).status_code == 403  # a form from elsewhere
    # a post without the page's confirmation removes nothing and says why
    unconfirmed = other.post(f"{link}/vergeet-mij", data={"csrf": csrf_of(page.text)})
    assert unconfirmed.status_code == 422 and "Er is niets verwijderd" in unconfirmed.text
    assert "Ali Yılmaz" in other.get(link).text
    response = other.post(f"{link}/vergeet-mij", data={"csrf": csrf_of(page.text), "confirm": "ja"})
    assert response.status_code == 200 and "Je naam en e-mailadres zijn verwijderd" in response.text
    assert "Ali Yılmaz" not in response.text
    logged = _db(facilitator).read_sync(
        lambda db: [e.payload for e in db.execute(select(Event).where(col(Event.workshop_id) == workshop.id)).scalars()]
    )
    assert logged and "Ali Yılmaz" not in json.dumps(logged, ensure_ascii=False)
    assert "Wij bellen binnen een week" in json.dumps(logged, ensure_ascii=False)  # what they said stays
    board = facilitator.http.get(f"/api/workshops/{workshop.id}/answers").json()
    assert board and all(answer.get("author", "") != "Ali Yılmaz" for answer in board)


def test_a_participant_downloads_everything_stored_about_them(
    facilitator: Facilitator, join: Any, browser: Any
) -> None:
    workshop, phone, _ = _room(facilitator, join)
    record = browser().get(f"{personal_link(phone)}/gegevens.json")
    assert record.status_code == 200 and "attachment" in record.headers["content-disposition"]
    data = record.json()
    assert data["participant"]["name"] == "Ali Yılmaz" and data["workshop"]["title"] == "Jeugdoverlast Noord"
    assert {answer["text"] for answer in data["answers"]} >= {"Wij bellen binnen een week"}
    assert browser().get("/m/raden-heeft-geen-zin/gegevens.json").status_code == 404
    participant_id = _db(facilitator).read_sync(lambda db: db.execute(select(col(Participant.id))).scalar_one())
    by_member = facilitator.http.get(f"/f/workshops/{workshop.id}/deelnemers/{participant_id}/gegevens.json")
    assert by_member.json() == data
    assert facilitator.http.get(f"/f/workshops/{workshop.id}/deelnemers/999/gegevens.json").status_code == 404


def test_a_workshop_is_deleted_whole_after_typing_its_title(facilitator: Facilitator, join: Any) -> None:
    doomed, _, action_id = _room(facilitator, join, title="Weg ermee")
    kept, _, _ = _room(facilitator, join, title="Blijft")
    followup = facilitator.create_workshop(format_key="vervolgsessie", title="Vervolg")
    post(facilitator, followup, "/review/source", {"review_of": doomed.id})
    assert _count(facilitator, ReviewItem) == 1
    page = facilitator.http.get(f"/f/workshops/{doomed.id}/verwijderen")
    assert page.status_code == 200 and "Weg ermee" in page.text
    wrong = facilitator.http.post(
        f"/f/workshops/{doomed.id}/verwijderen", data={"csrf": csrf_of(page.text), "title": "Weg"}
    )
    assert wrong.status_code == 422 and "precies over" in wrong.text
    assert _count(facilitator, Workshop, col(Workshop.id) == doomed.id) == 1
    gone = facilitator.http.post(
        f"/f/workshops/{doomed.id}/verwijderen", data={"csrf": csrf_of(page.text), "title": " weg ermee "}
    )
    assert gone.status_code == 200 and "Weg ermee" not in gone.text
    for model in (Answer, Participant, Action, Event):
        assert _count(facilitator, model, col(model.workshop_id) == doomed.id) == 0, model
        assert _count(facilitator, model, col(model.workshop_id) == kept.id) > 0, model
    assert _count(facilitator, ReviewItem) == 0
    assert facilitator.http.get(f"/f/workshops/{doomed.id}").status_code == 404
    assert facilitator.http.get(f"/f/workshops/{followup.id}").status_code == 200
    del action_id


def test_the_privacy_page_reads_in_both_languages(client: Any) -> None:
    assert "Wat we bewaren" in client.get("/privacy").text
    english = client.get("/privacy", headers={"accept-language": "en"})
    assert "What we keep" in english.text


def test_the_privacy_page_says_what_unsubscribing_and_mail_keep(client: Any) -> None:
    page = client.get("/privacy").text
    # an unsubscribed address is kept to honour it, sent mails a month, a confirmation link two days
    assert "zolang je afgemeld bent" in page and "30 dagen" in page and "twee dagen" in page
    english = client.get("/privacy", headers={"accept-language": "en"}).text
    assert "as long as you stay unsubscribed" in english and "30 days" in english and "two days" in english


def test_the_privacy_page_says_the_servers_log_holds_addresses_but_not_names(client: Any) -> None:
    assert "IP-adres" in client.get("/privacy").text
    assert "IP address" in client.get("/privacy", headers={"accept-language": "en"}).text


def test_the_day_names_were_removed_is_the_dutch_day(facilitator: Facilitator, join: Any) -> None:
    workshop, _, _ = _room(facilitator, join, title="Na middernacht")

    def removed_late(db: Any) -> None:
        # half past eleven in UTC is half past twelve in Amsterdam: the next day there
        db.get(Workshop, workshop.id).anonymised_at = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)

    _db(facilitator).write_sync(removed_late)
    page = facilitator.http.get("/f/privacy")
    assert "namen verwijderd op 7 december 2026" in page.text


def test_a_stored_moment_falls_on_its_dutch_day_whatever_the_servers_clock(monkeypatch: Any) -> None:
    # a server whose clock keeps Kiribati's time (UTC+14) must not read SQLite's timezone-less moments by it
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    try:
        assert local_day(datetime(2026, 12, 6, 5, 0)) == date(2026, 12, 6)
        assert local_day(datetime(2026, 12, 6, 23, 30, tzinfo=UTC)) == date(2026, 12, 7)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_an_owners_report_on_an_anonymised_workshop_leaves_it_done_and_a_new_name_makes_it_due(
    facilitator: Facilitator, join: Any
) -> None:
    workshop, _, action_id = _room(facilitator, join, title="Oud")
    recent, _, recent_action = _room(facilitator, join, title="Recent")
    # another workshop's contact history says nothing about this one
    contact = {"title": "Terugbellen", "owner_organisation": "Schuldhulp", "contact_person": "Cor"}
    assert post(facilitator, recent, f"/actions/{recent_action}", contact).status_code == 200
    today = date(2026, 12, 4)
    _held(facilitator, workshop.id, today - timedelta(days=19 * 31))
    assert len(_db(facilitator).write_sync(lambda db: privacy.run_retention(db, today=today))) == 1
    owner = _db(facilitator).read_sync(
        lambda db: db.execute(select(Participant).where(col(Participant.workshop_id) == workshop.id)).scalar_one()
    )

    def report(db: Any) -> None:
        # the owner organisation's participant reports from Mijn afspraken: the history and the log hear of it
        review.report_between_sessions(
            db, action_id=action_id, status="bezig", note="Loopt", via="mijn_afspraken", participant=owner
        )

    def due_after_naming(contact: str) -> list[list[int]]:
        """The slices due tomorrow, once a member has made the old action's contact this."""
        named = {"title": "Terugbellen", "owner_organisation": "Schuldhulp", "contact_person": contact}
        assert post(facilitator, workshop, f"/actions/{action_id}", named).status_code == 200
        return _db(facilitator).read_sync(lambda db: privacy.due_in_slices(db, today=today + timedelta(days=1)))

    _db(facilitator).write_sync(report)
    assert _count(facilitator, Event, col(Event.workshop_id) == workshop.id) > 0
    due = _db(facilitator).read_sync(lambda db: privacy.due_in_slices(db, today=today + timedelta(days=1)))
    assert due == []
    # a name given after the period (a member names a contact again) makes it due at the next run; a contact named
    # and taken away again leaves the name in the history: still due
    assert due_after_naming("Bea de Vries") == [[workshop.id]]
    assert due_after_naming("") == [[workshop.id]]
    done = _db(facilitator).write_sync(lambda db: privacy.run_retention(db, today=today + timedelta(days=1)))
    assert [item["workshop_id"] for item in done] == [workshop.id]
    assert _db(facilitator).read_sync(lambda db: privacy.due_in_slices(db, today=today + timedelta(days=2))) == []


def test_the_retention_pass_says_in_the_history_of_each_action_with_a_contact_that_it_went(
    facilitator: Facilitator, join: Any
) -> None:
    workshop, _, with_contact = _room(facilitator, join, title="Oud")
    without = post(facilitator, workshop, "/actions", {"title": "Buurtkamer", "owner_organisation": "Welzijn"}).json()
    today = date(2026, 12, 4)
    _held(facilitator, workshop.id, today - timedelta(days=19 * 31))
    assert len(_db(facilitator).write_sync(lambda db: privacy.run_retention(db, today=today))) == 1
    page = facilitator.http.get(f"/f/acties/{with_contact}").text
    # the entry names no one: not the contact, not a member
    assert history(page)[0].startswith("Contactpersoon verwijderd na de bewaartermijn ")
    assert history(page)[0].endswith(" · systeem") and "Ali" not in page
    english = facilitator.http.get(f"/f/acties/{with_contact}", headers={"Accept-Language": "en"}).text
    assert history(english)[0].startswith("Contact removed after the retention period ")
    # an action that had no contact has nothing gone to tell
    assert history_kinds(facilitator.http.get(f"/f/acties/{without['id']}").text) == ["created"]
    # nor has a later run: the contact is gone already
    assert _db(facilitator).write_sync(lambda db: privacy.run_retention(db, today=today + timedelta(days=1))) == []
    assert history_kinds(facilitator.http.get(f"/f/acties/{with_contact}").text) == ["contact_expired", "created"]
