"""The language switch: a link that remembers the chosen language in a cookie and goes back to the page."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from app import i18n
from app.auth import set_private_cookie
from app.errors import DomainError
from app.i18n import N_
from app.web import local_path

router = APIRouter()

LANGUAGE_MAX_AGE = 365 * 24 * 3600


@router.get("/taal/{lang}", include_in_schema=False)
async def switch_language(request: Request, lang: str, next: str | None = None) -> RedirectResponse:
    """Remember the chosen language for a year and return to the page the visitor came from."""
    if lang not in i18n.available_locales():
        raise DomainError(
            "unknown_language",
            N_("Deze taal kennen we niet. Kies uit: {languages}."),
            status=404,
            languages=", ".join(i18n.available_locales()),
        )
    response = RedirectResponse(local_path(next), status_code=303)
    set_private_cookie(response, request, i18n.LANGUAGE_COOKIE, lang, max_age=LANGUAGE_MAX_AGE)
    return response
