"""A participant's own page and calendar file, from the personal link."""

import json
from typing import Any

from icalendar import Calendar

from tests.actions.test_actions import contribution
from tests.clusters.test_clusters import post
from tests.conftest import Facilitator, Workshop, receive_until


def personal_link(phone: Any) -> str:
    with phone.connect() as ws:
        return ws.receive_json()["link"]  # type: ignore[no-any-return]


def test_my_agreements_lists_what_i_said_joined_and_when_we_meet(
    facilitator: Facilitator, workshop: Workshop, join: Any, browser: Any
) -> None:
    phone, other = join(workshop, name="Ali", organisation="Schuldhulp"), join(workshop, name="Bo")
    obstacle, pledge = contribution(facilitator, workshop, phone)
    mine = post(
        facilitator,
        workshop,
        "/actions",
        {"title": "Terugbellen", "owner_organisation": "Schuldhulp", "due_on": "2026-12-20", "contribution_id": pledge},
    ).json()
    post(
        facilitator,
        workshop,
        "/actions",
        {"title": "Niet van mij", "owner_organisation": "GGD", "due_on": "2026-12-24"},
    )
    post(facilitator, workshop, "/followup", {"at": "2026-12-06T19:30", "place": "Buurthuis <De Ster>"})
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(json.dumps({"type": "volunteer", "action_id": mine["id"], "joining": True}))
        receive_until(ws, lambda f: f["type"] == "volunteer_ack")
    link = personal_link(phone)
    assert link.startswith("/m/") and len(link) > 30
    # the link works without the phone's cookie: another device, later
    page = browser().get(link)
    assert page.status_code == 200
    for text in (
        "Terugbellen",
        "Wachtlijsten",
        "Wij bellen binnen een week",
        "zondag 6 december 2026 om 19:30",
        "20 december 2026",
        "Buurthuis &lt;De Ster&gt;",
    ):
        assert text in page.text
    assert "2026-12-06" not in page.text and "2026-12-20" not in page.text  # dates in words, as on every page
    assert "Niet van mij" not in page.text
    calendar = Calendar.from_ical(browser().get(f"{link}/vervolg.ics").content)
    summaries = sorted(str(event.get("summary")) for event in calendar.walk("VEVENT"))
    assert len(summaries) == 2 and any("Terugbellen" in s for s in summaries)
    assert not any("Niet van mij" in s for s in summaries)
    assert personal_link(other) != link


def test_an_unknown_personal_link_is_a_clear_404(client: Any) -> None:
    response = client.get("/m/raden-heeft-geen-zin")
    assert response.status_code == 404 and "persoonlijke link" in response.text
    assert client.get("/m/raden-heeft-geen-zin/vervolg.ics").status_code == 404


def test_my_name_and_organisation_each_read_in_their_own_direction(workshop: Workshop, join: Any, browser: Any) -> None:
    name, organisation = "مريم الحسيني", "جمعية الإسكان"
    both = browser().get(personal_link(join(workshop, name=name, organisation=organisation))).text
    # each part isolated, as the phone's header has them; each on lines of its own and shown whole, so no title
    # needs to carry what a clamp cut off
    assert f'<p class="muted me-parts"><bdi class="wrap">{name}</bdi><bdi class="wrap">{organisation}</bdi></p>' in both
