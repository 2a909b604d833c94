"""Page rendering, the browser middleware (CSRF cookie, language, security headers), error pages, and the secrets
kept out of the server's log."""

import logging
import math
import re
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import FileSystemLoader, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState

from app import i18n
from app.assets import accepts_gzip, static
from app.auth import CSRF_COOKIE, LoginRequired, cookie_secure, site_is_https
from app.errors import DomainError, UnknownLink, database_unavailable
from app.holed import HoledPage, markers
from app.i18n import N_, gettext
from app.labels import result_messages
from app.runtime import PageKey, Runtime, get_runtime
from app.security import FIRST_DAY, LAST_DAY
from app.store.database import Database, unreachable

log = logging.getLogger(__name__)

templates = Jinja2Templates(
    env=i18n.translating_environment(
        FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(default=True),
        # the templates ship with the code: no need to look at every file's time on every page
        auto_reload=False,
    )
)
# what per_language rendered, by template and language
_per_language: dict[tuple[str, str], Markup] = {}


def per_language(name: str) -> Markup:
    """A part of a page that depends on nothing but the language, rendered once per language and then reused.

    The phone page's views and texts are 85 translated strings, the same for every phone: rendered for each of a
    thousand phones joining, they were most of the page's cost.
    """
    key = (name, i18n.current_locale.get())
    found = _per_language.get(key)
    if found is None:
        found = _per_language[key] = Markup(templates.env.get_template(name).render())
    return found


templates.env.globals.update(
    result_messages=result_messages,
    static_url=static.url,
    module_url=static.module_url,
    data_url=static.data_url,
    per_language=per_language,
    # the days a date field offers (security.day_in_range refuses the others)
    first_day=FIRST_DAY.isoformat(),
    last_day=LAST_DAY.isoformat(),
)

# the health check's address (app/main.py), answered whatever the Host header says
HEALTH_PATH = "/healthz"
# a year: a browser that once reached the site over https keeps to https, whatever a link or a network says
HSTS = "max-age=31536000"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200) -> Response:
    """A page from templates/, with the CSRF token and language at hand."""
    context = {"csrf_token": request.state.csrf_token, "lang": i18n.current_locale.get(), **(context or {})}
    return templates.TemplateResponse(request, name, context, status_code=status)


def render_kept(
    request: Request,
    runtime: Runtime,
    name: str,
    context: dict[str, Any],
    *,
    workshop_id: int,
    shown: tuple[Any, ...],
    fills: Mapping[str, str],
    keep: bool = True,
    status: int = 200,
) -> Response:
    """A workshop's page as render makes it, kept for a few seconds (Runtime.pages) with holes for this request's own
    parts: fills names each part's context variable and its text, escaped (the CSRF token is "csrf_token").

    shown: what the page shows of the workshop (the key it is kept under: a change shows at once); keep=False renders
    without keeping (an address with a query is never kept, nor a page whose lists must not be late, nor one showing
    what was typed or an error).
    """
    key = PageKey(name, workshop_id, i18n.current_locale.get(), request.scope["path"], shown)
    keep = keep and not request.scope["query_string"]
    page = runtime.pages.get(key) if keep else None
    if page is None:
        holes = markers(fills)
        rendered = render(request, name, {**context, **holes})
        page = HoledPage.of(bytes(rendered.body).decode(), holes)
        if keep:
            runtime.pages.put(key, page)
    elif runtime.settings.environment == "test":
        _check_kept(request, name, context, page, fills)
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        headers = {"vary": "accept-encoding", "content-encoding": "gzip"}
        return Response(page.gzipped(fills), status_code=status, media_type="text/html", headers=headers)
    return Response(page.plain(fills), status_code=status, media_type="text/html", headers={"vary": "accept-encoding"})


def _check_kept(
    request: Request, name: str, context: dict[str, Any], page: HoledPage, fills: Mapping[str, str]
) -> None:
    """In tests, a kept page filled for this request must be what rendering it for this request gives: a part that
    differs per phone but is neither a fill nor in the key would otherwise show one phone's data to the next."""
    fresh = bytes(render(request, name, {**context, **{hole: Markup(text) for hole, text in fills.items()}}).body)
    if fresh != page.plain(fills):
        raise RuntimeError(
            f"the kept {name} differs from a fresh render: a per-request part is not a fill or in the key"
        )


def wants_json(request: HTTPConnection) -> bool:
    """Whether the caller is a script that wants JSON back rather than a page."""
    return "application/json" in request.headers.get("accept", "")


@dataclass(frozen=True)
class Pager:
    """Where a long list stands for its page links (_partials/_pager.html): this page, how many, each page's address."""

    page: int
    pages: int
    link: Callable[[int], str]

    @property
    def numbers(self) -> list[int | None]:
        """The page links to show: the first, the last, and two either side of this one; None marks a gap."""
        wanted = sorted({1, self.pages, *range(max(1, self.page - 2), min(self.pages, self.page + 2) + 1)})
        numbers: list[int | None] = []
        for number in wanted:
            if numbers and number - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers


def local_path(target: str | None, *, otherwise: str = "/") -> str:
    """The page to go back to: a path on this site, never another host (else otherwise)."""
    # "//host" and "/\\host" are read by browsers as another host; control characters can hide either (a browser
    # drops a raw tab or line break inside an address: "/<tab>/host" is "//host" to it, should a redirect ever send
    # it unencoded)
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and target.isprintable():
        return target
    return otherwise


def see_other(url: str) -> RedirectResponse:
    """A redirect after a POST."""
    return RedirectResponse(url, status_code=303)


async def save_word_list(
    db: Database,
    *,
    typed: str,
    action: str,
    parse: Callable[[str], tuple[Any, list[DomainError]]],
    save: Callable[..., None],
    show: Callable[..., Coroutine[Any, Any, Response]],
    path: str,
) -> Response:
    """A facilitator's own word list posted from its page: kept, or ("reset") back to the shipped one.

    save(db, words=...) stores the list (None: the shipped one); a list with bad lines is shown again by
    show(status=422, errors=..., text=...) with what was typed, and nothing is stored.
    """
    if action == "reset":
        await db.write(partial(save, words=None))
        return see_other(f"{path}?saved=reset")
    parsed, problems = parse(typed)
    if problems:
        return await show(status=422, errors=[problem.text() for problem in problems], text=typed)
    await db.write(partial(save, words=parsed))
    return see_other(f"{path}?saved=own")


# the paths whose next segment is a secret that opens something without signing in: a participant's personal link,
# a projector, the links in mails, a calendar feed, an invitation (tests/test_web.py checks every such route is here)
SECRET_PATHS = (
    "/m/",
    "/p/",
    "/ws/projector/",
    "/agenda/",
    "/afmelden/",
    "/status/",
    "/weer-aanmelden/",
    "/e-mail-bevestigen/",
    "/uitnodiging/",
)
# such a path wherever it stands: at the start of a request's path, in a full link in a mail, or as the page to go
# back to in a query (the language switch's /taal/en?next=/m/…, the sign-in's ?next=), its slashes as they are or as
# %2F; the secret is the token's characters (base64url, and the dot of a derived token) up to the next other one,
# and a feed's ".ics" stays
_SECRET_LINK = re.compile(
    "("
    + "|".join(re.escape(prefix).replace("/", "(?:/|%2[Ff])") for prefix in SECRET_PATHS)
    + r")[\w.-]+?(?=(?:\.ics)?(?![\w.-]))",
    re.ASCII,
)


def without_secret_links(text: str, mask: str = "***") -> str:
    """A text with the secret of every link that opens something by itself replaced by mask (SECRET_PATHS)."""
    return _SECRET_LINK.sub(lambda found: found[1] + mask, text)


# what a member searched a workshop's participants or the register by (?q=, also inside a language switch's
# encoded ?next=): a name or an address, of someone who may have asked to be forgotten
_SEARCHED_PAGE = re.compile(
    r"(?:/|%2F)(?:deelnemers|register(?:\.csv|\.xlsx)?)(?:\?|%3F)([^\s#]*)", re.ASCII | re.IGNORECASE
)
_SEARCH_TERM = re.compile(r"((?:^|&|%26)q(?:=|%3D))(?:(?!%26)[^\s&#])*", re.ASCII | re.IGNORECASE)


def _for_log(text: str) -> str:
    """A request path as the log may show it: secrets of links and searches for people masked."""

    def masked(page: re.Match[str]) -> str:
        start = page.start(1) - page.start(0)
        return page[0][:start] + _SEARCH_TERM.sub(lambda term: term[1] + "***", page[1])

    return _SEARCHED_PAGE.sub(masked, without_secret_links(text))


class SecretsOutOfLog(logging.Filter):
    """Masks the secret in a request path uvicorn logs: whoever reads the log must not be able to open the link,
    nor read whom a member searched the participants or the register for."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always let the record through, with its path masked."""
        # uvicorn's access lines and its websocket lines pass the path, with its query, as one of the arguments
        args = record.args
        if isinstance(args, tuple) and any(isinstance(arg, str) and _for_log(arg) != arg for arg in args):
            record.args = tuple(_for_log(arg) if isinstance(arg, str) else arg for arg in args)
        return True


class RefusalsOnce(logging.Filter):
    """Leaves out websockets' own line about a refused handshake ("connection rejected (403 Forbidden)"): uvicorn
    logs each one already, with the client and the path, and a refusal is to take one line."""

    # the formats websockets (server.py, send_response) logs a refusal's response with, through uvicorn's logger
    ECHOES = ("connection rejected (%d %s)", "HTTP response sent (%d %s)")

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop websockets' echo of a refusal; let every other record through."""
        return record.msg not in self.ECHOES


_SECRETS_OUT_OF_LOG = SecretsOutOfLog()
_REFUSALS_ONCE = RefusalsOnce()


def keep_secrets_out_of_server_log() -> None:
    """Have uvicorn's access and websocket lines mask the links' secrets, and a refused websocket log one line (once
    per process, however many apps)."""
    for name, kept_out in (
        ("uvicorn.access", _SECRETS_OUT_OF_LOG),
        ("uvicorn.error", _SECRETS_OUT_OF_LOG),
        ("uvicorn.error", _REFUSALS_ONCE),
    ):
        logger = logging.getLogger(name)
        if kept_out not in logger.filters:
            logger.addFilter(kept_out)


SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
STATIC_PREFIX = "/static/"
# the largest body a page sends is the board's "Alles overnemen" for 4,000 obstacles, about 1 MB; anything larger
# is refused before it is read, so no one, signed in or not, makes the server read and parse hundreds of megabytes
MAX_BODY = 4 * 1024 * 1024
TOO_LARGE = N_("Dit is te veel om in één keer te versturen.")


class StaticFirst:
    """Static files answered from memory ahead of the page middleware, with the security headers every page gets.

    A fresh phone fetches about ten files to join; through the middleware (language, CSRF cookie, gzip, routing)
    each cost more than reading it. A path that names no file goes on to the app, which answers 404 as usual.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith(STATIC_PREFIX):
            response = static.respond(scope["path"][len(STATIC_PREFIX) :], Headers(scope=scope))
            if response is not None:
                response.headers.update(SECURITY_HEADERS)
                if site_is_https(HTTPConnection(scope)):
                    response.headers["strict-transport-security"] = HSTS
                return response(scope, receive, send)
        # handed on, not awaited here: no coroutine of this middleware stays for the hours a websocket lasts
        return self.app(scope, receive, send)


class CompressedResponses:
    """Starlette's gzip for pages and downloads, used only when the browser takes gzip (a "gzip;q=0" says no)."""

    def __init__(self, app: ASGIApp, *, minimum_size: int, compresslevel: int) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=compresslevel)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] != "http" or not accepts_gzip(Headers(scope=scope).get("accept-encoding", "")):
            return self.app(scope, receive, send)  # handed on, as StaticFirst does
        return self.gzip(scope, receive, send)


class BrowserMiddleware:
    """Sets the CSRF cookie on first visit, picks the language, adds security headers, refuses bodies over MAX_BODY."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] == "websocket":
            # the locale stays set in the connection's own task, which ends with it; handed on, as StaticFirst does
            i18n.current_locale.set(self._locale(HTTPConnection(scope)))
            return self.app(scope, receive, send)
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._page(scope, receive, send)

    @staticmethod
    def _locale(connection: HTTPConnection) -> str:
        return i18n.negotiate(connection.headers.get("accept-language"), connection.cookies.get(i18n.LANGUAGE_COOKIE))

    async def _page(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = HTTPConnection(scope)
        reset = i18n.current_locale.set(self._locale(connection))
        try:
            token = connection.cookies.get(CSRF_COOKIE, "")
            fresh = len(token) < 32
            if fresh:
                token = secrets.token_urlsafe(32)
            scope.setdefault("state", {})["csrf_token"] = token
            https = site_is_https(connection)
            # by the rule every other cookie follows: the setting, else https here or in the public address
            secure = "; Secure" if fresh and cookie_secure(connection) else ""

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = MutableHeaders(scope=message)
                    for name, value in SECURITY_HEADERS.items():
                        headers.setdefault(name, value)
                    if headers.get("content-type", "").startswith("text/html"):
                        # a page holds someone's answers, actions or register: kept by no cache, and not shown again
                        # from the browser's history after signing out on a shared computer
                        headers.setdefault("cache-control", "no-store")
                    if https:
                        # only where the site is https: a site on http alone must stay reachable
                        headers.setdefault("strict-transport-security", HSTS)
                    if fresh:
                        headers.append("set-cookie", f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}")
                await send(message)

            length = connection.headers.get("content-length")
            if length is None and "transfer-encoding" in connection.headers:
                receive = _limited(receive)
            elif length is not None and length.isdigit() and int(length) > MAX_BODY:
                response = _error_response(Request(scope), 413, gettext(TOO_LARGE), "too_large")
                await response(scope, receive, send_with_headers)
                return
            await self.app(scope, receive, send_with_headers)
        finally:
            i18n.current_locale.reset(reset)


def _limited(receive: Receive) -> Receive:
    """receive() for a body of undeclared length (chunked): refused with a 413 once it passes MAX_BODY."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > MAX_BODY:
            # an HTTPException: FastAPI passes it on from reading a body, where any other error becomes a 400
            raise HTTPException(413, gettext(TOO_LARGE))
        return message

    return counted


class AllowedHosts(TrustedHostMiddleware):
    """Starlette's check of the Host header (400 for a host not allowed), except for the health check, which a
    container or load balancer asks by address (the Dockerfile's HEALTHCHECK: 127.0.0.1:8000)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == HEALTH_PATH:
            return await self.app(scope, receive, send)
        await super().__call__(scope, receive, send)


def _error_response(request: Request, status: int, message: str, code: str) -> Response:
    if wants_json(request) or request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message, "code": code}, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    """A refused change, as a page or JSON with its status."""
    assert isinstance(exc, DomainError)
    if isinstance(exc, UnknownLink):
        # every route that opens a secret link (/m/, /p/, /status/, /afmelden/, /agenda/ ...) counts its misses here
        exc = await get_runtime(request).unknown_link(request) or exc
    response = _error_response(request, exc.status, exc.text(), exc.code)
    if exc.status == 429 and "retry_after" in exc.params:
        response.headers["retry-after"] = str(math.ceil(exc.params["retry_after"]))
    return response


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """HTTP errors as a finished page (or JSON for scripts)."""
    assert isinstance(exc, HTTPException)
    messages = {
        # FastAPI's own words for a body it cannot parse (JSON nested too deep for its parser, say)
        400: N_("Dit verzoek kunnen we niet lezen."),
        404: N_("Deze pagina bestaat niet."),
        405: N_("Dat kan op deze pagina niet."),
    }
    message = (
        exc.detail
        if isinstance(exc.detail, str) and exc.status_code not in messages
        else gettext(messages.get(exc.status_code, N_("Er ging iets mis.")))
    )
    # a body too large is refused by BrowserMiddleware in two places, with one code
    code = "too_large" if exc.status_code == 413 else f"http_{exc.status_code}"
    return _error_response(request, exc.status_code, message, code)


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    """Malformed form or query input: say which field, never a 500."""
    assert isinstance(exc, RequestValidationError)
    # a field by its name, not by the place in a list ("answer_ids", not "0"); JSON that does not parse, or a body
    # that is no object, has no field to name
    named = [[part for part in err.get("loc", ())[1:] if isinstance(part, str)] for err in exc.errors()]
    fields = sorted({names[-1] for names in named if names})
    if not fields:
        return _error_response(request, 422, gettext(N_("Dit verzoek kunnen we niet lezen.")), "invalid_input")
    message = gettext(N_("Niet alle velden zijn goed ingevuld: {fields}.")).format(fields=", ".join(fields))
    return _error_response(request, 422, message, "invalid_input")


async def database_error_handler(connection: HTTPConnection, exc: Exception) -> Response:
    """A database that cannot be used now: 503 and when to try again, as a page, JSON or a socket's refusal; any
    other database error is the fault it is (500)."""
    if not unreachable(exc):
        raise exc
    log.warning("answered 503: the database cannot be used now (%s)", getattr(exc, "orig", exc))
    refusal = database_unavailable()
    if isinstance(connection, Request):
        response = _error_response(connection, refusal.status, refusal.text(), refusal.code)
    elif isinstance(connection, WebSocket) and connection.client_state is WebSocketState.CONNECTING:
        response = PlainTextResponse(refusal.text(), status_code=refusal.status)
    else:
        raise exc  # past a socket's handshake nothing can be answered: it closes, and its client connects again
    response.headers["retry-after"] = str(refusal.params["retry_after"])
    return response


async def login_required_handler(request: Request, exc: Exception) -> Response:
    """Send a visitor who is not signed in to the sign-in page."""
    if wants_json(request) or request.url.path.startswith("/api/"):
        return JSONResponse({"detail": gettext(N_("Log eerst in.")), "code": "login_required"}, status_code=401)
    return see_other(f"/f/login?next={request.url.path}")


EXCEPTION_HANDLERS: dict[int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]] = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    RequestValidationError: validation_error_handler,
    LoginRequired: login_required_handler,
    OperationalError: database_error_handler,
}


class ErrorOut(BaseModel):
    """A refused request, as a script gets it (Accept: application/json, or any /api/ path); a browser gets a page."""

    detail: str = Field(description="What is wrong, in the reader's language (Dutch, or English by Accept-Language).")
    code: str = Field(
        description="A stable code for programs: the refusal's own (email_taken, bad_json, ...), invalid_input for "
        "a field that does not parse, login_required, or http_<status>."
    )


# every refusal a route can give, by the handlers above: a DomainError's status, a field that does not parse (422),
# a missing sign-in (401), a forged form or a role that may not (403), a limit (413, 429), a full queue (503)
ERRORS = {
    400: "The request cannot be read (JSON that does not parse, or nests too deep).",
    401: "Not signed in (a page sends the browser to the sign-in page instead).",
    403: "Not allowed: a form without this browser's CSRF token, or a role that may not do this.",
    404: "No such thing here, or not yours to see.",
    409: "The change clashes with what is stored (taken already, done already).",
    410: "A link that has expired or was used.",
    413: "Too much sent at once.",
    422: "A field is missing, too long or not what it should be; the detail says which.",
    429: "Too many tries; the detail and the Retry-After header say how long to wait.",
    503: "Busy: too many sign-ins wait for a password check already (routes that check one); see Retry-After.",
}
# the files some pages are, by their path's end (other pages are HTML, or JSON for a script that asks for it)
FILE_TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".yaml": "application/yaml",
    ".ics": "text/calendar",
}


class DocumentedApp(FastAPI):
    """FastAPI, with an OpenAPI document that says what the routes really answer: pages as HTML, files by type,
    redirects after forms, and every refusal in the shape of ErrorOut."""

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document (made once): FastAPI's, with the responses its routes cannot declare themselves."""
        if self.openapi_schema is None:
            self.openapi_schema = _with_real_responses(super().openapi())
        return self.openapi_schema


def _with_real_responses(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorOut"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    # FastAPI's own shape for a 422, which validation_error_handler replaces with ErrorOut
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    as_json = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    as_page = {**as_json, "text/html": {"schema": {"type": "string"}}}
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            ok = responses.get("200", {}).get("content", {})
            if ok.get("application/json", {}).get("schema") == {}:
                # no response model: a page, or a file; a page answers a script that asks for JSON in JSON
                file_type = next((kind for end, kind in FILE_TYPES.items() if path.endswith(end)), None)
                if file_type is None:
                    ok.setdefault("text/html", {"schema": {"type": "string"}})
                else:
                    ok.setdefault(file_type, {})
            api = path.startswith("/api/")
            if not api:
                responses.setdefault("303", {"description": "Done, or sign in first: the page to go to next."})
            for status, description in ERRORS.items():
                said = responses.get(str(status), {}).get("description", description)
                responses[str(status)] = {"description": said, "content": as_json if api else as_page}
    return document
