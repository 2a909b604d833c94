"""How a mail lays out its items: a line each in plain text (the templates trim the newline after a block tag), and
in HTML each name apart from the text around it."""

from dataclasses import replace
from datetime import date

from app.notify import mails
from tests.notify.test_subjects import LINKS, MEETING, NOW

MEMBER = mails.Recipient(address="anna@heerlen.example", lang="nl", name="Anna", account_id=1)


def test_each_action_of_the_digest_is_a_line_of_its_own() -> None:
    rows = [
        {"title": "Jongerenplek open", "owner": "Woonpunt", "due_on": date(2026, 12, 10)},
        {"title": "Buurtavond", "owner": "Bewoners", "due_on": None},
        {"title": "Extra jongerenwerk", "owner": "Gemeente", "due_on": date(2027, 1, 6)},
    ]
    digest = mails.DigestFacts(
        workspace_id=1, workspace_name="Wijkalliantie Noord", week="2026-W50", new=mails.DigestSection(rows, len(rows))
    )
    text = mails.digest_mail(LINKS, recipient=MEMBER, digest=digest, now=NOW).body_text
    lines = text.splitlines()
    start = lines.index("Nieuw (3)")
    assert lines[start + 1 : start + 4] == [
        "- Jongerenplek open · Woonpunt · 10 december 2026",
        "- Buurtavond · Bewoners",
        "- Extra jongerenwerk · Gemeente · 6 januari 2027",
    ]


def test_the_meeting_reminder_puts_the_place_under_the_moment() -> None:
    recipient = mails.Recipient(address="fatima@woonpunt.example", lang="nl", name="Fatima", link_token="1.abc")
    lines = mails.followup_reminder(LINKS, recipient=recipient, meeting=MEETING, now=NOW).body_text.splitlines()
    start = lines.index("  maandag 21 december 2026 om 19:30")
    assert lines[start + 1 : start + 4] == ["  Buurthuis", "", "De afspraak zit als agendabestand bij deze e-mail."]
    placeless = replace(MEETING, place="")
    lines = mails.followup_reminder(LINKS, recipient=recipient, meeting=placeless, now=NOW).body_text.splitlines()
    start = lines.index("  maandag 21 december 2026 om 19:30")
    assert lines[start + 1 : start + 3] == ["", "De afspraak zit als agendabestand bij deze e-mail."]


def test_the_digests_html_keeps_a_right_to_left_title_apart_from_its_owner_and_date() -> None:
    """Run into the line, an Arabic title took the "·" after it to its own side."""
    rows = [{"title": "نحن نفتح مركزنا يوم الجمعة للشباب", "owner": "مؤسسة الجيران", "due_on": date(2026, 12, 10)}]
    digest = mails.DigestFacts(
        workspace_id=1, workspace_name="Wijkalliantie Noord", week="2026-W50", new=mails.DigestSection(rows, len(rows))
    )
    html = mails.digest_mail(LINKS, recipient=MEMBER, digest=digest, now=NOW).body_html
    assert "<bdi>نحن نفتح مركزنا يوم الجمعة للشباب</bdi>" in html
    assert "· <bdi>مؤسسة الجيران</bdi> · 10 december 2026" in html
