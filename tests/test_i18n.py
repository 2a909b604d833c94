"""The English interface: complete catalogs, the language switch on every page, and the /taal route."""

import json
import re
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from app import i18n
from tests.conftest import Facilitator, Phone, Workshop

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]?")


def source_messages() -> dict[str, tuple[str, ...]]:
    """Every text the source marks for translation, as `make translations` extracts it: msgid -> all its forms."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, tuple[str, ...]] = {}
    for _, _, message, _, _ in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords=DEFAULT_KEYWORDS,  # _ gettext ngettext N_ ...; babel.cfg adds its own per section
        # like the Makefile's --ignore-dirs: the default filter would also skip templates/_partials
        directory_filter=lambda path: not Path(path).name.startswith(".") and Path(path).name != "__pycache__",
    ):
        forms = (message,) if isinstance(message, str) else tuple(message)
        found[forms[0]] = forms
    return found


def catalog(lang: str) -> Catalog:
    """A language's catalog as the app reads it."""
    with (ROOT / "app" / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=lang)


def format_marks(*texts: str) -> set[str]:
    """The {placeholders} and %-specs the texts fill in (Jinja's gettext %-formats every text it returns)."""
    return {mark for text in texts for mark in PLACEHOLDER.findall(text) + PERCENT.findall(text)}


def translation_problems(lang: str, *, complete: bool) -> list[str]:
    """What is wrong with a catalog against the source; `complete`: every entry needs its own msgstr."""
    entries = {message.id if isinstance(message.id, str) else message.id[0]: message for message in catalog(lang)}
    problems = []
    for msgid, forms in source_messages().items():
        entry = entries.get(msgid)
        if entry is None:
            problems.append(f"missing (run `make translations`): {msgid!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if complete and not all(strings):
            problems.append(f"not translated: {msgid!r}")
        # a plural form may leave out the count ("one dot"), but all forms together fill in what the Dutch does
        marks = format_marks(*forms)
        extra = any(format_marks(string) - marks for string in strings)
        if extra or (all(strings) and format_marks(*strings) != marks):
            problems.append(f"placeholders differ: {msgid!r} -> {entry.string!r}")
    return problems


def test_extraction_sees_python_templates_and_partials() -> None:
    messages = source_messages()
    assert "Deze pagina bestaat niet." in messages  # app/web.py, N_
    assert "Doe mee met een workshop" in messages  # participant/home.html
    assert "Uitloggen" in messages  # _partials/_facilitator_nav.html


def test_babel_cfg_keeps_both_forms_of_ngettext() -> None:
    with (ROOT / "babel.cfg").open() as cfg:
        _, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, **options_map["app/**.py"].get("keywords", {})}
    source = BytesIO(b'ngettext("{n} stip", "{n} stippen", n)')
    found = [message for _, message, _, _ in extract("python", source, keywords=keywords)]
    assert found == [("{n} stip", "{n} stippen")]


def test_every_text_has_an_english_translation() -> None:
    problems = translation_problems("en", complete=True)
    assert not problems, "\n".join(problems)


def test_every_text_is_in_the_dutch_catalog() -> None:
    problems = translation_problems("nl", complete=False)
    assert not problems, "\n".join(problems)


def texts_of_formats(lang: str, *paths: Path) -> list[str]:
    """One language's texts of the shipped formats (or of these): names, descriptions, step prompts (each `en:` or
    `nl:` value)."""

    def walk(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node[lang]] if isinstance(node.get(lang), str) else []
            return own + [text for value in node.values() for text in walk(value)]
        if isinstance(node, list):
            return [text for value in node for text in walk(value)]
        return []

    return [
        text
        for path in paths or sorted((ROOT / "session_templates").glob("*.yaml"))
        for text in walk(yaml.safe_load(path.read_text()))
    ]


def test_english_calls_the_event_a_workshop_everywhere() -> None:
    # the headings say "Workshops" (as the README does); a button saying "New session" reads as another thing
    texts = [
        string
        for message in catalog("en")
        if message.id
        for string in (message.string if isinstance(message.string, tuple) else (message.string,))
    ]
    mixed = [text for text in texts + texts_of_formats("en") if re.search(r"\bsessions?\b", text, re.IGNORECASE)]
    assert not mixed, "\n".join(mixed)


def test_dutch_calls_the_event_a_workshop_everywhere() -> None:
    # the office side said "workshop" and the phone "sessie" for the same thing; a sign-in stays an "inlogsessie"
    texts = [
        text
        for message in catalog("nl")
        if message.id
        for text in (message.id if isinstance(message.id, tuple) else (message.id,))
    ]
    mixed = [text for text in texts + texts_of_formats("nl") if re.search(r"(?<!inlog)sessie", text, re.IGNORECASE)]
    assert not mixed, "\n".join(mixed)


def english_texts() -> list[str]:
    """Every English text of the catalog, both forms of a plural."""
    return [
        string
        for message in catalog("en")
        if message.id
        for string in (message.string if isinstance(message.string, tuple) else (message.string,))
    ]


def test_english_calls_an_agreed_action_an_action_everywhere() -> None:
    # "My actions", the reminders and the status page say "action"; the register said "All actions" while its rows,
    # the organisation pages and the board said "agreements" for the same thing, which reads as another list
    formats = [
        text
        for name in ("doorbraak", "vervolgsessie")  # the formats that agree actions; the mosaic's "agreements" are not
        for text in texts_of_formats("en", ROOT / "session_templates" / f"{name}.yaml")
    ]
    mixed = [text for text in english_texts() + formats if re.search(r"\bagreements?\b", text, re.IGNORECASE)]
    assert not mixed, "\n".join(mixed)


def test_english_writes_email_as_one_word_everywhere() -> None:
    # the pages said "e-mail" and "email" side by side, sometimes in one sentence
    mixed = [text for text in english_texts() if re.search(r"\be-mails?\b", text, re.IGNORECASE)]
    assert not mixed, "\n".join(mixed)


def test_catalogs_load_without_a_compile_step() -> None:
    assert i18n.available_locales() == ("nl", "en")
    token = i18n.current_locale.set("en")
    try:
        assert i18n.gettext("Doe mee met een workshop") == "Join a workshop"
        assert i18n.gettext("een tekst die niemand vertaalde") == "een tekst die niemand vertaalde"
    finally:
        i18n.current_locale.reset(token)
    assert i18n.gettext("Doe mee met een workshop") == "Doe mee met een workshop"


def test_untranslated_and_fuzzy_entries_show_the_dutch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    po = tmp_path / "en" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Hallo"\nmsgstr "Hello"\n\n'
        'msgid "Ja"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Nee"\nmsgstr "No"\n\n'
        'msgid "{n} stip"\nmsgid_plural "{n} stippen"\nmsgstr[0] ""\nmsgstr[1] ""\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n._translations.cache_clear()
    token = i18n.current_locale.set("en")
    try:
        assert i18n.gettext("Hallo") == "Hello"
        assert i18n.gettext("Ja") == "Ja"
        assert i18n.gettext("Nee") == "Nee"  # a guess is never shown as a translation
        assert i18n.ngettext("{n} stip", "{n} stippen", 3) == "{n} stippen"
    finally:
        i18n.current_locale.reset(token)
        i18n._translations.cache_clear()


def language_switch(html: str) -> str:
    """The language switch of a page; fails when the page has none."""
    found = re.search(r'<p class="lang-switch".*?</p>', html, re.S)
    assert found, "no language switch on this page"
    return found.group(0)


def assert_switch(html: str, *, current: str, back_to: str) -> None:
    """The switch marks the current language and links to the other, back to this page."""
    switch = language_switch(html)
    other = "en" if current == "nl" else "nl"
    assert re.search(rf'aria-current="true" lang="{current}"[^>]*>{current.upper()}<', switch)
    assert f'<a href="/taal/{other}?next={back_to}"' in switch


def test_accept_language_english_gets_english_pages(client: TestClient) -> None:
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,nl;q=0.5"})
    assert '<html lang="en">' in page.text
    assert "Join a workshop" in page.text
    assert "Doe mee met een workshop" not in page.text
    assert_switch(page.text, current="en", back_to="/")


def test_the_switch_sets_a_cookie_and_goes_back(client: TestClient) -> None:
    response = client.get("/taal/en", params={"next": "/f/login?next=/f/workshops"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/f/login?next=/f/workshops"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("dbk_lang=en;")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=31536000" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back

    english = client.get("/", headers={"Accept-Language": "nl"})  # the cookie wins over the browser
    assert "Join a workshop" in english.text

    assert client.get("/taal/nl", params={"next": "/"}, follow_redirects=False).headers["location"] == "/"
    dutch = client.get("/", headers={"Accept-Language": "en"})
    assert "Doe mee met een workshop" in dutch.text
    assert_switch(dutch.text, current="nl", back_to="/")


def test_the_language_cookie_is_secure_on_https(browser: Callable[[], TestClient]) -> None:
    https = browser()
    https.base_url = "https://testserver"
    response = https.get("/taal/en", follow_redirects=False)
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example", "/\\evil.example", "evil.example", "/\t/evil.example", ""]
)
def test_the_switch_only_goes_back_to_this_site(client: TestClient, target: str) -> None:
    response = client.get("/taal/en", params={"next": target}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_an_unknown_language_is_a_clear_404(client: TestClient) -> None:
    response = client.get("/taal/xx", params={"next": "/"}, follow_redirects=False)
    assert response.status_code == 404
    assert "Deze taal kennen we niet. Kies uit: nl, en." in response.text
    assert "dbk_lang" not in response.headers.get("set-cookie", "")


def test_every_kind_of_page_has_the_switch(
    facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    http = facilitator.http
    pages = {
        "/": "/",
        "/f/login?next=/f/workshops": "/f/login%3Fnext%3D/f/workshops",
        "/f/workshops": "/f/workshops",
        f"/f/workshops/{workshop.id}": f"/f/workshops/{workshop.id}",
        f"/p/{workshop.projector_token}": f"/p/{workshop.projector_token}",
    }
    for path, back_to in pages.items():
        page = http.get(path)
        assert page.status_code == 200, path
        assert_switch(page.text, current="nl", back_to=back_to)

    phone = join(workshop).http
    phone.get("/taal/en")
    page = phone.get(f"/j/{workshop.code}")
    assert_switch(page.text, current="en", back_to=f"/j/{workshop.code}")
    assert "Your answers" in page.text
    assert '"lang": "en"' in page.text  # the phone script formats dates in English too


def test_the_phone_pages_shared_texts_are_each_phones_own_language(
    workshop: Workshop, join: Callable[..., Phone]
) -> None:
    # the views and texts every phone of a language shares are rendered once per language (web.per_language):
    # a Dutch phone first must not hand its Dutch to an English one, nor the other way round
    def texts(http: TestClient) -> dict[str, Any]:
        page = http.get(f"/j/{workshop.code}").text
        found = re.search(r'<script type="application/json" id="phone-texts">(.*?)</script>', page, re.S)
        assert found and '<template id="tpl-open-text">' in page
        shared: dict[str, Any] = json.loads(found.group(1))
        return shared

    dutch, english = join(workshop, "Ali").http, join(workshop, "Bea").http
    english.get("/taal/en")
    for _ in range(2):
        assert texts(dutch)["messages"]["received"] == "ontvangen"
        assert texts(english)["messages"]["received"] == "received"
        assert texts(english)["results"]["median"] == "median"
        assert texts(dutch)["results"]["median"] == "mediaan"


def test_the_projector_shows_the_switch_and_speaks_english(facilitator: Facilitator, workshop: Workshop) -> None:
    facilitator.http.get("/taal/en")
    page = facilitator.http.get(f"/p/{workshop.projector_token}").text
    footer = re.search(r'<footer class="projector-foot".*?</footer>', page, re.S)
    assert footer and 'class="lang-switch"' in footer.group(0)
    assert "participants" in footer.group(0)
    assert '"lang": "en"' in page


def test_dates_are_written_out_in_the_pages_language(facilitator: Facilitator, workshop: Workshop) -> None:
    # every workshop of the fixtures is held on 22 November 2026
    assert "22 november 2026" in facilitator.http.get("/f/workshops").text
    assert "22 november 2026" in facilitator.http.get(f"/f/workshops/{workshop.id}").text
    facilitator.http.get("/taal/en")
    assert "22 November 2026" in facilitator.http.get("/f/workshops").text
    board = facilitator.http.get(f"/f/workshops/{workshop.id}").text
    assert "22 November 2026" in board and "22-11-2026" not in board
