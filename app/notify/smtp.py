"""The mail server: DOORBRAAK_SMTP_URL read strictly, a message built from an outbox row, and one SMTP connection.

Sending uses the standard library's smtplib, one connection per sender thread: no dependency for what a few
lines of it do, and a blocking call kept off the event loop by running in those threads (app/notify/sender.py).
"""

import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email import charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from app.addresses import ascii_form, checked_address
from app.errors import DomainError
from app.i18n import N_
from app.security import clean_line

SCHEMES = {"smtp": 587, "smtps": 465}
# a subject or a name a person typed goes into a header: line breaks would start a header of their own
_NOT_IN_HEADER = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
HEADER_MAX = 200
# what makes a display name look like an address or like a second sender: brackets, at signs (also their wide and
# small forms), quotes, backslashes, and an encoded word's start, which a mail program would decode into any of them
_NOT_IN_NAME = re.compile(r"=\?|[<>@\"\\\uff1c\uff1e\uff20\ufe64\ufe65\ufe6b\u2039\u203a\u00ab\u00bb]")
SENDER_NAME_MAX = 80
PRODUCT = "Doorbraak"
# text parts in UTF-8, quoted-printable: a mail program's source view stays readable, unlike base64
_UTF8 = charset.Charset("utf-8")
_UTF8.body_encoding = charset.QP
# headers unfolded up to RFC 5322's 998 characters: a List-Unsubscribe URL on one line, as simple parsers expect it
_POLICY = compat32.clone(max_line_length=998)


class SmtpUrlError(DomainError):
    """DOORBRAAK_SMTP_URL cannot be used; the message says why (never with the password)."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__("bad_smtp_url", message, status=500, **params)


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send: the server, its security, the login, and the sender's address."""

    host: str
    port: int
    # smtps://: TLS from the first byte; smtp://: STARTTLS whenever the server offers it
    implicit_tls: bool
    username: str | None
    password: str | None
    sender: str

    def describe(self) -> str:
        """The server as an operator reads it in a log or on the outbox page (never the password)."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        login = f"{self.username}@" if self.username else ""
        return f"{scheme}://{login}{self.host}:{self.port} ({self.sender})"


def parse_smtp_url(url: str) -> SmtpConfig:
    """smtp[s]://user:password@host:port?from=sender@example.org, checked part by part."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:  # an unclosed [ or a port that is not a number
        raise SmtpUrlError(N_("DOORBRAAK_SMTP_URL is geen URL: {reason}."), reason=str(exc)) from None
    if parts.scheme not in SCHEMES:
        raise SmtpUrlError(N_("DOORBRAAK_SMTP_URL moet beginnen met smtp:// of smtps://."))
    if not parts.hostname:
        raise SmtpUrlError(N_("DOORBRAAK_SMTP_URL noemt geen server (smtp://server:poort)."))
    if parts.path not in ("", "/") or parts.fragment:
        raise SmtpUrlError(N_("DOORBRAAK_SMTP_URL heeft een pad of een #; na de server mag alleen ?from=… komen."))
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise SmtpUrlError(
            N_("Het deel na ? in DOORBRAAK_SMTP_URL is niet te lezen; schrijf ?from=afzender@voorbeeld.nl.")
        ) from None
    unknown = sorted(set(query) - {"from"})
    if unknown:
        raise SmtpUrlError(
            N_("DOORBRAAK_SMTP_URL noemt onbekende instellingen ({names}); alleen ?from= kennen we."),
            names=", ".join(unknown),
        )
    senders = query.get("from", [])
    if len(senders) != 1 or not senders[0]:
        raise SmtpUrlError(N_("DOORBRAAK_SMTP_URL heeft één afzender nodig: ?from=afzender@voorbeeld.nl."))
    try:
        # the envelope's and From's address as every server takes it (a domain in other letters as xn--)
        sender = ascii_form(checked_address(senders[0]))
    except DomainError:
        raise SmtpUrlError(N_("De afzender (?from=) in DOORBRAAK_SMTP_URL is geen e-mailadres.")) from None
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if (username is None) != (password is None):
        raise SmtpUrlError(
            N_(
                "Geef in DOORBRAAK_SMTP_URL een gebruiker én een wachtwoord "
                "(smtp://gebruiker:wachtwoord@server), of geen van beide."
            )
        )
    return SmtpConfig(
        host=parts.hostname,
        port=port or SCHEMES[parts.scheme],
        implicit_tls=parts.scheme == "smtps",
        username=username,
        password=password,
        sender=sender,
    )


def header_text(text: str) -> str:
    """Text safe for a header: line breaks and control characters become spaces, at most HEADER_MAX characters."""
    return " ".join(_NOT_IN_HEADER.sub(" ", text).split())[:HEADER_MAX]


def sender_display(workspace_name: str) -> str:
    """The From display name for a workspace: its name without anything address-like, then "via Doorbraak".

    A workspace's name is typed by any of its managers: unchanged, "Gemeente Rotterdam <noreply@rotterdam.nl>"
    would show in a mail program as that sender, whatever address the mail really came from."""
    # clean_line: a right-to-left override stored before names were cleaned would turn " via Doorbraak" around
    name = " ".join(_NOT_IN_NAME.sub(" ", header_text(clean_line(workspace_name))).split())[:SENDER_NAME_MAX].strip()
    return f"{name} via {PRODUCT}" if name and name != PRODUCT else PRODUCT


@dataclass(frozen=True)
class Outgoing:
    """One message as the sender builds it: an outbox row and the name of the workspace it comes from."""

    id: int
    sender_name: str
    recipient: str
    subject: str
    body_text: str
    body_html: str
    attachment: str
    unsubscribe_url: str
    message_id: str


def _text(body: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(body, _UTF8)
    return part


def build_message(outgoing: Outgoing, *, sender: str, now: datetime) -> Message:
    """A multipart mail (plain text and HTML, an iCalendar attachment if any) with RFC 8058 unsubscribe headers.

    Built with the email package's MIME classes: a quarter of the CPU time of EmailMessage and its header policy
    (measured: 1.5 against 6.7 ms a message), which decided whether 5,000 reminders go out within a minute.
    """
    parts = MIMEMultipart("alternative", policy=_POLICY)
    parts.attach(_text(outgoing.body_text, "plain"))
    parts.attach(_text(outgoing.body_html, "html"))
    message: Message = parts
    if outgoing.attachment:
        message = MIMEMultipart("mixed", policy=_POLICY)
        message.attach(parts)
        calendar = _text(outgoing.attachment, "calendar")
        # a plain attachment, not an invitation: a method in its type (RFC 6047) would need the same METHOD in the
        # calendar itself, and makes some clients treat a reminder as a meeting request to answer
        calendar.add_header("Content-Disposition", "attachment", filename="doorbraak-vervolg.ics")
        message.attach(calendar)
    message["From"] = formataddr((sender_display(outgoing.sender_name), sender), charset="utf-8")
    # a domain in other letters goes as its xn-- form: no server on the way needs SMTPUTF8
    message["To"] = ascii_form(outgoing.recipient)
    subject = header_text(outgoing.subject)
    message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    message["Date"] = format_datetime(now)
    # stored before the first attempt: a message sent again after a crash is recognisably the same one
    message["Message-ID"] = outgoing.message_id
    message["Auto-Submitted"] = "auto-generated"
    if outgoing.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{outgoing.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


# why a message was not sent, as the outbox records it ("reason: the server's words") and its page names it
SEND_FAILURES = ("unreachable", "login_refused", "refused", "recipient_refused", "unbuildable")
# the one failure that trying again cannot mend: the outbox marks it failed at once
UNBUILDABLE = "unbuildable: "


class SendError(Exception):
    """The server could not be reached, refused the login, or refused the message: a reason and the details."""

    def __init__(self, reason: str, detail: str) -> None:
        assert reason in SEND_FAILURES
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class Connection:
    """One SMTP connection, opened on first use and kept for the next message; not shared between threads."""

    def __init__(self, config: SmtpConfig, *, timeout: float = 30) -> None:
        self.config = config
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        config = self.config
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if config.implicit_tls:
            smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=self.timeout)
        try:
            # each message is a few short commands, each waiting for its reply: without this, Nagle's algorithm
            # holds a command back until the previous segment is acknowledged (the peer's delayed ACK, ~40 ms)
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo()
            if not config.implicit_tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            if config.username is not None and config.password is not None:
                smtp.login(config.username, config.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def probe(self) -> None:
        """Connect and sign in now, to learn whether the server takes us; SendError says why not."""
        try:
            if self._smtp is None:
                self._smtp = self._open()
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise _failure(exc) from exc

    def send(self, message: Message, recipient: str) -> None:
        """Hand one message to the server; SendError says why it was not accepted."""
        try:
            if self._smtp is None:
                self._smtp = self._open()
            try:
                self._smtp.send_message(message, from_addr=self.config.sender, to_addrs=[recipient])
            except smtplib.SMTPServerDisconnected:
                # the server closed a connection we kept open: one fresh connection, then it counts as a failure
                self.close()
                self._smtp = self._open()
                self._smtp.send_message(message, from_addr=self.config.sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            # the connection is fine: only this address was refused
            code, reply = next(iter(exc.recipients.values()))
            raise SendError("recipient_refused", f"{code} {_reply(reply)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise _failure(exc) from exc

    def close(self) -> None:
        """Close the connection (quietly: it may be gone already)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _failure(exc: Exception) -> SendError:
    """Why a connection or a message failed, as the outbox and the log say it."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SendError("login_refused", f"{exc.smtp_code} {_reply(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        return SendError("refused", f"{exc.smtp_code} {_reply(exc.smtp_error)}")
    return SendError("unreachable", f"{type(exc).__name__}: {exc}")


def _reply(reply: bytes | str) -> str:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    return header_text(text)
