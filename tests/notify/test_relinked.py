"""Moving a waiting mail's links to the public address moves Doorbraak's own links only, never a user's text."""

from app.notify.sender import relinked
from app.notify.smtp import Outgoing

PUBLIC = "https://doorbraak.example.org"
PAGE = "http://localhost:8000/m/Abc123"
STATUS = "http://localhost:8000/status/Xyz789?status=klaar&x=1"
UNSUBSCRIBE = "http://localhost:8000/afmelden/Def456"
# what a facilitator typed into an action's description and the meeting's place: their words, not our links
TYPED = "Zie http://localhost:8000/handleiding op de laptop van de balie"


def _waiting() -> Outgoing:
    return Outgoing(
        id=1,
        sender_name="Netwerk Noord",
        recipient="olga@woon.nl",
        subject="Herinnering",
        body_text=f"{TYPED}\nKlaar: {STATUS}\nAl je afspraken: {PAGE}\nAfmelden: {UNSUBSCRIBE}\n",
        body_html=(
            f'<p>{TYPED}</p><a href="{STATUS.replace("&", "&amp;")}">Klaar</a>'
            f'<a href="{PAGE}">Al je afspraken</a><a href="{UNSUBSCRIBE}">Afmelden</a>'
        ),
        attachment=f"BEGIN:VCALENDAR\r\nLOCATION:{TYPED}\r\nEND:VCALENDAR\r\n",
        unsubscribe_url=UNSUBSCRIBE,
        message_id="<1@example.org>",
    )


def test_only_our_own_links_move_to_the_public_address() -> None:
    moved = relinked(_waiting(), PUBLIC)
    for ours in (PAGE, STATUS, UNSUBSCRIBE):
        assert ours not in moved.body_text
        assert ours.replace("http://localhost:8000", PUBLIC) in moved.body_text
    assert f'href="{PUBLIC}/status/Xyz789?status=klaar&amp;x=1"' in moved.body_html
    assert f'href="{PUBLIC}/m/Abc123"' in moved.body_html
    assert moved.unsubscribe_url == f"{PUBLIC}/afmelden/Def456"
    # the user's words stay as typed, in the text, the HTML and the calendar file
    assert TYPED in moved.body_text
    assert f"<p>{TYPED}</p>" in moved.body_html
    assert moved.attachment == _waiting().attachment


def test_a_mail_written_with_the_public_address_is_left_as_it_is() -> None:
    waiting = _waiting()
    assert relinked(waiting, "http://localhost:8000/") is waiting
