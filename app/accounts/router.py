"""Sign in, sign out, and the first-run setup page."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts import service as accounts
from app.auth import CsrfChecked, session_token, sign_in, sign_out
from app.errors import DomainError
from app.i18n import N_, gettext
from app.runtime import RuntimeDep, client_address
from app.store.events import Tx
from app.web import render, see_other

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/f/workshops"


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
    """Check the password and hand out a session cookie."""
    wait = runtime.login_limiter.hit(client_address(request))
    if wait:
        message = gettext(N_("Te veel pogingen. Wacht {seconds} seconden en probeer het opnieuw.")).format(
            seconds=int(wait) + 1
        )
        return render(request, "accounts/login.html", {"error": message, "email": email, "next": next}, status=429)
    facilitator = await runtime.db.read(partial(accounts.authenticate, email=email, password=password))
    if facilitator is None:
        return render(
            request,
            "accounts/login.html",
            {"error": gettext(N_("E-mailadres of wachtwoord klopt niet.")), "email": email, "next": next},
            status=401,
        )
    try:
        token = await runtime.db.write(partial(accounts.start_session, account_id=facilitator.id or 0))
    except DomainError as exc:  # every membership was removed: the account opens nothing
        return render(
            request, "accounts/login.html", {"error": exc.text(), "email": email, "next": next}, status=exc.status
        )
    response = see_other(_safe_next(next))
    sign_in(response, request, token)
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


@router.post("/setup", dependencies=[CsrfChecked])
async def setup(
    request: Request,
    runtime: RuntimeDep,
    name: Annotated[str, Form(min_length=1, max_length=120)],
    email: Annotated[str, Form(min_length=3, max_length=254)],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Create the first account and sign it in; refused once any account exists."""
    error = None
    if "@" not in email:
        error = gettext(N_("Vul een geldig e-mailadres in."))
    elif len(password) < 10:
        error = gettext(N_("Kies een wachtwoord van minstens 10 tekens."))
    if error:
        return render(request, "accounts/setup.html", {"error": error, "name": name, "email": email}, status=422)

    def create_first(db: Tx) -> str:
        if accounts.count_facilitators(db) > 0:
            raise DomainError("setup_done", N_("Er is al een account. Log in."), status=409)
        account = accounts.create_facilitator(db, email=email, name=name, password=password)
        return accounts.start_session(db, account_id=account.id or 0)

    token = await runtime.db.write(create_first)
    response = see_other("/f/workshops")
    sign_in(response, request, token)
    return response
