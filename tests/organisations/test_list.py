"""The office's list of organisations: who reads and changes it, adding, changing, confirming, and what it counts."""

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.models import Action, ActionPartner, Organisation, OrganisationName, Participant
from tests.conftest import Facilitator, Workshop
from tests.organisations.conftest import Office, add_action, form, organisations_of

NEW = {"name": "Gemeente Heerlen", "short_name": "Gem. H", "aliases": "Gem Heerlen\nGemeente Hrl", "sector": "gemeente"}


def rows(page: str) -> list[str]:
    """The organisation names on the list page, in order."""
    return re.findall(r'class="organisation-name"><a href="/f/organisaties/\d+"><strong>([^<]+)</strong>', page)


def section(page: str, heading: str) -> str:
    """The part of the list page under a heading."""
    return page.split(f">{heading} <span", 1)[1].split("</section>", 1)[0]


# ---- who may do what


@pytest.mark.parametrize("role", ["beheerder", "facilitator", "meekijker"])
def test_every_member_reads_the_list(office: Office, role: str) -> None:
    form(office.beheerder, "/f/organisaties", NEW)
    page = office.by_role(role).http.get("/f/organisaties")
    assert page.status_code == 200
    assert rows(page.text) == ["Gemeente Heerlen"]
    # only a beheerder is offered the buttons that change it
    assert ("Organisatie toevoegen" in page.text) is (role == "beheerder")
    assert ('/bewerken"' in page.text) is (role == "beheerder")


def test_the_list_reads_numbers_in_names_as_numbers(office: Office) -> None:
    for name in ("Organisatie nummer 10", "organisatie nummer 2", "Ölfabriek", "Organisatie nummer 1"):
        form(office.beheerder, "/f/organisaties", {"name": name})
    listed = rows(office.beheerder.http.get("/f/organisaties").text)
    assert listed == ["Ölfabriek", "Organisatie nummer 1", "organisatie nummer 2", "Organisatie nummer 10"]


def test_signed_out_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/f/organisaties", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/f/login")
    assert client.post("/f/organisaties", data=NEW, follow_redirects=False).status_code in (303, 403)


@pytest.mark.parametrize("role", ["facilitator", "meekijker"])
def test_only_a_beheerder_changes_the_list(app: FastAPI, office: Office, role: str) -> None:
    form(office.beheerder, "/f/organisaties", {"name": "GGD Zuid-Limburg"})
    (ggd,) = organisations_of(app, office.workspace_id).values()
    member = office.by_role(role)
    assert form(member, "/f/organisaties", NEW).status_code == 403
    assert form(member, f"/f/organisaties/{ggd.id}/bewerken", {"name": "GGD"}).status_code == 403
    assert member.http.get(f"/f/organisaties/{ggd.id}/bewerken").status_code == 403
    assert form(member, f"/f/organisaties/{ggd.id}/bevestigen").status_code == 403
    assert form(member, f"/f/organisaties/{ggd.id}/samenvoegen", {"into": str(ggd.id)}).status_code == 403
    assert list(organisations_of(app, office.workspace_id)) == ["GGD Zuid-Limburg"]


def test_another_workspace_sees_and_reaches_none_of_it(
    app: FastAPI, office: Office, other_facilitator: Facilitator
) -> None:
    form(office.beheerder, "/f/organisaties", NEW)
    (heerlen,) = organisations_of(app, office.workspace_id).values()
    assert rows(other_facilitator.http.get("/f/organisaties").text) == []
    assert other_facilitator.http.get(f"/f/organisaties/{heerlen.id}/bewerken").status_code == 404
    assert form(other_facilitator, f"/f/organisaties/{heerlen.id}/bewerken", {"name": "Van mij"}).status_code == 404
    assert form(other_facilitator, f"/f/organisaties/{heerlen.id}/bevestigen").status_code == 404
    assert organisations_of(app, office.workspace_id)["Gemeente Heerlen"].name == "Gemeente Heerlen"


def test_a_form_without_its_csrf_token_is_refused(app: FastAPI, office: Office) -> None:
    response = office.beheerder.http.post("/f/organisaties", data=NEW, follow_redirects=False)
    assert response.status_code == 403
    assert organisations_of(app, office.workspace_id) == {}


# ---- adding


def test_adding_registers_every_name(app: FastAPI, office: Office) -> None:
    response = form(office.beheerder, "/f/organisaties", NEW)
    assert response.status_code == 303
    heerlen = organisations_of(app, office.workspace_id)["Gemeente Heerlen"]
    assert (heerlen.short_name, heerlen.aliases, heerlen.sector, heerlen.confirmed) == (
        "Gem. H",
        ["Gem Heerlen", "Gemeente Hrl"],
        "gemeente",
        True,
    )
    keys = app.state.runtime.db.read_sync(
        lambda db: set(
            db.execute(
                select(col(OrganisationName.key)).where(col(OrganisationName.organisation_id) == heerlen.id)
            ).scalars()
        )
    )
    assert keys == {"gemeente heerlen", "gem h", "gem heerlen", "gemeente hrl"}
    page = office.beheerder.http.get(response.headers["location"]).text
    assert "Opgeslagen: Gemeente Heerlen." in page


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"name": "  "}, "Vul de naam van de organisatie in."),
        ({"name": "x" * 121}, "De naam is te lang: hoogstens 120 tekens."),
        ({"name": "GGD", "short_name": "x" * 41}, "De korte naam is te lang: hoogstens 40 tekens."),
        (
            {"name": "GGD", "aliases": "\n".join(f"GGD {i}" for i in range(21))},
            "Hoogstens 20 andere namen; dit zijn er 21.",
        ),
        ({"name": "GGD", "aliases": "y" * 121}, "Een andere naam is te lang (hoogstens 120 tekens)"),
        ({"name": "GGD", "sector": "ruimtevaart"}, "Deze sector kennen we niet."),
        ({"name": "GGD", "short_name": "!!"}, "heeft geen letters of cijfers"),
    ],
)
def test_bad_fields_are_refused_and_what_was_typed_stays(
    app: FastAPI, office: Office, fields: dict[str, str], says: str
) -> None:
    response = form(office.beheerder, "/f/organisaties", fields)
    assert response.status_code == 422
    assert says in response.text.replace("&#39;", "'")
    assert f'value="{fields["name"].strip()}"' in response.text or not fields["name"].strip()
    assert organisations_of(app, office.workspace_id) == {}


def test_twenty_aliases_are_fine_and_repeats_are_kept_once(app: FastAPI, office: Office) -> None:
    aliases = "\n".join([*(f"GGD {i}" for i in range(20)), "", "ggd 3", "GGD Zuid"])
    assert form(office.beheerder, "/f/organisaties", {"name": "GGD Zuid", "aliases": aliases}).status_code == 303
    assert organisations_of(app, office.workspace_id)["GGD Zuid"].aliases == [f"GGD {i}" for i in range(20)]


def test_a_name_of_another_organisation_is_refused_naming_it(app: FastAPI, office: Office) -> None:
    form(office.beheerder, "/f/organisaties", NEW)
    for fields in ({"name": "gemeente heerlen!"}, {"name": "Heerlen", "aliases": "Politie\ngem. heerlen"}):
        response = form(office.beheerder, "/f/organisaties", fields)
        assert response.status_code == 409
        assert "is al een naam van Gemeente Heerlen" in response.text
        # a new one has nothing to merge yet: the organisation meant is on the list already
        assert "Voeg de twee samen" not in response.text
        assert "Die staat dus al op de lijst." in response.text
    assert list(organisations_of(app, office.workspace_id)) == ["Gemeente Heerlen"]


# ---- the list


def test_new_names_come_first_with_their_count_and_every_use_is_counted(
    app: FastAPI, office: Office, join: Callable[..., Any]
) -> None:
    form(office.beheerder, "/f/organisaties", {"name": "Gemeente Heerlen", "short_name": "GH"})
    workshop = office.beheerder.create_workshop()
    join(workshop, "Ali", "gemeente heerlen")
    join(workshop, "Bea", "GH")
    join(workshop, "Cas", "Buurtteam Noord")
    join(workshop, "Dirk", "Zorggroep")
    add_action(office.beheerder, workshop.id, "Gemeente Heerlen", ["Buurtteam Noord", "Woonstichting"])
    add_action(office.beheerder, workshop.id, "Buurtteam Noord", ["gh"])
    withdrawn = add_action(office.beheerder, workshop.id, "Gemeente Heerlen")
    office.beheerder.http.post(
        f"/f/workshops/{workshop.id}/actions/{withdrawn['id']}/delete",
        headers={"X-CSRF-Token": office.beheerder.csrf(), "Accept": "application/json"},
    )

    page = office.meekijker.http.get("/f/organisaties").text
    assert rows(page) == ["Buurtteam Noord", "Woonstichting", "Zorggroep", "Gemeente Heerlen"]
    assert 'Nieuw <span class="badge new">3</span>' in page
    assert 'Bevestigd <span class="badge">1</span>' in page

    def counts(name: str) -> list[str]:
        row = page.split(f"<strong>{name}</strong>", 1)[1].split("</li>", 1)[0]
        return re.findall(r'organisation-count"><strong>(\d+)</strong>', row)

    # participants, actions owned, actions shared; a withdrawn action does not count
    assert counts("Gemeente Heerlen") == ["2", "1", "1"]
    assert counts("Buurtteam Noord") == ["1", "1", "1"]
    assert counts("Woonstichting") == ["0", "0", "1"]
    assert counts("Zorggroep") == ["1", "0", "0"]

    def labels(page: str, name: str) -> list[str]:
        row = page.split(f"<strong>{name}</strong>", 1)[1].split("</li>", 1)[0]
        return re.findall(r'count-label">([^<]+)</span>', row)

    # one of a thing is named in the singular, in both languages
    assert labels(page, "Buurtteam Noord") == ["deelnemer", "actie als eigenaar", "actie als partner"]
    assert labels(page, "Gemeente Heerlen") == ["deelnemers", "actie als eigenaar", "actie als partner"]
    assert labels(page, "Woonstichting") == ["deelnemers", "acties als eigenaar", "actie als partner"]
    english = office.meekijker.http.get("/f/organisaties", headers={"Accept-Language": "en"}).text
    assert labels(english, "Buurtteam Noord") == ["participant", "action as owner", "action as partner"]
    assert labels(english, "Woonstichting") == ["participants", "actions as owner", "action as partner"]


def test_filter_by_words_and_sector(office: Office) -> None:
    for fields in (
        {"name": "Gemeente Heerlen", "sector": "gemeente"},
        {"name": "GGD Zuid-Limburg", "sector": "zorg en welzijn"},
        {"name": "Zuyderland", "aliases": "Zuyderland Medisch Centrum", "sector": "zorg en welzijn"},
        {"name": "Politie Limburg"},
    ):
        assert form(office.beheerder, "/f/organisaties", fields).status_code == 303
    get = office.facilitator.http.get
    assert rows(get("/f/organisaties", params={"q": "gem hee"}).text) == ["Gemeente Heerlen"]
    assert rows(get("/f/organisaties", params={"q": "zuyderländ medi"}).text) == ["Zuyderland"]
    assert rows(get("/f/organisaties", params={"sector": "zorg en welzijn"}).text) == ["GGD Zuid-Limburg", "Zuyderland"]
    assert rows(get("/f/organisaties", params={"sector": "geen"}).text) == ["Politie Limburg"]
    assert rows(get("/f/organisaties", params={"q": "zuid", "sector": "zorg en welzijn"}).text) == ["GGD Zuid-Limburg"]
    assert "Geen organisaties bij dit filter." in get("/f/organisaties", params={"q": "brandweer"}).text
    assert get("/f/organisaties", params={"sector": "ruimtevaart"}).status_code == 422


# ---- changing


def test_renaming_reaches_participants_actions_and_partners(
    app: FastAPI, office: Office, join: Callable[..., Any]
) -> None:
    workshop = office.beheerder.create_workshop()
    join(workshop, "Ali", "gem heerlen")
    owned = add_action(office.beheerder, workshop.id, "Gem Heerlen")
    shared = add_action(office.beheerder, workshop.id, "Politie", ["gem. heerlen"])
    typed = organisations_of(app, office.workspace_id)["gem heerlen"]
    assert not typed.confirmed

    response = form(
        office.beheerder,
        f"/f/organisaties/{typed.id}/bewerken",
        {"name": "Gemeente Heerlen", "aliases": "gem heerlen", "sector": "gemeente"},
    )
    assert response.status_code == 303
    renamed = organisations_of(app, office.workspace_id)["Gemeente Heerlen"]
    assert (renamed.id, renamed.confirmed, renamed.aliases) == (typed.id, True, ["gem heerlen"])

    def shown(db: Any) -> tuple[Any, ...]:
        return (
            db.execute(select(col(Participant.organisation))).scalars().all(),
            db.get(Action, owned["id"]).owner_organisation,
            db.execute(select(col(ActionPartner.organisation))).scalars().all(),
        )

    assert app.state.runtime.db.read_sync(shown) == (["Gemeente Heerlen"], "Gemeente Heerlen", ["Gemeente Heerlen"])
    csv = office.beheerder.http.get(f"/f/workshops/{workshop.id}/export/actions.csv").text
    assert csv.count("Gemeente Heerlen") == 2
    assert "Gem Heerlen" not in csv
    assert "gem heerlen" not in csv
    assert (owned["owner"], shared["partners"]) == ("gem heerlen", ["gem heerlen"])
    # the old spelling still finds it when someone types it again
    join(workshop, "Bea", "Gem. Heerlen")
    assert list(organisations_of(app, office.workspace_id)) == ["Gemeente Heerlen", "Politie"]


def test_changing_to_a_taken_name_is_refused_and_the_form_keeps_what_was_typed(app: FastAPI, office: Office) -> None:
    form(office.beheerder, "/f/organisaties", {"name": "Politie Limburg", "short_name": "Politie"})
    form(office.beheerder, "/f/organisaties", {"name": "Gemeente Heerlen"})
    heerlen = organisations_of(app, office.workspace_id)["Gemeente Heerlen"]
    response = form(
        office.beheerder, f"/f/organisaties/{heerlen.id}/bewerken", {"name": "Gemeente Heerlen", "aliases": "politie"}
    )
    assert response.status_code == 409
    assert "‘politie’ is al een naam van Politie Limburg. Voeg de twee samen, of kies een andere naam." in response.text
    assert ">politie</textarea>" in response.text
    assert organisations_of(app, office.workspace_id)["Gemeente Heerlen"].aliases == []
    # its own names are no conflict: saving them again is fine
    assert (
        form(office.beheerder, f"/f/organisaties/{heerlen.id}/bewerken", {"name": "gemeente heerlen"}).status_code
        == 303
    )


def test_editing_a_missing_organisation_or_a_huge_id(office: Office) -> None:
    assert office.beheerder.http.get("/f/organisaties/999/bewerken").status_code == 404
    assert form(office.beheerder, "/f/organisaties/999/bewerken", {"name": "X"}).status_code == 404
    assert office.beheerder.http.get(f"/f/organisaties/{10**30}/bewerken").status_code == 422


def test_confirming_moves_a_name_out_of_new(
    app: FastAPI, office: Office, workshop: Workshop, join: Callable[..., Any]
) -> None:
    join(workshop, "Ali", "Buurtteam Noord")
    typed = organisations_of(app, office.workspace_id)["Buurtteam Noord"]
    assert not typed.confirmed
    response = form(office.beheerder, f"/f/organisaties/{typed.id}/bevestigen")
    assert response.status_code == 303
    assert organisations_of(app, office.workspace_id)["Buurtteam Noord"].confirmed
    page = office.beheerder.http.get(response.headers["location"]).text
    assert 'Nieuw <span class="badge new">0</span>' in page
    assert "Buurtteam Noord" in section(page, "Bevestigd")


def test_two_organisations_kept_apart_when_keys_began_to_fold_accents_are_marked_and_merge(
    app: FastAPI, office: Office, join: Callable[..., Any]
) -> None:
    form(office.beheerder, "/f/organisaties", {"name": "Sudwest"})

    def kept_apart(db: Any) -> None:
        """Südwest as migration 0014 leaves it beside Sudwest: its old key, with the accent."""
        organisation = Organisation(workspace_id=office.workspace_id, name="Südwest", key="südwest", confirmed=True)
        db.add(organisation)
        db.flush()
        db.add(OrganisationName(workspace_id=office.workspace_id, key="südwest", organisation_id=organisation.id))

    app.state.runtime.db.write_sync(kept_apart)
    by_name = organisations_of(app, office.workspace_id)
    page = office.beheerder.http.get("/f/organisaties").text
    marks = re.findall(r'class="organisation-same small wrap">([^<]+)<', page)
    assert [html.unescape(mark) for mark in marks] == [
        "Dezelfde naam als ‘Südwest’: dubbel? Voeg ze samen via Bewerken.",
        "Dezelfde naam als ‘Sudwest’: dubbel? Voeg ze samen via Bewerken.",
    ]
    assert "organisation-same" not in office.meekijker.http.get("/f/organisaties").text
    # saving the one with the old key says which organisation has its name
    refused = form(office.beheerder, f"/f/organisaties/{by_name['Südwest'].id}/bewerken", {"name": "Südwest"})
    assert refused.status_code == 409 and "‘Südwest’ is al een naam van Sudwest" in refused.text
    merged = form(
        office.beheerder,
        f"/f/organisaties/{by_name['Südwest'].id}/samenvoegen",
        {"into": str(by_name["Sudwest"].id)},
    )
    assert merged.status_code == 303
    assert list(organisations_of(app, office.workspace_id)) == ["Sudwest"]
    assert "organisation-same" not in office.beheerder.http.get("/f/organisaties").text
    workshop = office.beheerder.create_workshop()
    join(workshop, "Ali", "SÜDWEST")
    assert list(organisations_of(app, office.workspace_id)) == ["Sudwest"]


def test_two_names_that_fold_to_nothing_are_not_marked_as_the_same(app: FastAPI, office: Office) -> None:
    def kept(db: Any) -> None:
        """Names of a sign that folded to itself until 0014 and folds to nothing since: 0014 left their keys."""
        for name in ("ͺ", "ﹰ"):
            organisation = Organisation(workspace_id=office.workspace_id, name=name, key=name, confirmed=True)
            db.add(organisation)
            db.flush()
            db.add(OrganisationName(workspace_id=office.workspace_id, key=name, organisation_id=organisation.id))

    app.state.runtime.db.write_sync(kept)
    page = office.beheerder.http.get("/f/organisaties").text
    assert "ﹰ" in page and "organisation-same" not in page
