"""The one error type services raise for input a person can fix."""

from typing import Any

from app.i18n import N_, gettext
from app.security import FIRST_DAY, LAST_DAY


class DomainError(Exception):
    """A refused change: a stable code for programs and a message for people."""

    def __init__(self, code: str, message: str, *, status: int = 400, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.status = status
        self.params = params

    def text(self) -> str:
        """The message in the current language, with its parameters filled in."""
        return gettext(self.message).format(**self.params)


class UnknownLink(DomainError):
    """A secret link (personal, projector, mail, calendar feed, invitation) that names nothing: a 404 that counts
    against the caller's address (Runtime.unknown_link), where a link that expired or was revoked does not."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=404)


def read_only() -> DomainError:
    """The refusal a meekijker gets for any change."""
    return DomainError("read_only", N_("Je kijkt mee in deze werkruimte: wijzigen kan niet."), status=403)


def not_manager() -> DomainError:
    """The refusal for anyone but a beheerder who tries to manage the workspace."""
    return DomainError("not_manager", N_("Alleen een beheerder van deze werkruimte kan dit."), status=403)


def day_out_of_range() -> DomainError:
    """The refusal of a typed day outside the years the calendars count with (security.day_in_range)."""
    return DomainError(
        "day_out_of_range",
        N_("Kies een datum tussen {first} en {last}."),
        status=422,
        first=FIRST_DAY.year,
        last=LAST_DAY.year,
    )


def workspace_merged() -> DomainError:
    """The refusal for a change into a workspace that a merge took away meanwhile: nothing of it is stored."""
    return DomainError(
        "workspace_merged",
        N_("Deze werkruimte is intussen samengevoegd met een andere. Er is niets opgeslagen: open de pagina opnieuw."),
        status=409,
    )


def gone_meanwhile() -> DomainError:
    """The refusal for a change to something that another change removed or merged meanwhile: nothing is stored."""
    return DomainError(
        "gone_meanwhile",
        N_(
            "Wat je wilde wijzigen is intussen samengevoegd of verwijderd. "
            "Er is niets opgeslagen: open de pagina opnieuw."
        ),
        status=409,
    )


# how long a page that met an unreachable database tells the browser (and a script) to wait before asking again
DATABASE_RETRY_AFTER = 5


def database_unavailable() -> DomainError:
    """The refusal while the database takes no connections or cut the one a request had: nothing new was stored."""
    return DomainError(
        "database_unavailable",
        N_("De database is even niet bereikbaar. Probeer het over een paar seconden opnieuw."),
        status=503,
        retry_after=DATABASE_RETRY_AFTER,
    )
