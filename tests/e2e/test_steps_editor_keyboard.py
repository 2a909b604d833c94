"""The step editor by keyboard alone: every button names the step it acts on, the focus stays on something sensible
after adding, moving, removing, putting back and saving, and the focus ring shows on the white cards."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_board_keyboard import focused, tab_to
from tests.e2e.test_live_session import start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

# the outline's contrast with what it is drawn on, as WCAG's non-text contrast has it (at least 3:1)
RING_CONTRAST = """node => {
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const light = (text) => {
    const [r, g, b] = rgb(text).map((v) => v / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let ground = node.parentElement;
  const clear = (box) => /rgba\\(.*, 0\\)|transparent/.test(getComputedStyle(box).backgroundColor);
  while (ground && clear(ground)) ground = ground.parentElement;
  const style = getComputedStyle(node);
  if (style.outlineStyle === "none" || parseFloat(style.outlineWidth) < 2) return 0;
  const [a, b] = [light(style.outlineColor), light(getComputedStyle(ground || document.body).backgroundColor)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def open_editor(new_context: Callable[..., Any], title: str) -> Any:
    """A new workshop's step editor, reached from its board with Tab and Enter."""
    board = start_session(new_context, title=title).board
    board.locator("body").click(position={"x": 5, "y": 200})
    tab_to(board, lambda f: f["id"] == "edit-steps-link")
    board.keyboard.press("Enter")
    expect(board).to_have_url(re.compile(r"/f/workshops/\d+/steps$"))
    return board


def saved_and_reloaded(editor: Any) -> None:
    """Press Bewaren, see the save go through, and open the page again as the server draws it."""
    with editor.expect_response(lambda r: r.url.endswith("/steps") and r.request.method == "POST") as saved:
        editor.locator("#save-steps").click()
    assert saved.value.ok, saved.value.text()
    # the script marks the page saved once it has read the answer; a reload before that asks "leave the page?"
    expect(editor.locator("#editor-notice")).to_be_visible()
    editor.goto(editor.url)


def test_adding_moving_removing_putting_back_and_saving_a_step_by_keyboard(new_context: Callable[..., Any]) -> None:
    editor = open_editor(new_context, "Toetsenbord Zuid")
    cards = editor.locator("#step-cards > .step-card")
    expect(cards).to_have_count(7)

    # every step's buttons say which step they move, remove or open: not seven times "Omhoog"
    contributions = editor.locator('.step-card[data-step-id="contributions"]')
    expect(contributions.get_by_role("button", name="Omhoog Stap 5: Bijdragen", exact=True)).to_be_enabled()
    expect(contributions.get_by_role("button", name="Omlaag Stap 5: Bijdragen", exact=True)).to_be_enabled()
    expect(contributions.get_by_role("button", name="Stap weghalen Stap 5: Bijdragen", exact=True)).to_be_enabled()
    expect(contributions.locator("summary")).to_have_accessible_name("Teksten en instellingen Stap 5: Bijdragen")

    # a step added with the type list and its button: the focus goes to its title, ready to type
    tab_to(editor, lambda f: f["id"] == "add-type")
    editor.keyboard.press("ArrowDown")
    expect(editor.locator("#add-type")).to_have_value("cluster")
    editor.keyboard.press("Tab")
    expect(editor.locator("#add-step")).to_be_focused()
    editor.keyboard.press("Enter")
    added = editor.locator('.step-card[data-step-id="cluster_2"]')
    expect(added.get_by_role("textbox", name="Titel (Nederlands)")).to_be_focused()
    editor.keyboard.type("Nog eens ordenen")  # in place of the title it came with
    expect(added.get_by_role("textbox", name="Titel (Nederlands)")).to_have_value("Nog eens ordenen")
    expect(cards.nth(6)).to_have_attribute("data-step-id", "cluster_2")

    # moved up twice from its own arrow: the focus stays on it, and its name follows the place and the title
    editor.keyboard.press("Shift+Tab")  # the card's "Teksten en instellingen"
    editor.keyboard.press("Shift+Tab")
    editor.keyboard.press("Shift+Tab")
    expect(added.get_by_role("button", name="Omhoog Stap 7: Nog eens ordenen", exact=True)).to_be_focused()
    editor.keyboard.press("Enter")
    editor.keyboard.press("Enter")
    expect(cards.nth(4)).to_have_attribute("data-step-id", "cluster_2")
    expect(added.get_by_role("button", name="Omhoog Stap 5: Nog eens ordenen", exact=True)).to_be_focused()
    expect(editor.locator("#editor-status")).to_have_text("Nog eens ordenen staat nu op plek 5.")

    # removed: the focus goes to the button that puts it back, in its place in the list
    editor.keyboard.press("Tab")
    editor.keyboard.press("Tab")
    expect(added.get_by_role("button", name="Stap weghalen Stap 5: Nog eens ordenen", exact=True)).to_be_focused()
    editor.keyboard.press("Enter")
    expect(cards).to_have_count(7)
    put_back = editor.get_by_role("button", name="Terugzetten: Nog eens ordenen", exact=True)
    expect(put_back).to_be_focused()
    expect(editor.locator('.step-card[data-step-id="contributions"] h2')).to_have_text("Stap 5: Bijdragen")

    # Tab goes on to the next step; Shift+Tab back and Enter puts it back where it was, title and all
    editor.keyboard.press("Tab")
    expect(contributions.get_by_role("button", name="Omhoog Stap 5: Bijdragen", exact=True)).to_be_focused()
    editor.keyboard.press("Shift+Tab")
    expect(put_back).to_be_focused()
    editor.keyboard.press("Enter")
    expect(cards).to_have_count(8)
    expect(cards.nth(4)).to_have_attribute("data-step-id", "cluster_2")
    expect(put_back).to_have_count(0)
    expect(added.get_by_role("button", name="Stap weghalen Stap 5: Nog eens ordenen", exact=True)).to_be_focused()
    expect(added.get_by_role("textbox", name="Titel (Nederlands)")).to_have_value("Nog eens ordenen")
    expect(editor.locator("#editor-status")).to_have_text("Nog eens ordenen staat weer op plek 5.")

    # removed again and saved from the keyboard: the focus stays on the save button while and after it saves
    editor.keyboard.press("Enter")
    expect(put_back).to_be_focused()
    tab_to(editor, lambda f: f["id"] == "save-steps")
    with editor.expect_response(lambda r: r.url.endswith("/steps") and r.request.method == "POST") as saved:
        editor.keyboard.press("Enter")
        expect(editor.locator("#save-steps")).to_be_focused()
    assert saved.value.ok
    expect(editor.locator("#editor-notice")).to_contain_text("Bewaard")
    expect(editor.locator("#save-steps")).to_be_focused()
    # stored: nothing left to put back
    expect(put_back).to_have_count(0)
    expect(cards).to_have_count(7)


def test_the_step_editor_names_its_buttons_in_english_too(new_context: Callable[..., Any]) -> None:
    editor = open_editor(new_context, "Keyboard South")
    editor.get_by_role("link", name="EN", exact=True).click()
    vote = editor.locator('.step-card[data-step-id="vote"]')
    expect(vote.get_by_role("button", name="Move up Step 4: Vote", exact=True)).to_be_enabled()
    vote.get_by_role("button", name="Remove step Step 4: Vote", exact=True).click()
    expect(editor.get_by_role("button", name="Put back: Vote", exact=True)).to_be_focused()


def test_the_focus_ring_shows_on_the_step_cards(new_context: Callable[..., Any]) -> None:
    editor = open_editor(new_context, "Ring Zuid")
    for wanted in (
        lambda f: f["tag"] == "summary",
        lambda f: f["text"] == "Omlaag",
        lambda f: f["id"] == "add-step",
        lambda f: f["id"] == "save-steps",
    ):
        tab_to(editor, wanted)
        contrast = editor.evaluate(f"({RING_CONTRAST})(document.activeElement)")
        assert contrast >= 3, (focused(editor), contrast)


def test_a_question_put_back_is_again_the_one_its_later_steps_work_with(new_context: Callable[..., Any]) -> None:
    editor = open_editor(new_context, "Terug Zuid")
    sources = {
        "cluster": editor.locator('select[name="cluster.source"]'),
        "vote": editor.locator('select[name="vote.source"]'),
        "contributions": editor.locator('select[name="contributions.links_to"]'),
    }
    for source in sources.values():
        expect(source).to_have_value("obstacles")

    # removed by mistake: the steps that work with its answers have nothing to choose from for now
    obstacles = editor.locator('.step-card[data-step-id="obstacles"]')
    obstacles.get_by_role("button", name="Stap weghalen Stap 2: Obstakels", exact=True).click()
    for source in sources.values():
        expect(source).to_have_value("")

    # put back: they work with it again, so the steps are stored as they were (before, the ordering and the vote
    # were refused for want of a question, and the contributions saved unlinked without a word)
    editor.get_by_role("button", name="Terugzetten: Obstakels", exact=True).click()
    for source in sources.values():
        expect(source).to_have_value("obstacles")
    saved_and_reloaded(editor)
    for source in sources.values():
        expect(source).to_have_value("obstacles")

    # another question chosen by hand while one is removed stays chosen when it comes back
    editor.get_by_role("button", name="Stap weghalen Stap 2: Obstakels", exact=True).click()
    editor.locator("#add-type").select_option("open_text")
    editor.locator("#add-step").click()
    editor.locator('.step-card[data-step-id="contributions"] summary').click()
    sources["contributions"].select_option("open_text")
    editor.get_by_role("button", name="Terugzetten: Obstakels", exact=True).click()
    expect(sources["contributions"]).to_have_value("open_text")
    expect(sources["cluster"]).to_have_value("obstacles")


def test_each_option_remove_button_names_the_option_it_removes(new_context: Callable[..., Any]) -> None:
    editor = open_editor(new_context, "Opties Zuid")
    editor.locator("#add-type").select_option("choice")
    editor.locator("#add-step").click()
    card = editor.locator('.step-card[data-step-id="choice"]')
    expect(card.locator(".option-row")).to_have_count(2)
    # not twice "Optie weghalen": the number, and the text once it has one, following what is typed
    expect(card.get_by_role("button", name="Optie 1 weghalen", exact=True)).to_be_visible()
    card.get_by_role("textbox", name="Optie 1 (Nederlands)").fill("Fietsen")
    card.get_by_role("textbox", name="Optie 2 (Nederlands)").fill("Lopen")
    card.get_by_role("button", name="+ Optie toevoegen").click()
    card.get_by_role("textbox", name="Optie 3 (Nederlands)").fill("Met de bus")
    expect(card.get_by_role("button", name="Optie 1 weghalen: Fietsen", exact=True)).to_be_visible()
    expect(card.get_by_role("button", name="Optie 3 weghalen: Met de bus", exact=True)).to_be_visible()

    # the first one removed: the others move up a number, and their buttons say so
    card.get_by_role("button", name="Optie 1 weghalen: Fietsen", exact=True).click()
    expect(card.get_by_role("button", name="Optie 1 weghalen: Lopen", exact=True)).to_be_visible()
    expect(card.get_by_role("button", name="Optie 2 weghalen: Met de bus", exact=True)).to_be_visible()

    # saved and drawn by the server: the same names, in English too
    card.get_by_role("textbox", name="Vraag op de telefoon (Nederlands)").fill("Hoe kom je hier?")
    saved_and_reloaded(editor)
    card.locator("summary").click()
    expect(card.get_by_role("button", name="Optie 2 weghalen: Met de bus", exact=True)).to_be_visible()
    editor.get_by_role("link", name="EN", exact=True).click()
    card.locator("summary").click()
    expect(card.get_by_role("button", name="Remove option 1: Lopen", exact=True)).to_be_visible()


def test_a_step_put_back_past_the_most_steps_is_refused_at_once(new_context: Callable[..., Any]) -> None:
    editor = open_editor(new_context, "Veertig Zuid")
    cards = editor.locator("#step-cards > .step-card")
    vote = editor.locator('.step-card[data-step-id="vote"]')
    vote.get_by_role("button", name="Stap weghalen Stap 4: Stemmen", exact=True).click()
    put_back = editor.get_by_role("button", name="Terugzetten: Stemmen", exact=True)
    expect(put_back).to_be_focused()
    add = editor.locator("#add-step")
    while add.is_enabled():
        add.click()
    expect(cards).to_have_count(40)

    # the 41st would only be refused by the save: refused now, said, and the focus stays on the button
    put_back.focus()
    editor.keyboard.press("Enter")
    expect(editor.locator("#editor-status")).to_have_text(
        "Stemmen kan niet terug: er staan al 40 stappen, meer kan niet. Haal eerst een andere stap weg."
    )
    expect(cards).to_have_count(40)
    expect(put_back).to_be_focused()

    # with a step removed it goes back as before
    cards.nth(38).get_by_role("button", name=re.compile("^Stap weghalen")).click()
    put_back.click()
    expect(cards).to_have_count(40)
    expect(vote).to_have_count(1)


def test_in_english_the_buttons_name_steps_and_options_by_their_english_text(new_context: Callable[..., Any]) -> None:
    editor = open_editor(new_context, "Opties in het Engels")
    editor.get_by_role("link", name="EN", exact=True).click()
    contributions = editor.locator('.step-card[data-step-id="contributions"]')
    expect(contributions.get_by_role("button", name="Remove step Step 5: Contributions", exact=True)).to_be_visible()
    editor.locator("#add-type").select_option("choice")
    editor.locator("#add-step").click()
    card = editor.locator('.step-card[data-step-id="choice"]')
    card.get_by_role("textbox", name="Title (Dutch)").fill("Vervoer")
    card.get_by_role("textbox", name="Title (English)").fill("Getting here")
    expect(card.get_by_role("button", name="Remove step Step 7: Getting here", exact=True)).to_be_visible()

    # the English text as it is typed; the Dutch one while the English is still empty
    card.get_by_role("textbox", name="Option 1 (Dutch)").fill("Ja")
    card.get_by_role("textbox", name="Option 2 (Dutch)").fill("Nee")
    expect(card.get_by_role("button", name="Remove option 1: Ja", exact=True)).to_be_visible()
    card.get_by_role("textbox", name="Option 1 (English)").fill("Yes")
    expect(card.get_by_role("button", name="Remove option 1: Yes", exact=True)).to_be_visible()
    expect(card.get_by_role("button", name="Remove option 2: Nee", exact=True)).to_be_visible()

    # saved and drawn by the server: the same English names
    card.get_by_role("textbox", name="Question on the phone (Dutch)").fill("Hoe kom je hier?")
    saved_and_reloaded(editor)
    card.locator("summary").click()
    expect(card.get_by_role("button", name="Remove option 1: Yes", exact=True)).to_be_visible()
    expect(card.get_by_role("button", name="Remove option 2: Nee", exact=True)).to_be_visible()
    expect(card.get_by_role("heading", name="Step 7: Getting here", exact=True)).to_be_visible()
