"""E-mail addresses people type: checked by email-validator (never a pattern of our own), and folded for matching."""

from app.errors import DomainError
from app.i18n import N_

ADDRESS_MAX = 254


def checked_address(raw: str) -> str:
    """The address in its normal form (domain in lower case); a DomainError for anything that is not one.

    A name before the @ in letters outside ASCII (jöran@…) needs SMTPUTF8 of every server on the way, which many
    lack: it is refused here, where the person can give another address, rather than failing unseen later. A
    domain in such letters (bücher.de) is fine: mail goes to its ASCII form (ascii_form).
    """
    # loaded on first use: a server that never sees an address keeps it (and its IDNA tables) out of memory
    from email_validator import EmailNotValidError, validate_email

    typed = raw.strip()
    if "@" in typed and not typed.rsplit("@", 1)[0].isascii():
        raise DomainError(
            "email_not_ascii",
            N_(
                "Een e-mailadres met letters als é of ö vóór de @ kunnen we niet betrouwbaar bezorgen. "
                "Geef een ander adres."
            ),
            status=422,
        )
    try:
        # no DNS lookup: a person at a venue with poor wifi should not wait on one, and the mail server says soon enough
        address = validate_email(typed, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError:
        raise DomainError(
            "bad_email",
            N_("Dit is geen e-mailadres. Kijk het nog eens na, bijvoorbeeld naam@voorbeeld.nl."),
            status=422,
        ) from None
    if len(address) > ADDRESS_MAX:
        raise DomainError("bad_email", N_("Dit e-mailadres is te lang."), status=422)
    return address


def ascii_form(address: str) -> str:
    """The address as an SMTP server without SMTPUTF8 takes it: a domain in other letters as its xn-- form.

    A ValueError (email-validator's) for one that has no such form: a name before the @ outside ASCII.
    """
    if address.isascii():
        return address
    from email_validator import validate_email

    return validate_email(address, check_deliverability=False, allow_smtputf8=False).ascii_email or address


def address_key(address: str) -> str:
    """An address folded for matching: "Jan@Voorbeeld.nl" is the same person as "jan@voorbeeld.nl"."""
    # lower, not casefold: casefold makes straße.de strasse.de, another domain (xn--strae-oqa.de) that someone else
    # may own; a normal form's domain is in lower case already, so only the ASCII name before the @ changes
    return address.strip().lower()
