"""Two beheerders change one organisation: the second save, from a form filled before the first, is refused (409)
with what changed shown and everything typed kept, rather than silently undoing the first."""

import html
import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Facilitator
from tests.organisations.conftest import Office, add_member, form, organisations_of


def seen_of(page: str) -> str:
    """The edit form's hidden "seen": what it was filled from."""
    found = re.search(r'<input type="hidden" name="seen" value="([^"]*)">', page)
    assert found is not None, page
    return html.unescape(found.group(1))


def opened(member: Facilitator, organisation_id: int) -> str:
    """Open an organisation's edit page; its form's seen."""
    page = member.http.get(f"/f/organisaties/{organisation_id}/bewerken")
    assert page.status_code == 200
    return seen_of(page.text)


def test_a_save_over_a_change_made_meanwhile_is_refused_showing_it_and_keeping_what_was_typed(
    app: FastAPI, office: Office, browser: Callable[[], TestClient]
) -> None:
    form(office.beheerder, "/f/organisaties", {"name": "Gemeente Heerlen", "aliases": "Gem. Heerlen"})
    heerlen = organisations_of(app, office.workspace_id)["Gemeente Heerlen"]
    path = f"/f/organisaties/{heerlen.id}/bewerken"
    colleague = add_member(
        app, browser, email="bram@buurtalliantie.nl", workspace_id=office.workspace_id, role="beheerder"
    )
    mine, theirs = opened(office.beheerder, heerlen.id), opened(colleague, heerlen.id)
    saved = form(
        colleague, path, {"name": "Gemeente Heerlen", "aliases": "Gem. Heerlen", "sector": "gemeente", "seen": theirs}
    )
    assert saved.status_code == 303
    typed = {"name": "Gemeente Heerlen & Co", "short_name": "GH", "aliases": "Gem. Heerlen\nHeerlen", "sector": ""}
    refused = form(office.beheerder, path, {**typed, "seen": mine})
    assert refused.status_code == 409
    assert "Intussen heeft iemand anders deze organisatie gewijzigd" in refused.text
    changes = refused.text.split('changed-meanwhile">', 1)[1].split("</div>", 1)[0]
    assert "Sector" in changes and "Gemeente" in changes and "Naam" not in changes
    # everything typed is in the form again
    assert 'name="name" value="Gemeente Heerlen &amp; Co"' in refused.text
    assert 'name="short_name" value="GH"' in refused.text
    assert ">Gem. Heerlen\nHeerlen</textarea>" in refused.text
    stored = organisations_of(app, office.workspace_id)["Gemeente Heerlen"]
    assert (stored.sector, stored.short_name) == ("gemeente", "")
    # the refused page's form knows the change now: sent again as it stands, it is saved
    again = form(office.beheerder, path, {**typed, "seen": seen_of(refused.text)})
    assert again.status_code == 303
    stored = organisations_of(app, office.workspace_id)["Gemeente Heerlen & Co"]
    assert (stored.sector, stored.short_name, stored.aliases) == (None, "GH", ["Gem. Heerlen", "Heerlen"])


def test_a_form_refused_for_another_reason_keeps_what_it_was_filled_from(app: FastAPI, office: Office) -> None:
    form(office.beheerder, "/f/organisaties", {"name": "GGD"})
    ggd = organisations_of(app, office.workspace_id)["GGD"]
    path = f"/f/organisaties/{ggd.id}/bewerken"
    mine = opened(office.beheerder, ggd.id)
    empty = form(office.beheerder, path, {"name": "", "seen": mine})
    assert empty.status_code == 422 and seen_of(empty.text) == mine
    assert form(office.beheerder, path, {"name": "GGD Zuid", "sector": "onderwijs", "seen": mine}).status_code == 303
    # the first form, sent again after that save, would undo it
    assert form(office.beheerder, path, {"name": "GGD", "seen": mine}).status_code == 409


def test_a_broken_seen_is_a_clear_422_with_what_was_typed(app: FastAPI, office: Office) -> None:
    form(office.beheerder, "/f/organisaties", {"name": "GGD"})
    ggd = organisations_of(app, office.workspace_id)["GGD"]
    for seen in ("{", "[]", '{"name": 1}'):
        refused = form(office.beheerder, f"/f/organisaties/{ggd.id}/bewerken", {"name": "GGD Zuid", "seen": seen})
        assert refused.status_code == 422 and "Open de organisatie opnieuw" in refused.text
        assert 'name="name" value="GGD Zuid"' in refused.text
    assert "GGD" in organisations_of(app, office.workspace_id)


def test_an_organisation_named_in_characters_past_the_basic_plane_is_saved_from_its_form(
    app: FastAPI, office: Office
) -> None:
    # 𝐁 (mathematical bold, as names are styled on social media) is two escapes of six characters in the form's seen
    bold = "𝐁" * 100
    typed = {
        "name": f"Buurthuis {bold}",
        "short_name": "BH " + "𝐁" * 30,
        "aliases": "\n".join(f"Buurthuis {n} {bold}" for n in range(20)),
    }
    assert form(office.beheerder, "/f/organisaties", typed).status_code == 303
    organisation = organisations_of(app, office.workspace_id)[typed["name"]]
    seen = opened(office.beheerder, organisation.id)
    saved = form(
        office.beheerder, f"/f/organisaties/{organisation.id}/bewerken", {**typed, "sector": "wonen", "seen": seen}
    )
    assert saved.status_code == 303, saved.text
    assert organisations_of(app, office.workspace_id)[typed["name"]].sector == "wonen"


def test_a_save_of_an_organisation_merged_away_meanwhile_says_where_it_went_and_keeps_what_was_typed(
    app: FastAPI, office: Office, browser: Callable[[], TestClient]
) -> None:
    form(office.beheerder, "/f/organisaties", {"name": "GGD Zuid", "aliases": "GGD-ZL"})
    form(office.beheerder, "/f/organisaties", {"name": "GGD Zuid-Limburg"})
    found = organisations_of(app, office.workspace_id)
    duplicate, kept = found["GGD Zuid"], found["GGD Zuid-Limburg"]
    path = f"/f/organisaties/{duplicate.id}/bewerken"
    mine = opened(office.beheerder, duplicate.id)
    colleague = add_member(
        app, browser, email="bram@buurtalliantie.nl", workspace_id=office.workspace_id, role="beheerder"
    )
    assert form(colleague, f"/f/organisaties/{duplicate.id}/samenvoegen", {"into": str(kept.id)}).status_code == 303
    typed = {
        "name": "GGD Zuid <b>",
        "short_name": "GGD",
        "aliases": "GGD-ZL\nGezondheidsdienst",
        "sector": "zorg en welzijn",
    }
    for seen, where in ((mine, "GGD Zuid-Limburg"), ("", None)):
        refused = form(office.beheerder, path, {**typed, "seen": seen})
        assert refused.status_code == 404
        if where:
            # the name the form was filled with is the other one's now: that one is named, with a link to its form
            assert "Intussen is ‘GGD Zuid’ samengevoegd: de naam hoort nu bij ‘GGD Zuid-Limburg’" in refused.text
            assert f'href="/f/organisaties/{kept.id}/bewerken"' in refused.text
        else:
            # a form that does not say what it was filled from cannot tell where it went
            assert "Intussen is ‘GGD Zuid &lt;b&gt;’ samengevoegd of verwijderd" in refused.text
            assert f"/f/organisaties/{kept.id}/bewerken" not in refused.text
        kept_box = refused.text.split('typed-kept">', 1)[1].split("</div>", 1)[0]
        for shown in ("GGD Zuid &lt;b&gt;", "GGD", "GGD-ZL<br>Gezondheidsdienst", "Zorg en welzijn"):
            assert shown in kept_box, shown
    # nothing typed reached the organisation it went into
    stored = organisations_of(app, office.workspace_id)
    assert list(stored) == ["GGD Zuid-Limburg"]
    assert (stored["GGD Zuid-Limburg"].short_name, stored["GGD Zuid-Limburg"].sector) == ("", None)
    # a form with a mistake in it, sent after the merge, keeps what was typed the same way
    empty = form(office.beheerder, path, {**typed, "name": "", "seen": mine})
    assert empty.status_code == 404 and "de naam hoort nu bij ‘GGD Zuid-Limburg’" in empty.text
