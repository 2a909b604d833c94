"""The app factory."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.telemetry import TelemetryConfig
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import language, security
from app.accounts import router as accounts_router
from app.actions import router as actions_router
from app.answers import router as answers_router
from app.assets import static
from app.catalog import router as catalog_router
from app.clusters import model as sentence_model
from app.clusters import router as clusters_router
from app.config import Settings
from app.exports import personal as personal_router
from app.exports import router as exports_router
from app.live import router as live_router
from app.live.hub import LocalHub
from app.models import local_today, utcnow
from app.notify import outbox
from app.notify import router as notify_router
from app.notify import sender as mail
from app.organisations import router as organisations_router
from app.passes import repeat
from app.plain import router as plain_router
from app.privacy import router as privacy_router
from app.privacy import service as privacy
from app.register import pages_router as register_pages
from app.register import router as register_router
from app.responses import router as responses_router
from app.running import router as running_router
from app.runtime import Runtime
from app.stage import router as stage_router
from app.store.database import Database
from app.web import (
    EXCEPTION_HANDLERS,
    HEALTH_PATH,
    AllowedHosts,
    BrowserMiddleware,
    CompressedResponses,
    DocumentedApp,
    StaticFirst,
    keep_secrets_out_of_server_log,
)
from app.workspaces import merge_router as workspace_merge_router
from app.workspaces import router as workspaces_router

log = logging.getLogger(__name__)
RETENTION_FIRST_RUN_S = 60
RETENTION_EVERY_S = 6 * 3600
OUTBOX_FIRST_RUN_S = 60
OUTBOX_EVERY_S = 3600
# how long stopping waits for the mail round in flight
MAIL_STOP_S = 30
# new objects between two young collections of the garbage collector (tune_garbage_collector)
YOUNG_OBJECTS = 20_000
TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def tune_garbage_collector() -> None:
    """Keep the collector's full sweeps from stalling a full room (tests leave it alone: they start many apps).

    A full sweep walks every live object; with 2,000 phones connected that stalls the whole server for up to
    a third of a second, and during a join storm the default thresholds start one every few seconds. What
    start-up made lives as long as the process, so it is frozen out of the sweeps; and full sweeps wait for a
    hundred times more middle-generation collections, and young ones for 20,000 new objects rather than 700 (a join
    makes hundreds, most freed at once: 2-10% less CPU per join, docs/performance.md). Cyclic garbage is still
    collected, only later.
    """
    gc.freeze()
    _, middle, _ = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, middle, 1_000)


async def outbox_pass(db: Database, *, now: datetime) -> int:
    """Remove the outbox's messages and mail links past their time; returns how many messages went."""
    removed = await db.write(partial(outbox.prune, now=now))
    if removed:
        log.info("mail: %d old messages removed", removed)
    return removed


def start_passes(db: Database, setup: mail.MailSetup, *, secret: str) -> list[asyncio.Task[None]]:
    """Start the passes the server runs beside its requests, each in a task of its own: one that fails holds up
    none of the others (old mails go in a pass of their own, so a failing reminder pass keeps no address past its
    month). With several workers each runs them; a second run finds nothing left to do."""

    async def retention() -> None:
        """Remove the names past their workspace's retention period (every six hours)."""
        await privacy.retention_pass(db.read, db.write, today=local_today())

    return [
        asyncio.create_task(
            repeat(RETENTION_FIRST_RUN_S, RETENTION_EVERY_S, retention, failed="retention run failed", log=log)
        ),
        # reminders are written without a mail server too: the outbox page shows what would have gone
        asyncio.create_task(mail.keep_reminders(db, setup, secret=secret)),
        # outbox_pass looked up at each run (a test watches it)
        asyncio.create_task(
            repeat(
                OUTBOX_FIRST_RUN_S,
                OUTBOX_EVERY_S,
                lambda: outbox_pass(db, now=utcnow()),
                failed="mail: removing old messages failed",
                log=log,
            )
        ),
    ]


def create_app(settings: Settings | None = None) -> FastAPI:
    """A Doorbraak app for these settings (default: from the environment)."""
    settings = settings or Settings()
    security.use_password_parameters(settings)
    keep_secrets_out_of_server_log()
    if settings.sentence_model:
        if (problem := sentence_model.problem(settings.sentence_model)) is not None:
            raise ValueError(f"DOORBRAAK_SENTENCE_MODEL: {problem}")
        # loaded now, so a file the engine cannot read stops the start rather than a facilitator's first ask
        sentence_model.loaded(settings.sentence_model)
    db = Database(settings.resolved_database_url(), commit_interval=settings.commit_interval_ms / 1000)
    # several workers share rooms through Redis; one process needs no broker
    hub: LocalHub = LocalHub()
    if settings.broadcast_url:
        from app.live.redis_hub import RedisHub  # the Redis client is only loaded where it is used

        hub = RedisHub(settings.broadcast_url, db, channel_prefix=settings.redis_channel_prefix)
    runtime = Runtime(settings=settings, db=db, secret_key=settings.resolved_secret_key())
    # what the settings say about mail, and what the sender learns of the server; the outbox page reads it
    mail_setup = mail.mail_setup(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.migrate()
        await hub.start()
        await db.start(hub.publish, hub.remove_workshops)
        background: list[asyncio.Task[None]] = []
        sender, sending = None, None
        if settings.environment != "test":
            tune_garbage_collector()
            background += start_passes(db, mail_setup, secret=runtime.secret_key)
            sender = await mail.start_sending(db, mail_setup)
            if sender is not None:
                background.append(asyncio.create_task(mail.check_server(sender, mail_setup)))
                sending = asyncio.create_task(sender.run())
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            if sender is not None and sending is not None:
                # the round in flight finishes and is recorded: a message the server took is not sent again
                sender.stop()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(sending, MAIL_STOP_S)
                await asyncio.to_thread(sender.close)
            await db.stop()
            await hub.stop()
            await runtime.throttle.close()

    # the schema is served at /openapi.json; the interactive docs pages would load scripts from a CDN
    # that the Content-Security-Policy (rightly) blocks, so they are left out
    app = DocumentedApp(
        docs_url=None,
        redoc_url=None,
        title="Doorbraak",
        version="0.1.0",
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
        # FastAPI's OpenTelemetry hooks ask for the global providers on every request; Doorbraak configures none
        telemetry=TELEMETRY_OFF,
    )
    app.state.runtime = runtime
    app.state.mail = mail_setup
    # the hub is the websocket endpoints' (app/live): the writer publishes to it, no other route touches it
    app.state.hub = hub
    app.add_middleware(BrowserMiddleware)
    # pages and downloads go out compressed (a phone's first load stays small); static files are compressed already.
    # Level 4 takes half the CPU of 6 for a few percent more bytes: a register export of 6,000 rows is 1.3 MB of CSV
    app.add_middleware(CompressedResponses, minimum_size=1000, compresslevel=4)
    # added after the page middleware, so it runs before it: static files skip the language, CSRF and gzip work
    app.add_middleware(StaticFirst)
    if settings.allowed_hosts:
        # a Host header of any other name gets a 400 before any route builds a link or an origin from it
        app.add_middleware(AllowedHosts, allowed_hosts=settings.allowed_hosts)
    elif settings.environment == "production":
        log.warning("DOORBRAAK_ALLOWED_HOSTS is empty: this server answers to any Host header")
    if settings.trusted_proxies:
        # outermost: every limit keys the client the proxy names, and only a proxy listed here may name one
        # (uvicorn itself is told to believe no one: app/cli.py uvicorn_options)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    static.current()  # read and compress static/ now: a missing folder stops the start, not the first page
    app.add_route("/static/{path:path}", static.serve, methods=["GET"], name="static", include_in_schema=False)
    # the routes of a join storm first: a request is matched against the routes in order, and a thousand phones
    # joining in a minute make their websocket, join and phone page the most frequent requests by far
    app.include_router(live_router.router)
    app.include_router(running_router.router)
    app.include_router(accounts_router.router)
    app.include_router(answers_router.router)
    app.include_router(responses_router.router)
    app.include_router(clusters_router.router)
    app.include_router(clusters_router.pages)
    app.include_router(actions_router.router)
    app.include_router(personal_router.router)
    app.include_router(exports_router.router)
    app.include_router(catalog_router.router)
    app.include_router(plain_router.router)
    app.include_router(register_pages.router)
    app.include_router(stage_router.router)
    app.include_router(register_router.router)
    app.include_router(language.router)
    app.include_router(privacy_router.router)
    app.include_router(workspaces_router.router)
    app.include_router(organisations_router.router)
    app.include_router(workspace_merge_router.router)
    app.include_router(notify_router.router)

    @app.get(HEALTH_PATH, include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        """Liveness: answers 200 while the server runs."""
        return PlainTextResponse("ok")

    return app
