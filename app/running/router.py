"""Pages for facilitators (workshop list, board), the projector, and phones joining; moving through the steps."""

import gzip
import json
import uuid
from datetime import date, time
from functools import partial
from typing import Annotated, Any, TypeVar

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from app import i18n
from app.actions import review
from app.actions import service as actions
from app.assets import accepts_gzip
from app.auth import CsrfChecked, Runner, Viewer, set_private_cookie
from app.catalog import saved as saved_formats
from app.catalog.service import formats
from app.errors import DomainError, UnknownLink, day_out_of_range
from app.i18n import N_, gettext
from app.labels import ROLE_LABELS, STATUS_LABELS, translated
from app.models import Facilitator, Member, RowId, Workshop, Workspace, local_today
from app.organisations import service as organisations
from app.running import service as running
from app.running.snapshots import phone_page_state
from app.runtime import JoinList, Runtime, RuntimeDep
from app.security import clean_line, clean_text, day_in_range, normalise_join_code, whole_number
from app.stage import service as stage
from app.web import render, render_kept, see_other, templates, wants_json
from app.workshops import service as workshops
from app.workshops.service import JoinCard, PhoneCard

router = APIRouter()
# what a join code opened: the workshop, or its keys (workshops.phone_keys)
Found = TypeVar("Found")
PARTICIPANT_MAX_AGE = 60 * 24 * 3600


def join_url(request: Request, runtime: Runtime, workshop: Workshop) -> str:
    """The address a phone opens: the configured public URL, else this server as the browser reached it."""
    base = runtime.settings.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/j/{workshop.join_code}"


def spaced_code(code: str) -> str:
    """A join code in two groups of three, easier to read from the back of the room."""
    return f"{code[:3]} {code[3:]}"


@router.get("/")
async def home(request: Request) -> Response:
    """The start page: join with a code."""
    return render(request, "participant/home.html")


@router.post("/join", dependencies=[CsrfChecked])
async def join_with_code(
    request: Request, runtime: RuntimeDep, code: Annotated[str, Form(max_length=40)] = ""
) -> Response:
    """Go from a typed code to its workshop."""
    error = await runtime.code_refusal(request)
    workshop = None
    if error is None:
        workshop = await runtime.db.read(lambda db: workshops.workshop_by_code(db, code))
        if workshop is None:
            error = await runtime.unknown_code(request)
        elif workshop.closed_at is not None:
            error = DomainError("closed_code", N_("Deze workshop is afgelopen. Meedoen kan niet meer."), status=410)
    if error is not None:
        return render(request, "participant/home.html", {"error": error.text(), "code": code}, status=error.status)
    assert workshop is not None
    return see_other(f"/j/{workshop.join_code}")


async def _known_code(request: Request, runtime: Runtime, found: Found | None, *, joined: bool) -> Found:
    """What a code opened (its workshop, or the workshop's keys); an unknown code, or any code while this address
    guesses, is refused."""
    if found is None or not joined:
        # a phone that joined proves it knows the code; anyone else may be guessing, so is asked about the
        # address's unknown codes before the answer can tell a real code from a wrong one
        refusal = await runtime.code_refusal(request)
        if refusal is not None:
            raise refusal
        if found is None:
            raise await runtime.unknown_code(request)
    return found


async def _join_list(runtime: Runtime, workshop: JoinCard) -> JoinList:
    """The organisations a joining phone may pick, read and encoded once per few seconds per workshop.

    A join storm opens the join page and asks for this list once per phone: the database and gzip see it once.
    """
    found = runtime.join_lists.get(workshop.id)
    if found is None:
        choices = await runtime.db.read(
            partial(organisations.join_choices, workspace_id=workshop.workspace_id, workshop_id=workshop.id)
        )
        body = json.dumps({"organisations": choices}, ensure_ascii=False, separators=(",", ":")).encode()
        found = JoinList(choices=choices, body=body, gzipped=gzip.compress(body))
        runtime.join_lists.put(workshop.id, found)
    return found


async def _join_page(
    request: Request, runtime: Runtime, workshop: JoinCard, *, status: int = 200, **extra: Any
) -> Response:
    """The join form, with the workshop's organisations to pick from (a plain select until the script takes over).

    As every fresh phone gets it (no error, nothing typed), it is rendered and gzipped once per few seconds around
    the CSRF token: a join storm asks for the same page a thousand times. A list of 200 names is 13 KB of a phone's
    first 50; gzipped it is under 1 KB.
    """
    listed = await _join_list(runtime, workshop)
    return render_kept(
        request,
        runtime,
        "participant/join.html",
        {"workshop": workshop, "choices": listed.choices, **extra},
        workshop_id=workshop.id,
        # the list too (its JSON, the same object while it is kept: hashed once): it is read again on its own clock,
        # and a page kept from the list before would offer the old one for up to as long again
        shown=(workshop.title, workshop.opgave, workshop.allow_anonymous, listed.body),
        fills={"csrf_token": request.state.csrf_token},
        keep=status == 200 and not extra,
        status=status,
    )


async def _fresh_phone(request: Request, runtime: Runtime, card: JoinCard | None) -> Response:
    """The join page for a phone that has not joined: refused for a guessed code, 410 once the session is over."""
    card = await _known_code(request, runtime, card, joined=False)
    if card.closed:
        raise DomainError("closed_code", N_("Deze workshop is afgelopen. Meedoen kan niet meer."), status=410)
    return await _join_page(request, runtime, card)


@router.get("/j/{code}")
async def phone_page(request: Request, runtime: RuntimeDep, code: str, sent: int = 0) -> Response:
    """A phone's page: the join form first, then the current question.

    What every phone of the workshop sees alike is rendered once per few seconds; this phone's name, answers, token
    and the jargon list (which its facilitator may have just changed) are filled in (render_kept).
    """

    if workshops.participant_cookie(normalise_join_code(code)) not in request.cookies:
        # a fresh phone (a join storm's thousand): the join page, from what it shows of the workshop alone
        return await _fresh_phone(request, runtime, await runtime.db.read(partial(workshops.join_card, code=code)))

    def find(db: Any) -> tuple[PhoneCard | None, dict[str, Any] | None]:
        card = workshops.phone_card(db, code=code, cookies=request.cookies)
        if card is None or card.phone is None:
            return card, None
        return card, phone_page_state(db, card=card, phone=card.phone)

    found, state = await runtime.db.read(find)
    if state is None:  # a cookie for no participant of this workshop: as a fresh phone
        return await _fresh_phone(request, runtime, found.workshop if found is not None else None)
    card = await _known_code(request, runtime, found, joined=True)
    workshop = card.workshop
    config = {"code": workshop.join_code, "workshop": card.public_id, "lang": i18n.current_locale.get()}
    return render_kept(
        request,
        runtime,
        "participant/phone.html",
        {"workshop": workshop, "step": card.step, "sent": bool(sent), "options": state["options"]},
        workshop_id=workshop.id,
        shown=(workshop.title, workshop.opgave, workshop.closed, card.step_index, repr(card.step)),
        fills={
            "csrf_token": request.state.csrf_token,
            "client_id": str(uuid.uuid4()),
            # each part isolated: a right-to-left name beside a left-to-right organisation read as one jumbled run
            "me_line": str(escape(" · ".join(f"\u2068{part}\u2069" for part in state["me_parts"]))),
            "me_parts": str(Markup(" · ").join(Markup("<bdi>{}</bdi>").format(part) for part in state["me_parts"])),
            "my_answers": templates.get_template("participant/_my_answers.html").render(answers=state["answers"]),
            "phone_config": htmlsafe_json_dumps({**config, "jargon": state["jargon"]}),
        },
        # what an answer may belong to grows with every answer: read for each page
        keep=not state["options"],
    )


@router.get("/j/{code}/organisaties")
async def join_organisations(request: Request, runtime: RuntimeDep, code: str) -> Response:
    """The organisations a joining phone may pick from, for its type-ahead: names only."""
    refusal = await runtime.code_refusal(request)
    if refusal is not None:
        raise refusal
    workshop = await runtime.db.read(partial(workshops.join_card, code=code))
    if workshop is None:
        raise await runtime.unknown_code(request)
    if workshop.closed:
        raise DomainError("closed_code", N_("Deze workshop is afgelopen. Meedoen kan niet meer."), status=410)
    found = await _join_list(runtime, workshop)
    headers = {"cache-control": "private, max-age=5", "vary": "accept-encoding"}
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        return Response(found.gzipped, media_type="application/json", headers={**headers, "content-encoding": "gzip"})
    return Response(found.body, media_type="application/json", headers=headers)


@router.post("/j/{code}/participant", dependencies=[CsrfChecked])
async def join(
    request: Request,
    runtime: RuntimeDep,
    code: str,
    name: Annotated[str, Form(max_length=200)] = "",
    organisation: Annotated[str, Form(max_length=300)] = "",
    organisation_choice: Annotated[str, Form(max_length=300)] = "",
    anonymous: Annotated[bool, Form()] = False,
) -> Response:
    """Add this phone to the workshop and remember it in a cookie."""
    # the workshop's and this browser's keys in one statement: the workshop itself is only needed to show the form
    # again (a join storm posts a thousand forms)
    keys = await runtime.db.read(partial(workshops.phone_keys, code=code, cookies=request.cookies))
    workshop_id, _, participant_id = await _known_code(
        request, runtime, keys, joined=keys is not None and keys[2] is not None
    )
    join_code = normalise_join_code(code)
    if participant_id is not None:
        return see_other(f"/j/{join_code}")
    # without the script the form has a list and an "anders" field: what was typed wins over what was picked
    chosen = organisation if organisation.strip() else organisation_choice
    await runtime.check_join(request, workshop_id)
    try:
        token = await runtime.db.write(
            partial(
                workshops.join_workshop,
                workshop_id=workshop_id,
                name=name,
                organisation=chosen,
                anonymous=anonymous,
            ),
            # it refuses only before its first write: two statements fewer per join of a storm
            savepoint=False,
        )
    except DomainError as exc:
        if exc.status != 422:
            raise
        card = await runtime.db.read(partial(workshops.join_card, code=code))
        return await _join_page(
            request,
            runtime,
            await _known_code(request, runtime, card, joined=False),
            status=422,
            error=exc.text(),
            name=name,
            organisation=organisation,
            organisation_choice=organisation_choice,
        )
    response = see_other(f"/j/{join_code}")
    set_private_cookie(response, request, workshops.participant_cookie(join_code), token, max_age=PARTICIPANT_MAX_AGE)
    return response


@router.get("/f/workshops")
async def workshop_list(request: Request, runtime: RuntimeDep, member: Viewer, welkom: str = "") -> Response:
    """A facilitator's workshops and the form for a new one; after an invitation, a welcome naming the role."""
    welcome_role = ROLE_LABELS.get(member.role) if welkom else None
    return await _workshop_list_page(request, runtime, member, welcome_role=welcome_role)


async def _workshop_list_page(
    request: Request, runtime: Runtime, member: Member, *, status: int = 200, **extra: Any
) -> Response:
    """The workshop list with the new-workshop form, optionally with the form's errors and values."""

    def load(db: Any) -> tuple[Facilitator | None, Workspace | None, list[Workshop], list[Any]]:
        own = saved_formats.list_saved(db, workspace_id=member.workspace_id)
        workshops_here = running.list_workshops(db, workspace_id=member.workspace_id)
        return db.get(Facilitator, member.account_id), db.get(Workspace, member.workspace_id), workshops_here, own

    facilitator, workspace, items, own = await runtime.db.read(load)
    context = {
        "facilitator": facilitator,
        "workspace": workspace,
        "can_run": member.can_run,
        "workshops": items,
        "formats": formats(),
        "own_formats": [(saved_formats.OWN_PREFIX + row.key, row.spec) for row in own],
        # the form's first date: today in the Netherlands, whatever clock the server keeps
        "today": local_today().isoformat(),
        **extra,
    }
    return render(request, "facilitator/workshops.html", context, status=status)


@router.post("/f/workshops", dependencies=[CsrfChecked])
async def create_workshop(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    title: Annotated[str, Form(max_length=200)] = "",
    opgave: Annotated[str, Form(max_length=2000)] = "",
    held_on: Annotated[str, Form(max_length=20)] = "",
    format_key: Annotated[str, Form(max_length=64)] = "doorbraak",
    allow_anonymous: Annotated[bool, Form()] = False,
    moderated: Annotated[bool, Form()] = False,
    starts_at: Annotated[str, Form(max_length=10)] = "",
    dots: Annotated[str, Form(max_length=4)] = "3",
) -> Response:
    """Create a workshop from a format and open its board."""
    title, opgave = clean_line(title), clean_text(opgave)
    errors = []
    if not title:
        errors.append(gettext(N_("Geef de workshop een titel.")))
    if not opgave:
        errors.append(gettext(N_("Beschrijf de opgave.")))
    try:
        day = date.fromisoformat(held_on)
    except ValueError:
        errors.append(gettext(N_("Kies een geldige datum.")))
    else:
        # from 9999-12-31 there is no follow-up two weeks on, and the board, which offers one, could not open
        if not day_in_range(day):
            errors.append(day_out_of_range().text())
    try:
        start = time.fromisoformat(starts_at) if starts_at else None
    except ValueError:
        errors.append(gettext(N_("Kies een geldige begintijd (uu:mm).")))
    dots_each = whole_number(dots, low=1, high=20)
    if dots_each is None:
        errors.append(gettext(N_("Kies tussen 1 en 20 stippen per deelnemer.")))
    spec = await runtime.db.read(
        partial(saved_formats.chosen_format, workspace_id=member.workspace_id, choice=format_key)
    )
    if spec is None:
        errors.append(gettext(N_("Kies een bestaande werkvorm.")))
    if errors:
        form = {
            "title": title,
            "opgave": opgave,
            "held_on": held_on,
            "format_key": format_key,
            "allow_anonymous": allow_anonymous,
            "moderated": moderated,
            "starts_at": starts_at,
            "dots": dots,
        }
        return await _workshop_list_page(request, runtime, member, status=422, errors=errors, form=form)
    assert spec is not None and dots_each is not None
    workshop = await runtime.db.write(
        partial(
            running.create_workshop,
            workspace_id=member.workspace_id,
            facilitator_id=member.account_id,
            title=title,
            opgave=opgave,
            held_on=day,
            spec=spec,
            allow_anonymous=allow_anonymous,
            moderated=moderated,
            starts_at=start,
            dots=dots_each,
        )
    )
    return see_other(f"/f/workshops/{workshop.id}")


@router.get("/f/workshops/{workshop_id}")
async def board(request: Request, runtime: RuntimeDep, member: Viewer, workshop_id: RowId) -> Response:
    """The facilitator's live board."""

    def load(db: Any) -> tuple[Workshop, list[dict[str, Any]]]:
        workshop = workshops.owned_workshop(db, workshop_id=workshop_id, member=member)
        if not any(step["type"] == "action_review" for step in workshop.steps):
            return workshop, []
        earlier = review.candidates(db, workshop=workshop)
        return workshop, [{"id": w.id, "title": w.title, "held_on": w.held_on} for w in earlier]

    workshop, review_candidates = await runtime.db.read(load)
    return render(
        request,
        "facilitator/board.html",
        {
            "workshop": workshop,
            "join_url": join_url(request, runtime, workshop),
            "code": spaced_code(workshop.join_code),
            "projector_url": f"/p/{workshops.projector_token(workshop, secret=runtime.secret_key)}",
            "default_followup": actions.default_followup(workshop).isoformat(timespec="minutes"),
            "review_candidates": review_candidates,
            "can_run": member.can_run,
            # named as in the register and on an action's page, not in the lower case of running text
            "statuses": translated(STATUS_LABELS),
            # the board has the sentence model read the obstacles ahead of an ask (app/clusters/model.py)
            "reads_ahead": bool(runtime.settings.sentence_model) and member.can_run,
        },
    )


@router.post("/f/workshops/{workshop_id}/step", dependencies=[CsrfChecked])
async def move_step(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    workshop_id: RowId,
    to: Annotated[str, Form(max_length=8)],
) -> Response:
    """Move the workshop to another step; phones and projector follow live."""
    index = whole_number(to, low=0)
    target: int | str = to if index is None else index
    view = await runtime.db.write(partial(running.move_step, workshop_id=workshop_id, member=member, to=target))
    if wants_json(request):
        return JSONResponse({"step_index": view["step_index"], "closed": view["closed"]})
    return see_other(f"/f/workshops/{workshop_id}")


@router.post("/f/workshops/{workshop_id}/answers/{answer_id}/hidden", dependencies=[CsrfChecked])
async def set_hidden(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    workshop_id: RowId,
    answer_id: RowId,
    hidden: Annotated[bool, Form()],
) -> Response:
    """Hide an answer from the projector, or show it again."""

    def change(db: Any) -> dict[str, Any]:
        workshop = workshops.owned_workshop(db, workshop_id=workshop_id, member=member)
        return stage.set_answer_hidden(db, workshop=workshop, answer_id=answer_id, hidden=hidden)

    view = await runtime.db.write(change)
    if wants_json(request):
        return JSONResponse(view)
    return see_other(f"/f/workshops/{workshop_id}")


@router.get("/p/{token}")
async def projector(request: Request, runtime: RuntimeDep, token: str) -> Response:
    """The projector: its own unguessable link, no sign-in needed."""
    workshop = await runtime.db.read(
        partial(workshops.workshop_by_projector_token, token=token, secret=runtime.secret_key)
    )
    if workshop is None:
        raise UnknownLink("projector_not_found", N_("Deze projectorlink bestaat niet."))
    url = join_url(request, runtime, workshop)
    qr = segno.make(url, error="m").svg_inline(
        scale=10, border=2, dark="#111", light="#fff", omitsize=True, svgclass="qr"
    )
    return render(
        request,
        "projector/projector.html",
        {
            "workshop": workshop,
            # the link as opened: a projector link from before links were derived keeps its page and socket working
            "token": token,
            "join_url": url,
            "code": spaced_code(workshop.join_code),
            "qr_svg": qr,
            "host": url.split("//", 1)[-1].split("/", 1)[0],
        },
    )
