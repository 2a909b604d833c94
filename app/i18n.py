"""The translation layer: every interface text goes through gettext here."""

from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LOCALE = "nl"
# message ids are the Dutch texts, so Dutch needs no catalog; other languages need a compiled one
current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:
    """Mark a text for translation without translating it yet."""
    return message


@cache
def available_locales() -> tuple[str, ...]:
    """Dutch plus every language with a compiled catalog."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.mo"))
    return (DEFAULT_LOCALE, *[code for code in found if code != DEFAULT_LOCALE])


@cache
def _translations(locale: str) -> NullTranslations:
    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale])


def gettext(message: str) -> str:
    """Translate a text into the current language."""
    return _translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a text with a count into the current language."""
    return _translations(current_locale.get()).ngettext(singular, plural, n)


def pick(texts: dict[str, str] | str | None) -> str:
    """The current language's version of a text a format file gives in several languages."""
    if texts is None:
        return ""
    if isinstance(texts, str):
        return texts
    return texts.get(current_locale.get()) or texts.get(DEFAULT_LOCALE) or next(iter(texts.values()), "")


def negotiate(accept_language: str | None, cookie: str | None) -> str:
    """The language to answer in: the cookie's choice, else the browser's, else Dutch."""
    locales = available_locales()
    if cookie in locales:
        return cookie  # type: ignore[return-value]
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in locales:
            return code
    return DEFAULT_LOCALE


def jinja_globals() -> dict[str, Any]:
    """What templates need to translate."""
    return {"pick": pick, "current_locale": current_locale.get}
