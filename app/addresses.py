"""E-mail addresses people type: checked by email-validator (never a pattern of our own), and folded for matching."""

from app.errors import DomainError
from app.i18n import N_

ADDRESS_MAX = 254


def checked_address(raw: str) -> str:
    """The address in its normal form (domain in lower case); a DomainError for anything that is not one."""
    # loaded on first use: a server that never sees an address keeps it (and its IDNA tables) out of memory
    from email_validator import EmailNotValidError, validate_email

    typed = raw.strip()
    try:
        # no DNS lookup: a person at a venue with poor wifi should not wait on one, and the mail server says soon enough
        address = validate_email(typed, check_deliverability=False).normalized
    except EmailNotValidError:
        raise DomainError(
            "bad_email",
            N_("Dit is geen e-mailadres. Kijk het nog eens na, bijvoorbeeld naam@voorbeeld.nl."),
            status=422,
        ) from None
    if len(address) > ADDRESS_MAX:
        raise DomainError("bad_email", N_("Dit e-mailadres is te lang."), status=422)
    return address


def address_key(address: str) -> str:
    """An address folded for matching: "Jan@Voorbeeld.nl" is the same person as "jan@voorbeeld.nl"."""
    return address.strip().casefold()
