"""The workspace page (name, members and roles, invitations, switching) and an invitation's link."""

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app import security
from app.accounts import service as accounts
from app.auth import (
    CsrfChecked,
    Manager,
    SignInAttempt,
    Viewer,
    account_signing_in,
    sign_in,
    sign_in_succeeded,
    sign_out,
    signed_in_member,
)
from app.errors import DomainError, UnknownLink
from app.i18n import N_
from app.labels import ROLE_LABELS
from app.models import ROLES, Facilitator, Member, RowId
from app.runtime import Runtime, RuntimeDep
from app.security import whole_number
from app.store.events import Tx
from app.web import render, see_other
from app.workspaces import service as workspaces

router = APIRouter()
# what the page says after a change, by the key the redirect carries
DONE = {
    "naam": N_("De naam is opgeslagen."),
    "rol": N_("De rol is gewijzigd."),
    "verwijderd": N_("Het lid is uit de werkruimte gehaald."),
    "ingetrokken": N_("De uitnodiging is ingetrokken: de link werkt niet meer."),
    "nieuw": N_("Je nieuwe werkruimte staat klaar. Je bent er beheerder."),
}
# a refusal with nothing typed to keep, by the key the redirect back to the page carries: a reload of the page that
# says it then asks again rather than posting the refused change once more
REFUSED: dict[str, Callable[[], DomainError]] = {"laatste-beheerder": workspaces.last_beheerder}
REFUSED_KEYS = {refusal().code: key for key, refusal in REFUSED.items()}
# typed text: long enough that a too-long value gets the service's own message rather than a bare 422
FormText = Annotated[str, Form(max_length=1000)]


async def _page(request: Request, runtime: Runtime, member: Member, *, status: int = 200, **extra: Any) -> Response:
    """The workspace page for this member, with what a change left to say."""
    view = await runtime.db.read(partial(workspaces.workspace_view, member=member))
    done = DONE.get(request.query_params.get("gedaan", ""))
    refused = REFUSED.get(request.query_params.get("fout", ""))
    if refused is not None and "errors" not in extra:
        extra["errors"] = [refused().text()]
    context = {
        "workspace": view,
        "can_manage": member.can_manage,
        "roles": ROLES,
        "role_labels": ROLE_LABELS,
        "done": done,
        "invitation_days": workspaces.INVITATION_DAYS,
        **extra,
    }
    return render(request, "workspaces/workspace.html", context, status=status)


async def _refused(request: Request, runtime: Runtime, member: Member, exc: DomainError, **form: Any) -> Response:
    """A refusal a person can fix: back to the page that says it, or the page again with what was typed."""
    if exc.code in REFUSED_KEYS:
        return see_other(f"/f/werkruimte?fout={REFUSED_KEYS[exc.code]}")
    if exc.status not in (409, 422):
        raise exc
    return await _page(request, runtime, member, status=exc.status, errors=[exc.text()], form=form)


async def _change(
    request: Request, runtime: Runtime, member: Member, job: Callable[[Tx], object], *, done: str, **form: Any
) -> Response:
    """Run a change of the workspace page; a refusal a person can fix is said on the page."""
    try:
        await runtime.db.write(job)
    except DomainError as exc:
        return await _refused(request, runtime, member, exc, **form)
    return see_other(f"/f/werkruimte?gedaan={done}")


@router.get("/f/werkruimte")
async def workspace_page(request: Request, runtime: RuntimeDep, member: Viewer) -> Response:
    """The workspace: its name, members and roles, open invitations, and the member's other workspaces."""
    return await _page(request, runtime, member)


@router.post("/f/werkruimte/naam", dependencies=[CsrfChecked])
async def rename_workspace(request: Request, runtime: RuntimeDep, member: Manager, name: FormText = "") -> Response:
    """Give the workspace another name (beheerder)."""
    job = partial(workspaces.rename_workspace, member=member, name=name)
    return await _change(request, runtime, member, job, done="naam", name=name)


@router.post("/f/werkruimte/wissel", dependencies=[CsrfChecked])
async def switch_workspace(runtime: RuntimeDep, member: Viewer, workspace_id: FormText = "") -> Response:
    """Work in another of the account's workspaces; one it is no member of is not found."""
    chosen = whole_number(workspace_id)
    if chosen is None:
        raise DomainError("workspace_not_found", N_("Deze werkruimte bestaat niet."), status=404)
    await runtime.db.write(partial(workspaces.switch_workspace, member=member, workspace_id=chosen))
    return see_other("/f/workshops")


@router.post("/f/werkruimten", dependencies=[CsrfChecked])
async def create_workspace(request: Request, runtime: RuntimeDep, member: Viewer, name: FormText = "") -> Response:
    """A new workspace with this account as its beheerder; the browser switches to it."""
    job = partial(workspaces.create_workspace, member=member, name=name)
    return await _change(request, runtime, member, job, done="nieuw", new_name=name)


@router.post("/f/werkruimte/leden/{account_id}/rol", dependencies=[CsrfChecked])
async def change_role(
    request: Request,
    runtime: RuntimeDep,
    member: Manager,
    account_id: RowId,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Give a member another role (beheerder); the last beheerder cannot step down."""
    job = partial(workspaces.change_role, member=member, account_id=account_id, role=role)
    return await _change(request, runtime, member, job, done="rol")


@router.post("/f/werkruimte/leden/{account_id}/verwijderen", dependencies=[CsrfChecked])
async def remove_member(request: Request, runtime: RuntimeDep, member: Manager, account_id: RowId) -> Response:
    """Take a member out of the workspace (beheerder); their browsers in it are signed out at once."""
    try:
        await runtime.db.write(partial(workspaces.remove_member, member=member, account_id=account_id))
    except DomainError as exc:
        return await _refused(request, runtime, member, exc)
    if account_id != member.account_id:
        return see_other("/f/werkruimte?gedaan=verwijderd")
    # this browser's own session was in the workspace it just left
    response = see_other("/f/login")
    sign_out(response)
    return response


@router.post("/f/werkruimte/uitnodigingen", dependencies=[CsrfChecked])
async def create_invitation(
    request: Request,
    runtime: RuntimeDep,
    member: Manager,
    role: Annotated[str, Form(max_length=20)] = "facilitator",
    note: FormText = "",
) -> Response:
    """A single-use invitation link (beheerder), shown on this page once: only its hash is kept."""
    try:
        token = await runtime.db.write(partial(workspaces.create_invitation, member=member, role=role, note=note))
    except DomainError as exc:
        if exc.status != 422:
            raise
        form = {"role": role, "note": note}
        return await _page(request, runtime, member, status=422, errors=[exc.text()], invite_form=form)
    base = runtime.settings.public_url or str(request.base_url)
    link = f"{base.rstrip('/')}/uitnodiging/{token}"
    return await _page(request, runtime, member, new_link=link, new_link_role=role, new_link_note=note.strip())


@router.post("/f/werkruimte/uitnodigingen/{invitation_id}/intrekken", dependencies=[CsrfChecked])
async def revoke_invitation(request: Request, runtime: RuntimeDep, member: Manager, invitation_id: RowId) -> Response:
    """Withdraw an unused invitation (beheerder): its link leads nowhere any more."""
    job = partial(workspaces.revoke_invitation, member=member, invitation_id=invitation_id)
    return await _change(request, runtime, member, job, done="ingetrokken")


async def _invitation_refused(request: Request, runtime: Runtime, exc: DomainError) -> Response:
    """The page for a link that leads nowhere; unknown links count against their address (Runtime.unknown_link)."""
    if isinstance(exc, UnknownLink):
        exc = await runtime.unknown_link(request) or exc
    response = render(
        request, "workspaces/invitation_gone.html", {"message": exc.text(), "code": exc.code}, status=exc.status
    )
    if exc.status == 429:
        response.headers["retry-after"] = str(exc.params["seconds"])
    return response


async def _landing(request: Request, runtime: Runtime, token: str, *, status: int = 200, **extra: Any) -> Response:
    """The invitation's page: join as the signed-in account, or make an account (or sign in first)."""
    member = await signed_in_member(request)
    account_id = member.account_id if member else None

    def load(db: Any) -> tuple[workspaces.InvitationLanding, Facilitator | None]:
        landing = workspaces.invitation_landing(db, token=token, account_id=account_id)
        return landing, db.get(Facilitator, account_id) if account_id is not None else None

    try:
        landing, account = await runtime.db.read(load)
    except DomainError as exc:
        return await _invitation_refused(request, runtime, exc)
    context = {"invitation": landing, "account": account, "token": token, "role_labels": ROLE_LABELS, **extra}
    return render(request, "workspaces/invitation.html", context, status=status)


# where an accepted invitation leads: the workshop list, saying which workspace and role the person now has
WELCOME = "/f/workshops?welkom=1"


@router.get("/uitnodiging/{token}")
async def invitation_page(request: Request, runtime: RuntimeDep, token: str) -> Response:
    """Where an invitation's link leads: what it offers, or why it no longer works."""
    return await _landing(request, runtime, token)


@router.post("/uitnodiging/{token}", dependencies=[CsrfChecked])
async def accept_invitation(request: Request, runtime: RuntimeDep, member: Viewer, token: str) -> Response:
    """Join the workspace as the signed-in account (a member already keeps their role) and work in it."""
    try:
        await runtime.db.write(partial(workspaces.accept_invitation, token=token, member=member))
    except DomainError as exc:
        if exc.status == 409:
            raise
        return await _invitation_refused(request, runtime, exc)
    return see_other(WELCOME)


@router.post("/uitnodiging/{token}/account", dependencies=[CsrfChecked])
async def accept_with_new_account(
    request: Request,
    runtime: RuntimeDep,
    token: str,
    name: FormText = "",
    email: FormText = "",
    password: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Make an account that joins the workspace in the same write, and sign it in."""
    try:
        # the invitation first, then what is cheap to check: judging and hashing a password is CPU that only
        # someone invited may spend, and a refused one as often as a wrong password may be tried
        await runtime.db.read(partial(workspaces.usable_invitation, token=token))
        name, email = workspaces.check_new_account(name=name, email=email)
        if await runtime.db.read(partial(accounts.account_by_email, email=email)) is not None:
            raise accounts.email_taken()
        async with security.judging_turn():
            # the allowance is read in the turn: tries sent at once meet the count that the first of them left
            await runtime.check_new_account_rate(request)
            try:
                await anyio.to_thread.run_sync(partial(accounts.check_new_password, password, known=(name, email)))
            except DomainError:
                await runtime.count_refused_new_account(request)
                raise
        password_hash = await security.hashed(password)
        job = partial(
            workspaces.accept_with_new_account, token=token, name=name, email=email, password_hash=password_hash
        )
        session_token = await runtime.db.write(job)
    except DomainError as exc:
        if exc.status in (404, 410):
            return await _invitation_refused(request, runtime, exc)
        if exc.status not in (409, 422, 429):
            raise
        return await _landing(
            request, runtime, token, status=exc.status, error=exc.text(), code=exc.code, name=name, email=email
        )
    response = see_other(WELCOME)
    sign_in(response, request, session_token)
    await sign_in_succeeded(response, request, SignInAttempt.of(request, email))
    return response


@router.post("/uitnodiging/{token}/inloggen", dependencies=[CsrfChecked])
async def accept_with_sign_in(
    request: Request,
    runtime: RuntimeDep,
    token: str,
    email: FormText = "",
    password: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Sign in with an existing account and join the workspace in one step."""
    attempt = SignInAttempt.of(request, email)
    found = await runtime.db.read(partial(accounts.account_by_email, email=email))
    account = await account_signing_in(request, attempt, found, password)
    if not isinstance(account, Facilitator):
        page = await _landing(request, runtime, token, status=account.status, error=account.message, login_email=email)
        return account.told(page)
    try:
        session_token = await runtime.db.write(
            partial(workspaces.accept_with_sign_in, token=token, account_id=account.id or 0)
        )
    except DomainError as exc:
        if exc.status in (404, 410):
            return await _invitation_refused(request, runtime, exc)
        raise
    response = see_other(WELCOME)
    sign_in(response, request, session_token)
    await sign_in_succeeded(response, request, attempt)
    return response
