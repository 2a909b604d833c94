"""The translation layer: every interface text goes through gettext here."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, cast

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import BaseLoader, Environment, pass_context
from jinja2.runtime import Context

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LOCALE = "nl"
LANGUAGE_COOKIE = "dbk_lang"
# each language named in itself, so a visitor who cannot read the current one still finds their own
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}
# message ids are the Dutch texts, so a Dutch entry without a translation simply shows its id
current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:
    """Mark a text for translation without translating it yet."""
    return message


@cache
def available_locales() -> tuple[str, ...]:
    """Dutch first, then every other language that has a catalog."""
    found = sorted(path.parent.parent.name for path in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))
    return (DEFAULT_LOCALE, *[code for code in found if code != DEFAULT_LOCALE])


@cache
def _translations(locale: str) -> NullTranslations:
    # compiled in memory from the .po file at first use, so no checkout or image needs a compile step;
    # write_mo leaves out untranslated and fuzzy entries, which then fall back to the Dutch id
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def gettext(message: str) -> str:
    """Translate a text into the current language."""
    return _translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a text with a count into the current language."""
    return _translations(current_locale.get()).ngettext(singular, plural, n)


@contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """Translate in this language meanwhile (a mail in its reader's language, a log line in English)."""
    reset = current_locale.set(locale if locale in available_locales() else DEFAULT_LOCALE)
    try:
        yield
    finally:
        current_locale.reset(reset)


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
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in locales:
            return code
    return DEFAULT_LOCALE


def language_choices() -> list[tuple[str, str]]:
    """Every available language as (code, its own name), for the language switch."""
    return [(code, LANGUAGE_NAMES.get(code, code.upper())) for code in available_locales()]


# English dates day first, as Dutch ones and the pages' own (static/js/live.js, dateLocale) are
_DATE_LOCALES = {"en": "en_GB"}


def date_locale() -> str:
    """The locale dates are written in, in the current language."""
    return _DATE_LOCALES.get(current_locale.get(), current_locale.get())


def day(value: date | None) -> str:
    """A date written out: "22 november 2026"; empty for no date."""
    return format_date(value, format="long", locale=date_locale()) if value else ""


def short_day(value: date | None) -> str:
    """A date where space is short (tables, lists): "9 aug 2026", "9 Aug 2026"; empty for no date."""
    return format_date(value, format="medium", locale=date_locale()) if value else ""


def number(value: int) -> str:
    """A count as the current language writes it: "19.591" in Dutch, "19,591" in English."""
    return format_decimal(value, locale=date_locale())


def _counted(singular: str, plural: str, n: int) -> str:
    """ngettext for templates, whose %(num)d then takes the count written out by number()."""
    return ngettext(singular, plural, n).replace("%(num)d", "%(num)s")


def jinja_globals() -> dict[str, Any]:
    """What templates need to translate, dates included."""
    return {
        "pick": pick,
        "current_locale": current_locale.get,
        "language_choices": language_choices,
        "long_day": day,
        "short_day": short_day,
        "number": number,
    }


def translating_environment(loader: BaseLoader, *, autoescape: Any, **options: Any) -> Environment:
    """A Jinja environment whose templates translate with _() in the current language (pages and mails alike)."""
    env = Environment(loader=loader, extensions=["jinja2.ext.i18n"], autoescape=autoescape, **options)
    # Jinja's i18n extension adds this method to the environment at run time
    env.install_gettext_callables(gettext, _counted, newstyle=True)  # type: ignore[attr-defined]
    plain = cast(Callable[..., Any], env.globals["ngettext"])

    @pass_context
    def counted(context: Context, singular: str, plural: str, n: int, /, **variables: Any) -> Any:
        # every count a page or mail says in words follows the language: "19.591 afspraken", "19,591 actions"
        return plain(context, singular, plural, n, **{"num": number(n), **variables})

    env.globals["ngettext"] = counted
    env.globals.update(jinja_globals())
    return env
