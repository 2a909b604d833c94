"""Between sessions on the web: Mijn afspraken's address, reports and feed; links in mails; the outbox and the
calendar pages of the programme office."""

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions import proposals
from app.auth import CsrfChecked, Manager, Runner, Viewer, set_private_cookie
from app.errors import DomainError
from app.exports import personal, wording
from app.i18n import N_, current_locale
from app.labels import MAIL_KIND_LABELS, translated
from app.models import ACTION_STATUSES, Facilitator, Member, Membership, RowId, local_today
from app.notify import feeds, outbox, reminders, service
from app.notify.mails import CONFIRM_LINK_FOR
from app.notify.sender import MailSetup, mail_setup
from app.runtime import Runtime, RuntimeDep
from app.security import whole_number
from app.store.events import Tx
from app.web import render, see_other, without_secret_links
from app.workshops import service as workshops

router = APIRouter()
NOTE_FIELD = Form(max_length=2000)
# the cookie of the browser that typed an address on Mijn afspraken (service.typist_proof)
TYPIST_COOKIE = "dbk_typist"
# what saving an address did (service.AddressSaved), as Mijn afspraken's query names it
ADDRESS_STATES = {"removed": "weg", "kept": "bewaard", "mailed": "gestuurd", "waiting": "wacht"}
REPORTED_TOO_OFTEN = N_("Je hebt vaak achter elkaar gemeld. Wacht {minutes} minuten en probeer het opnieuw.")
PROPOSED_TOO_OFTEN = N_(
    "Je hebt vaak achter elkaar een datum voorgesteld. Wacht {minutes} minuten en probeer het opnieuw."
)
FEEDS_TOO_OFTEN = N_("Je hebt vaak een nieuwe agenda-link gemaakt. Wacht {minutes} minuten en probeer het opnieuw.")


def _setup(request: Request) -> MailSetup:
    """The app's mail setup (made at start, with what the sender learnt since), or one read from the settings."""
    setup = getattr(request.app.state, "mail", None)
    return setup if isinstance(setup, MailSetup) else mail_setup(request.app.state.runtime.settings)


def _absolute(request: Request, path: str) -> str:
    """A link on this site as someone outside it opens it (a calendar): the public URL, else the one used now."""
    base = request.app.state.runtime.settings.public_url or str(request.base_url)
    return base.rstrip("/") + path


# ---- Mijn afspraken: an address for mails, a report, a calendar feed


async def _mine_page(
    request: Request, runtime: Runtime, link_token: str, *, status: int = 200, **extra: Any
) -> Response:
    data = await runtime.db.read(
        partial(personal.my_agreements, link_token=link_token, secret=runtime.secret_key, today=local_today())
    )
    context = {**data, "link": f"/m/{link_token}", "wording": wording, "forgotten": False, **extra}
    return render(request, "participant/mine.html", context, status=status)


async def _mine_refused(
    request: Request, runtime: Runtime, link_token: str, refused: DomainError, **shown: Any
) -> Response:
    """Mijn afspraken again, saying why a report or a proposed date was refused (and when to try again)."""
    page = await _mine_page(request, runtime, link_token, status=refused.status, **shown)
    if "retry_after" in refused.params:
        page.headers["retry-after"] = str(refused.params["retry_after"])
    return page


async def _within_mail_allowance(request: Request, runtime: Runtime, link_token: str) -> None:
    """Refuse a made-up link (404) before it counts against anyone's allowance, then a client or link over the
    allowance of giving an address: each try may mail someone."""
    participant, _ = await runtime.db.read(
        partial(workshops.participant_by_link, link_token=link_token, secret=runtime.secret_key)
    )
    await runtime.check_mail_address_rate(request, participant.id or 0)


@router.post("/m/{link_token}/e-mail", dependencies=[CsrfChecked])
async def give_address(
    request: Request,
    runtime: RuntimeDep,
    link_token: str,
    email: Annotated[str, Form(max_length=320)] = "",
    lang: Annotated[str, Form(max_length=8)] = "nl",
) -> Response:
    """Keep the participant's address (empty: remove it); a new one gets their link by mail."""
    if email.strip():
        try:
            await _within_mail_allowance(request, runtime, link_token)
        except DomainError as exc:
            if exc.code == "link_unknown":
                raise
            return await _mine_page(
                request, runtime, link_token, status=exc.status, email_error=exc.text(), typed_email=email
            )
    job = partial(
        service.save_address,
        link_token=link_token,
        email=email,
        lang=lang,
        links=_setup(request).links,
        secret=runtime.secret_key,
    )
    try:
        saved = await runtime.db.write(job)
    except DomainError as exc:
        if exc.code == "link_unknown":
            raise
        # an unsubscribed address: its owner may say yes to one mail (the form offers it, saying no more than this)
        offer = exc.code == "address_unsubscribed"
        return await _mine_page(
            request,
            runtime,
            link_token,
            status=exc.status,
            email_error=exc.text(),
            typed_email=email,
            offer_confirmation=offer,
            typed_lang=lang,
        )
    answer = see_other(f"/m/{link_token}?e-mail={ADDRESS_STATES[saved.state]}#e-mail")
    if saved.proof:
        # this browser typed the address: confirming from it (and only from it) shows and mails the personal link
        set_private_cookie(answer, request, TYPIST_COOKIE, saved.proof, max_age=int(CONFIRM_LINK_FOR.total_seconds()))
    return answer


@router.post("/m/{link_token}/e-mail/bevestigen", dependencies=[CsrfChecked])
async def ask_confirmation(
    request: Request,
    runtime: RuntimeDep,
    link_token: str,
    email: Annotated[str, Form(max_length=320)] = "",
    lang: Annotated[str, Form(max_length=8)] = "nl",
) -> Response:
    """Mail an unsubscribed address one link that lifts its unsubscribe; the answer is the same whether it went."""
    try:
        await _within_mail_allowance(request, runtime, link_token)
        job = partial(
            service.ask_to_resubscribe,
            link_token=link_token,
            email=email,
            lang=lang,
            links=_setup(request).links,
            secret=runtime.secret_key,
        )
        await runtime.db.write(job)
    except DomainError as exc:
        if exc.code == "link_unknown":
            raise
        return await _mine_page(
            request, runtime, link_token, status=exc.status, email_error=exc.text(), typed_email=email
        )
    return see_other(f"/m/{link_token}?e-mail=bevestigen#e-mail")


@router.post("/m/{link_token}/acties/{action_id}/status", dependencies=[CsrfChecked])
async def report(
    request: Request,
    runtime: RuntimeDep,
    link_token: str,
    action_id: RowId,
    status: Annotated[str, Form(max_length=20)],
    note: Annotated[str, NOTE_FIELD] = "",
) -> Response:
    """Report an action's status from Mijn afspraken; the page shows it, the register and running boards too."""
    participant, _ = await runtime.db.read(
        partial(workshops.participant_by_link, link_token=link_token, secret=runtime.secret_key)
    )
    job = partial(
        service.report_from_page,
        link_token=link_token,
        action_id=action_id,
        status=status,
        note=note,
        secret=runtime.secret_key,
    )
    try:
        await runtime.check_change_rate("report", participant.id or 0, REPORTED_TOO_OFTEN)
        await runtime.db.write(job)
    except DomainError as exc:
        if exc.code in ("link_unknown", "action_not_found", "not_reporter"):
            raise
        return await _mine_refused(
            request, runtime, link_token, exc, report_error={"action": action_id, "message": exc.text(), "note": note}
        )
    return see_other(f"/m/{link_token}?gemeld={action_id}#actie-{action_id}")


@router.post("/m/{link_token}/acties/{action_id}/datum", dependencies=[CsrfChecked])
async def propose_date(
    request: Request,
    runtime: RuntimeDep,
    link_token: str,
    action_id: RowId,
    due_on: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, NOTE_FIELD] = "",
) -> Response:
    """Propose a new due date from Mijn afspraken; the programme office takes it over or declines it."""
    participant, _ = await runtime.db.read(
        partial(workshops.participant_by_link, link_token=link_token, secret=runtime.secret_key)
    )
    today = local_today()
    try:
        await runtime.check_change_rate("proposal", participant.id or 0, PROPOSED_TOO_OFTEN)
        day = proposals.proposed_day(due_on, today=today)
        job = partial(
            service.propose_from_page,
            link_token=link_token,
            action_id=action_id,
            proposed_on=day,
            reason=reason,
            today=today,
            secret=runtime.secret_key,
        )
        await runtime.db.write(job)
    except DomainError as exc:
        if exc.code in ("link_unknown", "action_not_found", "not_proposer"):
            raise
        shown = {"action": action_id, "message": exc.text(), "due_on": due_on, "reason": reason}
        return await _mine_refused(request, runtime, link_token, exc, proposal_error=shown)
    return see_other(f"/m/{link_token}?voorgesteld={action_id}#actie-{action_id}")


@router.post("/m/{link_token}/agenda", dependencies=[CsrfChecked])
async def my_feed(request: Request, runtime: RuntimeDep, link_token: str) -> Response:
    """A calendar link of the participant's own dates, shown once (an earlier one stops working)."""
    participant, _ = await runtime.db.read(
        partial(workshops.participant_by_link, link_token=link_token, secret=runtime.secret_key)
    )
    await runtime.check_change_rate("feed", participant.id or 0, FEEDS_TOO_OFTEN)
    job = partial(service.participant_feed, link_token=link_token, secret=runtime.secret_key, lang=current_locale.get())
    token = await runtime.db.write(job)
    url = _absolute(request, f"/agenda/{token}.ics")
    context = {"url": url, "webcal": feeds.webcal(url), "back": f"/m/{link_token}"}
    return render(request, "notify/feed_link.html", context)


# ---- links in mails: a status button, unsubscribing


@router.get("/status/{token}")
async def confirm_status(request: Request, runtime: RuntimeDep, token: str, status: str = "") -> Response:
    """The page a reminder's button opens: nothing is reported until its one button is pressed."""
    link = await runtime.db.read(partial(service.status_link, token=token, secret=runtime.secret_key))
    chosen = status if status in ACTION_STATUSES else "bezig"
    return render(request, "notify/status_confirm.html", _confirm_context(link, token, chosen=chosen))


def _confirm_context(link: service.StatusLink, token: str, *, chosen: str) -> dict[str, Any]:
    """What a reminder link's page shows: the action, the statuses to choose from with one chosen, and its forms."""
    return {
        "link": link,
        "chosen": chosen,
        "statuses": ACTION_STATUSES,
        "wording": wording,
        "token": token,
        "today": local_today(),
    }


@router.post("/status/{token}", dependencies=[CsrfChecked])
async def report_status(
    request: Request,
    runtime: RuntimeDep,
    token: str,
    status: Annotated[str, Form(max_length=20)],
    note: Annotated[str, NOTE_FIELD] = "",
) -> Response:
    """Report the status the recipient confirmed; the link works once."""
    link = await runtime.db.read(partial(service.status_link, token=token, secret=runtime.secret_key))
    try:
        view = await runtime.db.write(partial(service.report_by_link, token=token, status=status, note=note))
    except DomainError as exc:
        if exc.code != "too_long" and exc.code != "bad_status":
            raise
        context = _confirm_context(link, token, chosen=status)
        return render(
            request, "notify/status_confirm.html", {**context, "error": exc.text(), "note": note}, status=exc.status
        )
    return render(request, "notify/status_done.html", {"link": link, "view": view, "wording": wording})


@router.post("/status/{token}/datum", dependencies=[CsrfChecked])
async def propose_date_by_link(
    request: Request,
    runtime: RuntimeDep,
    token: str,
    due_on: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, NOTE_FIELD] = "",
) -> Response:
    """Propose a new due date from a reminder's page; the link still reports a status after."""
    link = await runtime.db.read(partial(service.status_link, token=token, secret=runtime.secret_key))
    today = local_today()
    context = _confirm_context(link, token, chosen=link.status) | {"today": today}
    try:
        await runtime.check_change_rate("proposal", link.rate_key, PROPOSED_TOO_OFTEN)
        day = proposals.proposed_day(due_on, today=today)
        job = partial(service.propose_by_link, token=token, proposed_on=day, reason=reason, today=today)
        await runtime.db.write(job)
    except DomainError as exc:
        if exc.code in ("action_not_found", "not_proposer", "mail_link_unknown"):
            raise
        page = render(
            request,
            "notify/status_confirm.html",
            {**context, "proposal_error": exc.text(), "typed_due_on": due_on, "reason": reason},
            status=exc.status,
        )
        if "retry_after" in exc.params:
            page.headers["retry-after"] = str(exc.params["retry_after"])
        return page
    return render(request, "notify/status_confirm.html", {**context, "proposed": day})


@router.get("/afmelden/{token}")
async def confirm_unsubscribe(request: Request, runtime: RuntimeDep, token: str) -> Response:
    """What unsubscribing stops, with the button that does it (a GET changes nothing: mail scanners open links)."""
    info = await runtime.db.read(partial(service.unsubscribe_link, token=token))
    return render(request, "notify/unsubscribe.html", {**info, "token": token, "done": False})


@router.post("/afmelden/{token}")
async def unsubscribe(request: Request, runtime: RuntimeDep, token: str) -> Response:
    """Unsubscribe: the page's button, or a mail program's one-click POST (RFC 8058), which has no cookies."""
    await runtime.db.write(partial(service.unsubscribe, token=token))
    info = await runtime.db.read(partial(service.unsubscribe_link, token=token))
    return render(request, "notify/unsubscribe.html", {**info, "token": token, "done": True})


@router.post("/afmelden/{token}/weer-aanmelden", dependencies=[CsrfChecked])
async def resubscribe(request: Request, runtime: RuntimeDep, token: str) -> Response:
    """Take back what an unsubscribe stopped, from the page its mail's link opens (long ago: ask its address's owner
    by mail); the page says what happened."""
    job = partial(service.resubscribe, token=token, lang=current_locale.get(), links=_setup(request).links)
    outcome = await runtime.db.write(job)
    info = await runtime.db.read(partial(service.unsubscribe_link, token=token))
    return render(request, "notify/unsubscribe.html", {**info, "token": token, "outcome": outcome})


@router.get("/weer-aanmelden/{token}")
async def confirm_resubscribe_page(request: Request, runtime: RuntimeDep, token: str) -> Response:
    """The page a confirmation mail's link opens: nothing changes until its button is pressed."""
    info = await runtime.db.read(partial(service.resubscribe_link, token=token))
    return render(request, "notify/resubscribe.html", {**info, "token": token, "done": False})


@router.post("/weer-aanmelden/{token}", dependencies=[CsrfChecked])
async def confirm_resubscribe(request: Request, runtime: RuntimeDep, token: str) -> Response:
    """The address's owner says yes: its unsubscribe is lifted; the link works once."""
    info = await runtime.db.write(partial(service.confirm_resubscribe, token=token))
    return render(request, "notify/resubscribe.html", {**info, "token": token, "done": True})


@router.get("/e-mail-bevestigen/{token}")
async def confirm_address_page(request: Request, runtime: RuntimeDep, token: str) -> Response:
    """The page an address's confirmation link opens: nothing changes until its button is pressed."""
    info = await runtime.db.read(partial(service.confirm_address_link, token=token))
    return render(request, "notify/confirm_address.html", {**info, "token": token, "done": False})


@router.post("/e-mail-bevestigen/{token}", dependencies=[CsrfChecked])
async def confirm_address(request: Request, runtime: RuntimeDep, token: str) -> Response:
    """The address's owner confirms it: it now counts for who may report on what; the link works once."""
    job = partial(
        service.confirm_address,
        token=token,
        proof=request.cookies.get(TYPIST_COOKIE, ""),
        links=_setup(request).links,
        secret=runtime.secret_key,
    )
    info = await runtime.db.write(job)
    return render(request, "notify/confirm_address.html", {**info, "token": token, "done": True})


@router.get("/agenda/{token}.ics")
async def calendar_feed(runtime: RuntimeDep, token: str) -> Response:
    """A subscribed calendar: its events now (404 once revoked)."""
    body = await runtime.db.read(partial(feeds.feed_calendar, token=token))
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"cache-control": "private, max-age=300", "content-disposition": 'inline; filename="agenda.ics"'},
    )


# ---- the programme office: outgoing mail, calendar feeds, one's own digest


@router.get("/f/berichten")
async def outbox_page(request: Request, runtime: RuntimeDep, member: Manager) -> Response:
    """What was sent, waits, or failed (and why); without a mail server, what would have been sent."""

    def load(db: Session) -> dict[str, Any]:
        return {
            "messages": outbox.recent(db, workspace_id=member.workspace_id),
            "counts": outbox.counts(db, workspace_id=member.workspace_id),
            "unmade": reminders.unmade_count(db, workspace_id=member.workspace_id),
        }

    setup = _setup(request)
    data = await runtime.db.read(load)
    previews = {message.id: _masked(message.body_text) for message in data["messages"]}
    context = {
        **data,
        "previews": previews,
        "setup": setup,
        "wording": wording,
        "kinds": translated(MAIL_KIND_LABELS),
    }
    return render(request, "notify/outbox.html", context)


def _masked(text: str) -> str:
    """A mail's text with its personal links cut short: a beheerder reads what goes out, not people's keys."""
    return without_secret_links(text, "…")


async def _calendars_page(
    request: Request, runtime: Runtime, member: Member, *, status: int = 200, **extra: Any
) -> Response:
    def load(db: Session) -> dict[str, Any]:
        membership, email = db.execute(
            select(Membership, col(Facilitator.email))
            .join(Facilitator, col(Facilitator.id) == col(Membership.account_id))
            .where(col(Membership.account_id) == member.account_id, col(Membership.workspace_id) == member.workspace_id)
        ).one()
        return {
            "feeds": feeds.feeds_of(db, workspace_id=member.workspace_id),
            "organisations": feeds.organisations_of(db, workspace_id=member.workspace_id),
            "membership": membership,
            "email": email,
        }

    data = await runtime.db.read(load)
    context = {
        **data,
        "can_run": member.can_run,
        "can_manage": member.can_manage,
        "lang_now": current_locale.get(),
        "wording": wording,
        **extra,
    }
    return render(request, "notify/calendars.html", context, status=status)


@router.get("/f/agenda")
async def calendars(request: Request, runtime: RuntimeDep, member: Viewer, bewaard: str = "") -> Response:
    """Calendar feeds of the workspace and its organisations, and the member's own weekly digest."""
    return await _calendars_page(request, runtime, member, saved=bewaard)


@router.post(
    "/f/agenda",
    dependencies=[CsrfChecked],
    responses={
        201: {"description": "The feed is made; the page shows its link this once.", "content": {"text/html": {}}}
    },
)
async def new_calendar_feed(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    scope: Annotated[str, Form(max_length=20)] = "workspace",
    organisation_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Make a feed of the workspace or of one organisation; its link is shown this once."""
    chosen = whole_number(organisation_id)
    lang = current_locale.get()

    def job(db: Tx) -> str:
        return feeds.create_feed(
            db,
            workspace_id=member.workspace_id,
            scope=scope if scope in ("workspace", "organisation") else "",
            organisation_id=chosen,
            created_by=member.account_id,
            lang=lang,
        )

    try:
        token = await runtime.db.write(job)
    except DomainError as exc:
        return await _calendars_page(
            request, runtime, member, status=exc.status, errors=[exc.text()], scope_chosen=scope
        )
    url = _absolute(request, f"/agenda/{token}.ics")
    return await _calendars_page(
        request, runtime, member, status=201, new_link={"url": url, "webcal": feeds.webcal(url)}
    )


@router.post("/f/agenda/{feed_id}/intrekken", dependencies=[CsrfChecked])
async def revoke_calendar_feed(runtime: RuntimeDep, member: Manager, feed_id: RowId) -> Response:
    """Stop a feed: calendars that subscribed to it get nothing more (beheerder)."""
    await runtime.db.write(partial(feeds.revoke_feed, workspace_id=member.workspace_id, feed_id=feed_id))
    return see_other("/f/agenda?bewaard=1")


@router.post("/f/agenda/weekoverzicht", dependencies=[CsrfChecked])
async def digest_choice(
    runtime: RuntimeDep,
    member: Viewer,
    digest: Annotated[str, Form(max_length=5)] = "",
    lang: Annotated[str, Form(max_length=8)] = "nl",
) -> Response:
    """The member's own choice of the weekly digest by mail (any role: it changes only what they receive)."""
    job = partial(
        service.set_digest, account_id=member.account_id, workspace_id=member.workspace_id, on=digest == "on", lang=lang
    )
    await runtime.db.write(job)
    # its own confirmation, beside its form: the page comes back scrolled there, past the top of the page
    return see_other("/f/agenda?bewaard=weekoverzicht#weekoverzicht")
