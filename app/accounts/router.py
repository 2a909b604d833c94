"""Sign in, sign out, and the first-run setup page."""

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app import security
from app.accounts import service as accounts
from app.auth import (
    CsrfChecked,
    SignInAttempt,
    Viewer,
    account_signing_in,
    password_refusal,
    session_token,
    sign_in,
    sign_in_succeeded,
    sign_out,
)
from app.errors import DomainError
from app.i18n import N_, gettext
from app.models import Facilitator, Member
from app.runtime import Runtime, RuntimeDep
from app.store.events import Tx
from app.web import local_path, render, see_other

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after signing in."""
    return local_path(target, otherwise="/f/workshops")


@router.get("/f/login")
async def login_page(request: Request, runtime: RuntimeDep, next: str | None = None) -> Response:
    """The sign-in form; on a fresh install, the setup page instead."""
    if await runtime.db.read(accounts.count_facilitators) == 0:
        return see_other("/setup")
    return render(request, "accounts/login.html", {"next": _safe_next(next)})


@router.post("/f/login", dependencies=[CsrfChecked])
async def login(
    request: Request,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    """Check the password and hand out a session cookie; wrong passwords are slowed down (README: "Signing in")."""
    attempt = SignInAttempt.of(request, email)
    found = await runtime.db.read(partial(accounts.account_by_email, email=email))
    facilitator = await account_signing_in(request, attempt, found, password)
    if not isinstance(facilitator, Facilitator):
        context = {"error": facilitator.message, "email": email, "next": next}
        return facilitator.told(render(request, "accounts/login.html", context, status=facilitator.status))
    try:
        token = await runtime.db.write(partial(accounts.start_session, account_id=facilitator.id or 0))
    except DomainError as exc:  # every membership was removed: the account opens nothing
        return render(
            request, "accounts/login.html", {"error": exc.text(), "email": email, "next": next}, status=exc.status
        )
    response = see_other(_safe_next(next))
    sign_in(response, request, token)
    await sign_in_succeeded(response, request, attempt)
    return response


@router.post("/f/logout", dependencies=[CsrfChecked])
async def logout(request: Request, runtime: RuntimeDep) -> Response:
    """Sign out: the session ends on the server, so the old cookie opens nothing any more."""
    token = session_token(request)
    if token is not None:
        await runtime.db.write(partial(accounts.end_session, token=token))
    response = see_other("/")
    sign_out(response)
    return response


@router.get("/setup")
async def setup_page(request: Request, runtime: RuntimeDep) -> Response:
    """First run: create the first facilitator account."""
    if await runtime.db.read(accounts.count_facilitators) > 0:
        return see_other("/f/login")
    return render(request, "accounts/setup.html")


def _setup_done() -> DomainError:
    return DomainError("setup_done", N_("Er is al een account. Log in."), status=409)


@router.post("/setup", dependencies=[CsrfChecked])
async def setup(
    request: Request,
    runtime: RuntimeDep,
    name: Annotated[str, Form(min_length=1, max_length=120)],
    email: Annotated[str, Form(min_length=3, max_length=254)],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Create the first account and sign it in; refused once any account exists."""
    if await runtime.db.read(accounts.count_facilitators) > 0:
        # before the password is judged: zxcvbn's CPU (seconds, for some passwords) is no one's once set up
        raise _setup_done()
    error = None
    if "@" not in email:
        error = gettext(N_("Vul een geldig e-mailadres in."))
    else:
        try:
            judge = partial(accounts.check_new_password, password, known=(name, email))
            password_hash = await security.hashed_new_password(password, judge)
        except DomainError as exc:
            error = exc.text()
    if error:
        return render(request, "accounts/setup.html", {"error": error, "name": name, "email": email}, status=422)

    # named here, in the language the setup page was filled in: the writer runs outside this request
    workspace_name = gettext(N_("Werkruimte van {name}")).format(name=security.clean_line(name))

    def create_first(db: Tx) -> str:
        if accounts.count_facilitators(db) > 0:
            raise _setup_done()  # a second setup page sent at the same moment
        account = accounts.create_facilitator(
            db, email=email, name=name, password_hash=password_hash, workspace_name=workspace_name
        )
        return accounts.start_session(db, account_id=account.id or 0)

    token = await runtime.db.write(create_first)
    response = see_other("/f/workshops")
    sign_in(response, request, token)
    await sign_in_succeeded(response, request, SignInAttempt.of(request, email))
    return response


async def _account_page(
    request: Request, runtime: Runtime, member: Member, *, status: int = 200, **extra: Any
) -> Response:
    account = await runtime.db.read(lambda db: db.get(Facilitator, member.account_id))
    return render(request, "accounts/account.html", {"account": account, **extra}, status=status)


@router.get("/f/account")
async def account_page(request: Request, runtime: RuntimeDep, member: Viewer, gewijzigd: int = 0) -> Response:
    """The signed-in person's account: change the password, sign out everywhere."""
    notice = gettext(N_("Je wachtwoord is gewijzigd. Je andere inlogsessies zijn beëindigd.")) if gewijzigd else None
    return await _account_page(request, runtime, member, notice=notice)


@router.post("/f/account/wachtwoord", dependencies=[CsrfChecked])
async def change_password(
    request: Request,
    runtime: RuntimeDep,
    member: Viewer,
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Set a new password; every other session of this account ends. A wrong current password counts as a wrong
    sign-in to this account."""
    account = await runtime.db.read(lambda db: db.get(Facilitator, member.account_id))
    assert account is not None  # a member's session ends with its account
    refused = await password_refusal(request, SignInAttempt.of(request, account.email), account.password_hash, current)
    if refused is not None:
        error = refused.message or gettext(N_("Je huidige wachtwoord klopt niet."))
        status = 422 if refused.status == 401 else refused.status
        return refused.told(await _account_page(request, runtime, member, status=status, errors=[error]))
    try:
        judge = partial(accounts.check_new_password, new, known=(account.email, account.name))
        new_hash = await security.hashed_new_password(new, judge)
        change = partial(
            accounts.change_password,
            account_id=member.account_id,
            session_id=member.session_id,
            old_hash=account.password_hash,
            new_hash=new_hash,
        )
        await runtime.db.write(change)
    except DomainError as exc:
        return await _account_page(request, runtime, member, status=exc.status, errors=[exc.text()])
    return see_other("/f/account?gewijzigd=1")


@router.post("/f/account/overal-uitloggen", dependencies=[CsrfChecked])
async def sign_out_everywhere(runtime: RuntimeDep, member: Viewer) -> Response:
    """End every session of this account, this one included."""
    await runtime.db.write(partial(accounts.end_other_sessions, account_id=member.account_id))
    response = see_other("/f/login")
    sign_out(response)
    return response
