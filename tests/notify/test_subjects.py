"""A reminder's subject quotes the action or workshop it names: a title is often a whole sentence."""

from datetime import UTC, date, datetime

import pytest

from app.notify import mails

LINKS = mails.Links(base_url="https://doorbraak.example", domain="doorbraak.example")
NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
ACTION = mails.ActionFacts(
    id=1,
    workspace_id=1,
    workspace_name="Wijkalliantie Noord",
    title="Woonpunt stelt de lege winkel beschikbaar.",
    description="",
    owner="Woonpunt",
    due_on=date(2026, 12, 10),
    status="open",
    workshop_title="Jeugdoverlast Noord",
)
MEETING = mails.MeetingFacts(
    workshop_id=1,
    workspace_id=1,
    workspace_name="Wijkalliantie Noord",
    workshop_title="Jeugdoverlast Noord",
    at=datetime(2026, 12, 21, 18, 30, tzinfo=UTC),
    place="Buurthuis",
    ics="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
)


@pytest.mark.parametrize(
    ("lang", "subject"),
    [
        ("nl", "Herinnering: “Woonpunt stelt de lege winkel beschikbaar.” staat op 10 december 2026"),
        ("en", "Reminder: “Woonpunt stelt de lege winkel beschikbaar.” is due on 10 December 2026"),
    ],
)
def test_an_action_reminder_quotes_the_title_so_its_full_stop_does_not_end_the_subject(lang: str, subject: str) -> None:
    recipient = mails.Recipient(address="fatima@woonpunt.example", lang=lang, name="Fatima", link_token="1.abc")
    assert mails.action_reminder(LINKS, recipient=recipient, action=ACTION, now=NOW).subject == subject


@pytest.mark.parametrize(
    ("lang", "subject"),
    [
        ("nl", "Herinnering: vervolgafspraak “Jeugdoverlast Noord” op 21 december 2026"),
        ("en", "Reminder: follow-up meeting “Jeugdoverlast Noord” on 21 December 2026"),
    ],
)
def test_a_meeting_reminder_quotes_the_workshop(lang: str, subject: str) -> None:
    recipient = mails.Recipient(address="fatima@woonpunt.example", lang=lang, name="Fatima", link_token="1.abc")
    assert mails.followup_reminder(LINKS, recipient=recipient, meeting=MEETING, now=NOW).subject == subject
