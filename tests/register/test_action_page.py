"""An action's own page: what was agreed, its history with who and when, editing it, and who may see and change it."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions import proposals
from app.actions import service as actions
from app.demo.driver import csrf_of
from app.models import CHANGE_KINDS, Action, ActionChange, Member, Organisation, Participant, local_today
from app.models import Facilitator as Account
from tests.actions.test_actions import board_actions, contribution
from tests.conftest import Facilitator, Workshop, receive_until
from tests.register.pages import agree, history, history_kinds, runtime_of, section, text_of


def edit(member: Facilitator, action_id: int, **fields: str) -> Any:
    """Post the action page's edit form with these fields changed and the rest as the page shows them."""
    page = member.http.get(f"/f/acties/{action_id}").text
    typed = form_values(page)
    typed.update(fields)
    return member.http.post(f"/f/acties/{action_id}", data={"csrf": member.csrf(), **typed}, follow_redirects=False)


def form_values(page: str) -> dict[str, str]:
    """The edit form's fields as the page fills them."""
    form = re.search(r'<form method="post" action="/f/acties/\d+" class="stack".*?</form>', page, re.S)
    assert form, "no edit form on the page"
    values = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input(?: type="\w+")? name="(\w+)" value="([^"]*)"', form.group(0))
    }
    for name, value in re.findall(r'<textarea name="(\w+)"[^>]*>(.*?)</textarea>', form.group(0), re.S):
        values[name] = html.unescape(value)
    selected = re.search(r'<option value="(\w+)" selected>', form.group(0))
    values["status"] = selected.group(1) if selected else ""
    values.pop("csrf", None)
    return values


def stored(member: Facilitator, action_id: int) -> Action:
    """The action as the database holds it."""

    def read(db: Session) -> Action:
        action = db.get(Action, action_id)
        assert action is not None
        return action

    return runtime_of(member).db.read_sync(read)


def test_the_page_shows_what_was_agreed_by_whom_and_where(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop, name="Ali", organisation="Schuldhulp Noord")
    obstacle, pledge = contribution(facilitator, workshop, phone)
    facilitator.go(workshop, "actions")
    past = date.today() - timedelta(days=9)
    action = agree(
        facilitator,
        workshop,
        description="Binnen een week bellen we terug.",
        partners=["Wijkteam Noord", "Gemeente Heerlen"],
        contact_person="Ali Yilmaz",
        due_on=past.isoformat(),
        contribution_id=pledge,
    )
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_json({"type": "volunteer", "action_id": action["id"], "joining": True})
        receive_until(ws, lambda frame: frame["type"] == "volunteer_ack")

    page = facilitator.http.get(f"/f/acties/{action['id']}")
    assert page.status_code == 200
    facts = text_of(section(page.text, "afspraak"))
    organisations = runtime_of(facilitator).db.read_sync(
        lambda db: {o.name: o.id for o in db.execute(select(Organisation)).scalars()}
    )
    assert f'href="/f/organisaties/{organisations["Schuldhulp Noord"]}"><bdi>Schuldhulp Noord</bdi></a>' in page.text
    assert f'href="/f/organisaties/{organisations["Wijkteam Noord"]}"><bdi>Wijkteam Noord</bdi></a>' in page.text
    for expected in (
        "Binnen een week bellen we terug.",
        "Samen met Wijkteam Noord, Gemeente Heerlen",
        "Contactpersoon Ali Yilmaz",
        "over de deadline",
        "Vrijwilligers Ali (Schuldhulp Noord)",
        "Obstakel Wachtlijsten",
        "Bijdrage Wij bellen binnen een week",
        "Afgesproken in Jeugdoverlast Noord",
    ):
        assert expected in facts, expected
    assert f'<time datetime="{past.isoformat()}">' in page.text
    assert f'href="/f/workshops/{workshop.id}"' in page.text
    assert f'href="/f/workshops/{workshop.id}/besluitenlijst"' in page.text
    assert obstacle  # the contribution's obstacle is what the page names
    assert history(page.text) and history(page.text)[0].startswith("Afgesproken met status open")


def test_a_due_date_still_ahead_or_a_finished_action_is_not_overdue(
    facilitator: Facilitator, workshop: Workshop
) -> None:
    ahead = agree(facilitator, workshop, due_on=(date.today() + timedelta(days=3)).isoformat())
    done = agree(facilitator, workshop, title="Klaar", due_on="2020-01-01", status="klaar")
    for action in (ahead, done):
        assert "over de deadline" not in facilitator.http.get(f"/f/acties/{action['id']}").text


def report_in_follow_up(facilitator: Facilitator, earlier: Workshop, join: Any, note: str) -> tuple[Workshop, Any]:
    """A follow-up that reviews the earlier workshop, and a phone in it, in the look-back step."""
    follow_up = facilitator.create_workshop(title="Vervolg Noord", format_key="vervolgsessie")
    response = facilitator.http.post(
        f"/f/workshops/{follow_up.id}/review/source",
        json={"review_of": earlier.id},
        headers={"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    phone = join(follow_up, name="Wim", organisation="Woonstichting Thuis")
    facilitator.go(follow_up, "stand")
    return follow_up, phone


def test_every_kind_of_change_is_in_the_history_newest_first_with_who_and_when(
    facilitator: Facilitator, colleague: Facilitator, workshop: Workshop, join: Any
) -> None:
    action = agree(facilitator, workshop, title="Huiskamer in de flat", partners=["Wijkteam"])
    action_id = action["id"]
    assert edit(colleague, action_id, title="Huiskamer in flat Zuid").status_code == 303
    assert edit(colleague, action_id, description="Elke dinsdag open.").status_code == 303
    assert edit(colleague, action_id, owner="Woonstichting Thuis").status_code == 303
    assert edit(colleague, action_id, partners="Wijkteam\nGemeente Heerlen").status_code == 303
    assert edit(colleague, action_id, contact="Carla de Wit").status_code == 303
    assert edit(colleague, action_id, due_on="2026-12-15").status_code == 303
    assert edit(colleague, action_id, status="bezig").status_code == 303

    follow_up, phone = report_in_follow_up(facilitator, workshop, join, note="Sleutel geregeld")
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_json({"type": "review", "action_id": action_id, "status": "vastgelopen", "note": "Sleutel geregeld"})
        receive_until(ws, lambda frame: frame["type"] == "review_ack")
    # a change nobody made by hand (a merge, a migration), at a known winter moment
    winter = datetime(2020, 1, 15, 10, 5, tzinfo=UTC)

    def by_the_system(db: Any) -> None:
        found = db.get(Action, action_id)
        actions.record_change(db, found, "contact", before="Carla de Wit", after="C. de Wit")
        actions.record_change(db, found, "contact_forgotten")
        actions.record_change(db, found, "contact_expired")
        db.flush()
        latest = db.execute(select(ActionChange).order_by(col(ActionChange.id).desc()).limit(3)).scalars()
        for change, at in zip(latest, (winter + timedelta(days=2), winter + timedelta(days=1), winter), strict=True):
            change.at = at

    runtime_of(facilitator).db.write_sync(by_the_system)

    def proposed_and_declined(db: Any) -> None:
        # the owner's phone proposes a date after the one set, and Fenna declines it
        wim = db.execute(select(Participant).where(col(Participant.name) == "Wim")).scalar_one()
        day = max(local_today(), date(2026, 12, 16))
        proposals.propose_due_date(
            db,
            action_id=action_id,
            proposed_on=day,
            reason="Aannemer later",
            via="mijn_afspraken",
            today=local_today(),
            participant=wim,
        )
        fenna = db.execute(select(col(Account.id)).where(col(Account.email) == facilitator.email)).scalar_one()
        member = Member(account_id=fenna, workspace_id=db.get(Action, action_id).workspace_id, role="beheerder")
        proposals.decline_proposal(db, member=member, action_id=action_id, proposed_on=day)

    runtime_of(facilitator).db.write_sync(proposed_and_declined)
    withdrawn = facilitator.http.post(
        f"/f/acties/{action_id}/intrekken", data={"csrf": facilitator.csrf()}, follow_redirects=False
    )
    assert withdrawn.status_code == 303

    page = facilitator.http.get(f"/f/acties/{action_id}").text
    entries = history(page)
    kinds = history_kinds(page)
    assert set(kinds) == set(CHANGE_KINDS)
    # the system's changes are dated 2020
    assert kinds[0] == "deleted" and kinds[-4:] == ["created", "contact_expired", "contact_forgotten", "contact"]
    assert entries[0].startswith("Ingetrokken") and entries[0].endswith("Fenna")
    assert entries[1].startswith("Voorgestelde deadline afgewezen: ")
    assert entries[1].endswith("Fenna, op voorstel van Wim (Woonstichting Thuis)")
    assert entries[2].startswith("Nieuwe deadline voorgesteld: 15 december 2026 → ") and "Aannemer later" in entries[2]
    assert entries[2].endswith("Wim (Woonstichting Thuis), deelnemer van Vervolg Noord, via Mijn afspraken")
    assert entries[3].startswith("Terugblik in “Vervolg Noord”: bezig → vastgelopen Sleutel geregeld")
    assert entries[3].endswith("Wim (Woonstichting Thuis) via Vervolg Noord")
    assert entries[4].startswith("Status: open → bezig") and entries[4].endswith("Carla")
    assert entries[5].startswith("Deadline: geen → 15 december 2026")
    assert entries[6].startswith("Contactpersoon: geen → Carla de Wit")
    assert entries[7].startswith("Partners: Wijkteam → Wijkteam, Gemeente Heerlen")
    assert entries[8].startswith("Eigenaar: Schuldhulp Noord → Woonstichting Thuis")
    assert entries[9].startswith("Beschrijving aangepast") and "Wordt: Elke dinsdag open." in entries[9]
    assert entries[10].startswith("Titel: Huiskamer in de flat → Huiskamer in flat Zuid")
    assert entries[-4].startswith("Afgesproken met status open") and entries[-4].endswith("Fenna")
    assert entries[-3] == "Contactpersoon verwijderd na de bewaartermijn 17 januari 2020 om 11:05 · systeem"
    assert entries[-2] == "Contactpersoon verwijderd op eigen verzoek 16 januari 2020 om 11:05 · systeem"
    assert entries[-1] == "Contactpersoon: Carla de Wit → C. de Wit 15 januari 2020 om 11:05 · systeem"
    assert '<time datetime="2020-01-15T11:05+01:00">' in page


def test_history_times_are_on_the_dutch_clock_in_summer_too(facilitator: Facilitator, workshop: Workshop) -> None:
    action_id = agree(facilitator, workshop)["id"]

    def in_summer(db: Any) -> None:
        db.execute(select(ActionChange).where(ActionChange.action_id == action_id)).scalar_one().at = datetime(
            2026, 7, 1, 22, 30, tzinfo=UTC
        )

    runtime_of(facilitator).db.write_sync(in_summer)
    (entry,) = history(facilitator.http.get(f"/f/acties/{action_id}").text)
    assert entry == "Afgesproken met status open 2 juli 2026 om 00:30 · Fenna"


def test_a_review_entered_on_the_board_is_the_members(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    action_id = agree(facilitator, workshop)["id"]
    follow_up, _ = report_in_follow_up(facilitator, workshop, join, note="")
    response = facilitator.http.post(
        f"/f/workshops/{follow_up.id}/review/{action_id}",
        json={"status": "klaar", "note": "Afgerond, zegt de eigenaar"},
        headers={"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    latest = history(facilitator.http.get(f"/f/acties/{action_id}").text)[0]
    assert latest.startswith("Terugblik in “Vervolg Noord”: open → klaar Afgerond, zegt de eigenaar")
    assert latest.endswith("· Fenna")


def test_editing_saves_through_the_board_keeps_the_obstacle_and_tells_the_screens(
    facilitator: Facilitator, colleague: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop, name="Ali", organisation="Schuldhulp Noord")
    obstacle, pledge = contribution(facilitator, workshop, phone)
    facilitator.go(workshop, "actions")
    action_id = agree(facilitator, workshop, contribution_id=pledge)["id"]
    with phone.connect() as ws:
        ws.receive_json()
        response = edit(colleague, action_id, status="bezig", due_on="2027-01-31", partners="Wijkteam\n\n Wijkteam ")
        assert response.status_code == 303
        assert response.headers["location"] == f"/f/acties/{action_id}?gedaan=opgeslagen"
        frame = receive_until(ws, lambda frame: frame.get("kind") == "action.saved")
        assert frame["data"]["status"] == "bezig" and frame["data"]["due_on"] == "2027-01-31"
    action = stored(facilitator, action_id)
    assert (action.obstacle_id, action.contribution_id) == (obstacle, pledge)  # not shown on the form, not lost
    assert [a["partners"] for a in board_actions(facilitator, workshop)] == [["Wijkteam"]]
    page = colleague.http.get(f"/f/acties/{action_id}?gedaan=opgeslagen").text
    assert "Opgeslagen." in page
    kinds = history_kinds(page)
    assert kinds == ["status", "due_on", "partners", "created"]
    assert all(entry.endswith("Carla") for entry in history(page)[:3])


LONG = "x" * 201


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": "   "}, "title", "Geef de actie een titel."),
        ({"title": LONG}, "title", "Te lang: hoogstens 200 tekens, nu 201."),
        ({"owner": ""}, "owner", "Welke organisatie is eigenaar van deze actie?"),
        ({"contact": "c" * 121}, "contact", "Te lang: hoogstens 120 tekens, nu 121."),
        ({"description": "d" * 2001}, "description", "Te lang: hoogstens 2000 tekens, nu 2001."),
        ({"partners": "\n".join(f"Partner {i}" for i in range(21))}, "partners", "Hoogstens 20 partners"),
        ({"partners": "Wijkteam\n" + "p" * 121}, "partners", "Te lang: hoogstens 120 tekens, nu 121."),
        ({"due_on": "2026-02-30"}, "due_on", "Deze datum klopt niet: gebruik jjjj-mm-dd"),
        ({"due_on": "30-12-2026"}, "due_on", "Deze datum klopt niet: gebruik jjjj-mm-dd"),
        ({"due_on": "9999-12-31"}, "due_on", "Kies een datum tussen 2000 en 2099."),
        ({"status": "misschien"}, "status", "Kies een status: open, bezig, klaar of vastgelopen."),
    ],
)
def test_bad_input_comes_back_with_its_message_and_everything_typed(
    facilitator: Facilitator, workshop: Workshop, fields: dict[str, str], field: str, message: str
) -> None:
    action_id = agree(facilitator, workshop, title="Buurtapp", contact_person="Piet")["id"]
    typed = {
        "title": "Buurtapp <voor> iedereen",
        "description": 'Met "quotes" & regels\nen nog één',
        "owner": "Gemeente Heerlen",
        "partners": "Wijkteam\nPolitie",
        "contact": "Fatima",
        "due_on": "2026-12-06",
        "status": "bezig",
        **fields,
    }
    response = edit(facilitator, action_id, **typed)
    assert response.status_code == 422
    error = re.search(rf'<p class="field-error" id="error-{field}">([^<]*)</p>', response.text)
    assert error and html.unescape(error.group(1)).startswith(message)
    assert f'aria-describedby="error-{field}"' in response.text
    shown = form_values(response.text)
    for name, value in typed.items():
        if name == "status" and value not in ("open", "bezig", "klaar", "vastgelopen"):
            assert shown[name] == ""  # no option to select; the message says which there are
        else:
            assert shown[name].replace("\r\n", "\n") == value, name
    action = stored(facilitator, action_id)
    assert (action.title, action.contact_person, action.status) == ("Buurtapp", "Piet", "open")
    assert history_kinds(response.text) == ["created"]


def test_a_form_opened_before_someone_elses_change_is_not_saved_over_it(
    facilitator: Facilitator, colleague: Facilitator, workshop: Workshop
) -> None:
    action_id = agree(facilitator, workshop)["id"]
    opened = form_values(colleague.http.get(f"/f/acties/{action_id}").text)
    assert edit(facilitator, action_id, status="klaar").status_code == 303
    stale = colleague.http.post(
        f"/f/acties/{action_id}",
        data={"csrf": colleague.csrf(), **opened, "contact": "Carla"},
        follow_redirects=False,
    )
    assert stale.status_code == 409
    assert "Intussen heeft iemand anders deze actie gewijzigd." in stale.text
    assert form_values(stale.text)["contact"] == "Carla"
    assert stored(facilitator, action_id).status == "klaar"
    # saving again is a choice made with the newer history in view
    again = colleague.http.post(
        f"/f/acties/{action_id}",
        data={"csrf": colleague.csrf(), **form_values(stale.text)},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert (stored(facilitator, action_id).contact_person, stored(facilitator, action_id).status) == ("Carla", "open")


def test_withdrawing_keeps_the_page_without_a_form_and_takes_it_off_the_board(
    facilitator: Facilitator, workshop: Workshop
) -> None:
    action_id = agree(facilitator, workshop)["id"]
    page = facilitator.http.get(f"/f/acties/{action_id}").text
    assert "Ja, trek deze actie in" in page  # behind the "Actie intrekken" summary: a second press confirms
    response = facilitator.http.post(
        f"/f/acties/{action_id}/intrekken", data={"csrf": facilitator.csrf()}, follow_redirects=False
    )
    assert response.status_code == 303
    page = facilitator.http.get(response.headers["location"]).text
    assert "De actie is ingetrokken." in page and "badge withdrawn" in page
    assert 'action="/f/acties/' not in page
    assert board_actions(facilitator, workshop) == []
    again = facilitator.http.post(
        f"/f/acties/{action_id}", data={"csrf": facilitator.csrf(), "title": "X", "owner": "Y", "status": "open"}
    )
    assert again.status_code == 409
    assert "ingetrokken" in again.text
    twice = facilitator.http.post(f"/f/acties/{action_id}/intrekken", data={"csrf": facilitator.csrf()})
    assert twice.status_code == 404


def test_beheerder_and_facilitator_edit_a_meekijker_reads_only(
    facilitator: Facilitator, colleague: Facilitator, onlooker: Facilitator, workshop: Workshop
) -> None:
    action_id = agree(facilitator, workshop)["id"]
    for member in (facilitator, colleague):
        page = member.http.get(f"/f/acties/{action_id}")
        assert page.status_code == 200 and f'action="/f/acties/{action_id}"' in page.text
    assert edit(facilitator, action_id, status="bezig").status_code == 303
    assert edit(colleague, action_id, status="klaar").status_code == 303

    page = onlooker.http.get(f"/f/acties/{action_id}")
    assert page.status_code == 200
    assert "Terugbelbelofte" in page.text and len(history(page.text)) == 3
    assert 'action="/f/acties/' not in page.text and "wijzigen kan niet" in page.text
    csrf = onlooker.csrf()
    form = {"csrf": csrf, "title": "Overgenomen", "owner": "Mees BV", "status": "open", "seen": ""}
    assert onlooker.http.post(f"/f/acties/{action_id}", data=form).status_code == 403
    assert onlooker.http.post(f"/f/acties/{action_id}/intrekken", data={"csrf": csrf}).status_code == 403
    action = stored(facilitator, action_id)
    assert (action.title, action.status, action.deleted_at) == ("Terugbelbelofte", "klaar", None)


def test_another_workspace_finds_nothing_and_a_stranger_is_sent_to_sign_in(
    facilitator: Facilitator, other_facilitator: Facilitator, workshop: Workshop, browser: Any
) -> None:
    action_id = agree(facilitator, workshop)["id"]
    csrf = other_facilitator.csrf()
    form = {"csrf": csrf, "title": "Overgenomen", "owner": "Elders", "status": "open", "seen": ""}
    assert other_facilitator.http.get(f"/f/acties/{action_id}").status_code == 404
    assert other_facilitator.http.post(f"/f/acties/{action_id}", data=form).status_code == 404
    assert other_facilitator.http.post(f"/f/acties/{action_id}", data={**form, "title": ""}).status_code == 404
    assert other_facilitator.http.post(f"/f/acties/{action_id}/intrekken", data={"csrf": csrf}).status_code == 404
    assert other_facilitator.http.get("/f/acties/999999").status_code == 404
    assert stored(facilitator, action_id).title == "Terugbelbelofte"

    stranger = browser()
    response = stranger.get(f"/f/acties/{action_id}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/f/login?next=/f/acties/{action_id}"
    token = csrf_of(stranger.get("/f/login").text)
    posted = stranger.post(f"/f/acties/{action_id}", data={**form, "csrf": token}, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"].startswith("/f/login")
    assert stored(facilitator, action_id).title == "Terugbelbelofte"


def test_the_page_and_its_history_read_in_english_too(
    facilitator: Facilitator, colleague: Facilitator, workshop: Workshop
) -> None:
    action_id = agree(facilitator, workshop, due_on="2026-12-06")["id"]
    assert edit(colleague, action_id, status="bezig", due_on="2027-01-31").status_code == 303
    page = facilitator.http.get(f"/f/acties/{action_id}", headers={"Accept-Language": "en"}).text
    entries = history(page)
    assert entries[0].startswith("Status: open → in progress") and entries[0].endswith("Carla")
    assert entries[1].startswith("Deadline: 6 December 2026 → 31 January 2027")
    assert entries[2].startswith("Agreed with status open")
    assert "History" in page and "Save changes" in page and "Geschiedenis" not in page
