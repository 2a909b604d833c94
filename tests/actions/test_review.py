"""The follow-up's look back: what moved since the room last looked at each action, reports between the sessions
included, and where a selection came from."""

import re
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import col

from app.actions import service as actions
from app.demo.driver import csrf_of
from app.models import LOCAL_TIMEZONE, ActionChange, Workshop, local_day, utcnow
from tests.conftest import Facilitator
from tests.conftest import Workshop as Created
from tests.notify.conftest import Network, build_network, database, sign_in
from tests.notify.test_reports import queue_reminders, status_links


@pytest.fixture
def network(client: TestClient) -> Network:
    """The people around one action ("Huiskamer in de flat", Cor its contact), its session held today."""
    db = database(client)
    network: Network = db.write_sync(build_network)

    def held_today(tx: Any) -> None:
        # the tests' clock is the real one: the session was held on its day
        tx.get(Workshop, network.workshop_id).held_on = local_day(utcnow())

    db.write_sync(held_today)
    return network


@pytest.fixture
def bea(client: TestClient, network: Network) -> Facilitator:
    """The facilitator who ran the session, signed in."""
    sign_in(client, "bea@a.nl")
    return Facilitator(http=client, email="bea@a.nl")


def agree(client: TestClient, network: Network, title: str, status: str = "open") -> int:
    """One more action of the session, owned by Woonstichting."""

    def save(tx: Any) -> int:
        view = actions.save_action(
            tx, workshop_id=network.workshop_id, title=title, owner_organisation="Woonstichting", status=status
        )
        return int(view["id"])

    return int(database(client).write_sync(save))


def follow_up(bea: Facilitator, title: str) -> Created:
    """A follow-up made on the workshops page, held today: it looks back on the latest session with actions."""
    data = {
        "csrf": bea.csrf(),
        "title": title,
        "opgave": "Wat is er sinds de vorige keer gebeurd?",
        "held_on": local_day(utcnow()).isoformat(),
        "format_key": "vervolgsessie",
    }
    response = bea.http.post("/f/workshops", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    workshop_id = int(response.headers["location"].rsplit("/", 1)[1])
    return Created(id=workshop_id, code="", projector_token="", owner=bea, format_key="vervolgsessie")


def report_on_mijn_afspraken(client: TestClient, network: Network, action_id: int, status: str, note: str) -> None:
    """Olga (Woonstichting, the owner) reports from her personal page, as its form does."""
    page = f"/m/{network.links['owner']}"
    token = csrf_of(client.get(page).text)
    response = client.post(
        f"{page}/acties/{action_id}/status",
        data={"csrf": token, "status": status, "note": note},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def press_in_the_reminder(client: TestClient, status: str) -> None:
    """Cor, the contact, presses a status button in his reminder and confirms it."""
    queue_reminders(client)
    link = status_links(database(client), "cor@bieb.nl")[status]
    confirm = client.get(link)
    done = client.post(link.split("?")[0], data={"csrf": csrf_of(confirm.text), "status": status})
    assert done.status_code == 200, done.text


def looked_back(bea: Facilitator, workshop: Created) -> dict[str, Any]:
    """The follow-up's look back as the JSON API gives it."""
    response = bea.http.get(f"/api/workshops/{workshop.id}/review")
    assert response.status_code == 200, response.text
    return dict(response.json())


def summary(bea: Facilitator, workshop: Created, lang: str) -> str:
    """The count sentence of the besluitenlijst's look back, in this language."""
    bea.http.get(f"/taal/{lang}", follow_redirects=False)
    page = bea.http.get(f"/f/workshops/{workshop.id}/besluitenlijst").text
    found = re.search(r'<p class="review-summary">([^<]*)</p>', page)
    assert found, page
    return found[1]


def test_what_moved_between_the_sessions_shows_as_moved_without_reporting_it_again(
    client: TestClient, network: Network, bea: Facilitator
) -> None:
    huiskamer = network.action_id
    wijkagent = agree(client, network, "Wijkagent op school")
    buurtapp = agree(client, network, "Buurtapp opzetten")
    agree(client, network, "Flyers al rondgebracht", status="klaar")
    bea.go(Created(id=network.workshop_id, code="", projector_token="", owner=bea), "close")
    # between the sessions: a reminder's button, and Mijn afspraken
    press_in_the_reminder(client, "klaar")
    report_on_mijn_afspraken(client, network, wijkagent, "bezig", "Eerste gesprek met de school")

    review = looked_back(bea, follow_up(bea, "Vervolg Noord"))
    # the action done between the sessions is on the list: the room sees the win; one done in the session is not
    assert [(i["action_id"], i["before"], i["status"], i.get("moved"), i["reported"]) for i in review["items"]] == [
        (huiskamer, "open", "klaar", True, False),
        (wijkagent, "open", "bezig", True, False),
        (buurtapp, "open", "open", False, False),
    ]
    assert (review["source"], review["workshop_id"], review["moved"]) == ("workshop", network.workshop_id, 2)
    # what the owner wrote with it is read beside it
    assert [i["note"] for i in review["items"]] == ["", "Eerste gesprek met de school", ""]


def test_a_session_never_stepped_to_its_close_was_over_at_the_end_of_its_day(
    client: TestClient, network: Network, bea: Facilitator
) -> None:
    db = database(client)
    held = local_day(utcnow()) - timedelta(days=3)

    def held_three_days_ago(tx: Any) -> None:
        tx.get(Workshop, network.workshop_id).held_on = held
        moment = datetime.combine(held, time(20, 0), LOCAL_TIMEZONE)
        tx.execute(update(ActionChange).where(col(ActionChange.action_id) == network.action_id).values(at=moment))

    db.write_sync(held_three_days_ago)
    report_on_mijn_afspraken(client, network, network.action_id, "bezig", "")
    [item] = looked_back(bea, follow_up(bea, "Vervolg Noord"))["items"]
    assert (item["before"], item["status"], item["moved"]) == ("open", "bezig", True)


def test_a_win_between_a_morning_session_never_closed_and_an_afternoon_follow_up_shows_as_moved(
    client: TestClient, network: Network, bea: Facilitator
) -> None:
    # the morning's room (its people joined it) never stepped to its close; before the follow-up of the same
    # afternoon the owner reports the action done: the room has not seen that yet
    report_on_mijn_afspraken(client, network, network.action_id, "klaar", "De huiskamer is open")
    [item] = looked_back(bea, follow_up(bea, "Vervolg vanmiddag"))["items"]
    assert (item["before"], item["status"], item["moved"]) == ("open", "klaar", True)
    assert item["note"] == "De huiskamer is open"


def test_the_count_sentence_counts_the_moves_between_the_sessions_in_both_languages(
    client: TestClient, network: Network, bea: Facilitator
) -> None:
    agree(client, network, "Wijkagent op school")
    bea.go(Created(id=network.workshop_id, code="", projector_token="", owner=bea), "close")
    press_in_the_reminder(client, "klaar")
    workshop = follow_up(bea, "Vervolg Noord")
    assert summary(bea, workshop, "nl") == "1 van 2 afspraken zijn in beweging gekomen."
    assert summary(bea, workshop, "en") == "1 of 2 actions have got moving."
    markdown = bea.http.get(f"/f/workshops/{workshop.id}/export/besluitenlijst.md").text
    assert "| Huiskamer in de flat | Woonstichting | Open | **Done** | yes |" in markdown, markdown


def test_an_action_reviewed_twice_moves_from_where_the_last_follow_up_left_it(
    client: TestClient, network: Network, bea: Facilitator
) -> None:
    huiskamer = network.action_id
    wijkagent = agree(client, network, "Wijkagent op school")
    bea.go(Created(id=network.workshop_id, code="", projector_token="", owner=bea), "close")
    first = follow_up(bea, "Eerste vervolg")
    bea.go(first, "stand")
    # the facilitator notes what the owner says in the room
    reported = bea.http.post(
        f"/f/workshops/{first.id}/review/{huiskamer}",
        json={"status": "bezig", "note": "Sleutel opgehaald"},
        headers={"X-CSRF-Token": bea.csrf(), "Accept": "application/json"},
    )
    assert reported.status_code == 200, reported.text
    bea.go(first, "close")
    # after the first follow-up: done, and the other one started
    report_on_mijn_afspraken(client, network, huiskamer, "klaar", "Open sinds maandag")
    report_on_mijn_afspraken(client, network, wijkagent, "bezig", "")

    second = looked_back(bea, follow_up(bea, "Tweede vervolg"))
    assert [(i["action_id"], i["before"], i["status"], i["moved"], i["note"]) for i in second["items"]] == [
        (huiskamer, "bezig", "klaar", True, "Open sinds maandag"),
        (wijkagent, "open", "bezig", True, ""),
    ]
    # the first follow-up's record stands as it was when it closed
    earlier = looked_back(bea, first)
    assert [
        (i["action_id"], i["before"], i["status"], i["moved"], i["reported"], i["note"]) for i in earlier["items"]
    ] == [
        (huiskamer, "open", "bezig", True, True, "Sleutel opgehaald"),
        (wijkagent, "open", "open", False, False, ""),
    ]


def test_a_report_in_the_follow_up_still_counts_from_where_the_session_left_it(
    client: TestClient, network: Network, bea: Facilitator
) -> None:
    bea.go(Created(id=network.workshop_id, code="", projector_token="", owner=bea), "close")
    report_on_mijn_afspraken(client, network, network.action_id, "bezig", "")
    workshop = follow_up(bea, "Vervolg Noord")
    bea.go(workshop, "stand")
    headers = {"X-CSRF-Token": bea.csrf(), "Accept": "application/json"}
    url = f"/f/workshops/{workshop.id}/review/{network.action_id}"
    item = bea.http.post(url, json={"status": "vastgelopen", "note": ""}, headers=headers).json()
    assert (item["before"], item["status"], item["moved"], item["reported"]) == ("open", "vastgelopen", True, True)
    # set back to where the room last saw it: not moved after all
    item = bea.http.post(url, json={"status": "open", "note": ""}, headers=headers).json()
    assert (item["before"], item["status"], item["moved"]) == ("open", "open", False)
    assert looked_back(bea, workshop)["moved"] == 0


def test_a_selection_from_the_register_says_so(client: TestClient, network: Network, bea: Facilitator) -> None:
    workshop = follow_up(bea, "Vervolg Noord")
    # ticked in the register and sent to the follow-up, as its form does
    token = csrf_of(bea.http.get("/f/register").text)
    picked = bea.http.post(
        "/f/register/bespreken",
        data={"csrf": token, "followup": str(workshop.id), "action": str(network.action_id)},
        follow_redirects=False,
    )
    assert picked.status_code == 303, picked.text
    review = looked_back(bea, workshop)
    assert (review["source"], review["workshop_id"], review["title"], review["workshops"]) == ("register", None, "", 1)
    [item] = review["items"]
    assert (item["workshop_id"], item["workshop_title"]) == (network.workshop_id, "Jeugdoverlast Noord")
    page = bea.http.get(f"/f/workshops/{workshop.id}/besluitenlijst").text
    assert "Een selectie uit het register: afspraken uit 1 workshop." in page
    assert "Er is nog geen eerdere workshop gekozen" not in page


def test_a_look_back_on_a_session_that_finished_everything_says_so(
    client: TestClient, network: Network, bea: Facilitator
) -> None:
    def finish(tx: Any) -> None:
        actions.save_action(
            tx,
            workshop_id=network.workshop_id,
            action_id=network.action_id,
            title="Huiskamer in de flat",
            owner_organisation="Woonstichting",
            status="klaar",
        )

    database(client).write_sync(finish)
    bea.go(Created(id=network.workshop_id, code="", projector_token="", owner=bea), "close")
    workshop = follow_up(bea, "Vervolg Noord")
    assert looked_back(bea, workshop)["items"] == []
    # not "no open actions": an action finished since would be listed, so the list says why it is empty
    for lang, said in [
        ("nl", "Alle afspraken van die workshop waren de vorige keer al klaar."),
        ("en", "Every action of that workshop was already done last time."),
    ]:
        bea.http.get(f"/taal/{lang}", follow_redirects=False)
        assert said in bea.http.get(f"/f/workshops/{workshop.id}/besluitenlijst").text
        board = bea.http.get(f"/f/workshops/{workshop.id}").text
        assert said in board.replace("\\u00e9", "é"), "the board's and phones' script reads it from the page's config"
