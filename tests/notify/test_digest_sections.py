"""The weekly digest lists the most urgent actions of each section, and links to the register for the rest: the link
opens exactly that section for a signed-in member, in plain text and HTML, in Dutch and English."""

import re
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from app.actions import service as actions
from app.actions.register_filter import RegisterFilter
from app.models import Membership, OutboxMessage, local_today, utcnow
from app.notify import reminders
from app.notify.reminders import DIGEST_ROWS
from app.register.filters import parse_filter
from tests.notify.conftest import Network, SmtpServer, build_network, database, send_all, sign_in
from tests.notify.test_smtp import pass_on

OVERDUE, STUCK, MOVED = 25, 12, 3


def _busy_week(network: Network) -> Any:
    """Bea reads the digest; her workspace has many actions overdue, some stuck, a few moved, all agreed this week."""
    today = local_today()

    def fill(tx: Any) -> None:
        for membership in tx.execute(select(Membership)).scalars():
            membership.digest, membership.digest_lang = True, "nl"

        def agree(title: str, due_in: int, **more: Any) -> int:
            view = actions.save_action(
                tx,
                workshop_id=network.workshop_id,
                title=title,
                owner_organisation="Woonstichting",
                due_on=today + timedelta(days=due_in),
                **more,
            )
            return int(view["id"])

        for k in range(1, OVERDUE + 1):
            agree(f"Te laat {k:02}", -k)
        for k in range(1, STUCK + 1):
            agree(f"Vast {k:02}", 30 + k, status="vastgelopen")
        for k in range(1, MOVED + 1):
            action_id = agree(f"Verschoven {k}", 40 + k)
            actions.save_action(
                tx,
                workshop_id=network.workshop_id,
                action_id=action_id,
                title=f"Verschoven {k}",
                owner_organisation="Woonstichting",
                due_on=today + timedelta(days=50 + k),
            )

    return fill


def _digest(http: TestClient, smtp: SmtpServer, lang: str) -> Any:
    """Bea's digest in this language, sent over SMTP."""
    db = database(http)

    def in_language(tx: Any) -> None:
        tx.execute(delete(OutboxMessage).where(OutboxMessage.kind == "digest"))
        for membership in tx.execute(select(Membership)).scalars():
            membership.digest_lang = lang

    db.write_sync(in_language)
    before = len(smtp.inbox.messages)
    pass_on(http, today=local_today(), now=utcnow())
    send_all(http)
    arrived = smtp.inbox.wait_for(before + 1)
    return next(m for m in reversed(arrived) if str(m["To"]) == "bea@a.nl")


def test_each_section_shows_its_most_urgent_and_links_to_exactly_the_rest(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    db.write_sync(_busy_week(network))
    new = OVERDUE + STUCK + MOVED + 1  # and the network's own action, of workspace A

    mail = _digest(mail_client, smtp_server, "nl")
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    lines = plain.splitlines()
    # 4 headings, at most DIGEST_ROWS rows and a "more" line each: not the hundreds of lines of every row
    assert len(lines) < 4 * (DIGEST_ROWS + 3) + 15
    start = lines.index(f"Over de datum ({OVERDUE})")
    # the longest overdue first, as the register lists them
    assert lines[start + 1].startswith(f"- Te laat {OVERDUE} · Woonstichting · ")
    assert [line for line in lines[start + 1 :] if line.startswith("- ")][:DIGEST_ROWS] == lines[
        start + 1 : start + 1 + DIGEST_ROWS
    ]
    links = {
        "due=overdue": OVERDUE,
        "status=vastgelopen": STUCK,
        f"agreed_since={local_today() - timedelta(days=7)}": new,
    }
    for query, total in links.items():
        more = total - DIGEST_ROWS
        url = f"http://testserver/f/register?{query}"
        assert f"… en nog {more}: {url}" in lines
        assert f'<a href="{url}" style="color:#0b6e4f;">… en nog {more} in het register</a>' in html
    # three moved: all in the mail, no link for more
    assert f"Verschoven ({MOVED})" in lines and "moved_since" not in plain
    assert "Verschoven 3 · Woonstichting" in plain

    # the link opens the register filtered to exactly that section, for a member signed in
    sign_in(mail_client, "bea@a.nl")
    for query, total in [*links.items(), (f"moved_since={local_today() - timedelta(days=7)}", MOVED)]:
        page = mail_client.get(f"/f/register?{query}")
        assert page.status_code == 200
        assert re.search(rf">\s*{total} afspraken\b", page.text), query

    english = _digest(mail_client, smtp_server, "en")
    plain = english.get_body(preferencelist=("plain",)).get_content()
    html = english.get_body(preferencelist=("html",)).get_content()
    assert f"Overdue ({OVERDUE})" in plain
    assert f"… and {OVERDUE - DIGEST_ROWS} more: http://testserver/f/register?due=overdue" in plain
    assert f"… and {OVERDUE - DIGEST_ROWS} more in the register</a>" in html


def test_a_filter_by_agreed_or_moved_date_that_does_not_exist_is_named(mail_client: TestClient) -> None:
    db = database(mail_client)
    db.write_sync(build_network)
    sign_in(mail_client, "bea@a.nl")
    for part in ("agreed_since", "moved_since"):
        page = mail_client.get(f"/f/register?{part}=2026-02-30")
        assert page.status_code == 422
        assert "De datum &#39;2026-02-30&#39; bestaat niet" in page.text


def test_each_link_is_written_by_the_registers_own_filter_and_reads_back_as_its_section(
    mail_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    db.write_sync(_busy_week(network))
    written = RegisterFilter.query
    # one writer of the register's addresses: the digest asks it, it does not spell the names itself
    monkeypatch.setattr(RegisterFilter, "query", lambda self, **changes: written(self, **changes) + "&by=filter")
    due = db.read_sync(partial(reminders.due_mails, today=local_today(), now=utcnow(), secret="s"))
    digest = next(digest for digest, _ in due.digests if digest.workspace_id == network.workspace_id)
    week_ago = local_today() - timedelta(days=7)
    expected = {
        "overdue": RegisterFilter(due="overdue"),
        "moved": RegisterFilter(moved_since=week_ago),
        "stuck": RegisterFilter(statuses=("vastgelopen",)),
        "new": RegisterFilter(agreed_since=week_ago),
    }
    for name, listed in expected.items():
        query = getattr(digest, name).register_query
        assert query.endswith("&by=filter"), name
        # and the register reads it as that section: no problem, nothing more, nothing less
        assert parse_filter(parse_qsl(query)) == (listed, [])
