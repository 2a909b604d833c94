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


@pytest.mark.parametrize(
    ("lang", "subject", "lead"),
    [
        ("nl", "Herinnering: “Woonpunt stelt de lege winkel beschikbaar.” staat voor vandaag", "Vandaag staat"),
        ("en", "Reminder: “Woonpunt stelt de lege winkel beschikbaar.” is due today", "This action is due today"),
    ],
)
def test_a_reminder_on_the_due_day_itself_says_today_not_soon(lang: str, subject: str, lead: str) -> None:
    recipient = mails.Recipient(address="fatima@woonpunt.example", lang=lang, name="Fatima", link_token="1.abc")
    on_the_day = datetime(2026, 12, 10, 8, tzinfo=UTC)
    draft = mails.action_reminder(LINKS, recipient=recipient, action=ACTION, now=on_the_day)
    assert draft.subject == subject
    assert lead in draft.body_text and lead in draft.body_html
    assert "Binnenkort" not in draft.body_text and "due soon" not in draft.body_text


@pytest.mark.parametrize(
    ("lang", "subject"),
    [
        ("nl", "Hoe is het gegaan met “Woonpunt stelt de lege winkel beschikbaar.”?"),
        ("en", "How did “Woonpunt stelt de lege winkel beschikbaar.” go?"),
    ],
)
def test_the_nudge_after_the_date_asks_how_it_went(lang: str, subject: str) -> None:
    recipient = mails.Recipient(address="fatima@woonpunt.example", lang=lang, name="Fatima", link_token="1.abc")
    after = datetime(2026, 12, 13, 8, tzinfo=UTC)
    assert mails.overdue_reminder(LINKS, recipient=recipient, action=ACTION, now=after).subject == subject
