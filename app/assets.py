"""Static files served from memory: gzip-compressed once, under versioned URLs that browsers keep for a year.

A page names a file with `static_url("css/app.css")`, which gives /static/<version>/css/app.css, where the version
is one hash over every file in the folder rather than one per file. A page's script is named with
`module_url("js/phone.js")`: the module and the modules it imports in one file (app/bundles.py), under the same
version. Where a module cannot be bundled, the page loads it, and it loads its imports, by relative URL ("./live.js"),
which the browser resolves against the importing module's own URL, so every import carries the same version: a
browser can never combine a fresh phone.js with a stale live.js from its cache, and no import map (an inline script
the Content-Security-Policy would have to make an exception for) is needed. The price is that a change to any file
gives every file a new URL, as a release does anyway.

Only a URL with the current version is cached for a year; an unversioned URL (or one of another release, from a
page loaded before a restart) gets the current file, which the browser checks again by its ETag on each use.
"""

import contextlib
import gzip
import hashlib
import logging
import mimetypes
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app import bundles
from app.config import ROOT

log = logging.getLogger(__name__)

VERSION = re.compile(r"[0-9a-f]{12}")
CACHE_A_YEAR = "public, max-age=31536000, immutable"
CACHE_CHECK_FIRST = "no-cache"
# where a module's bundle is served, beside the modules themselves: /static/<version>/bundle/js/phone.js
BUNDLES = "bundle/"

Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class StaticFile:
    """One file's bytes as sent, plain and gzipped (None where gzip would not make it smaller)."""

    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str
    gzipped_etag: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The folder's files at one moment, by path relative to the folder, and the version of them all."""

    fingerprint: Fingerprint
    files: dict[str, StaticFile]
    version: str
    # a module's path -> the path of the file that is it and everything it imports (app/bundles.py)
    bundled: dict[str, str]
    # data: URLs made of its files so far (data_url), by path
    inline: dict[str, str] = field(default_factory=dict)


def fingerprint(directory: Path) -> Fingerprint:
    """Every file's relative path, modification time and size: cheap to take, and it changes when a file does."""
    found = []
    folders = [directory]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    folders.append(Path(entry.path))
                else:
                    stat = entry.stat()
                    found.append((Path(entry.path).relative_to(directory).as_posix(), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(found))


def _static_file(path: str, body: bytes, digest: str) -> StaticFile:
    # gzip rather than brotli: brotli's best level would take 4 KB off the phone's 48 KB first load, for a
    # compiled dependency and most of a second of CPU at every start; mtime=0: the same bytes in every worker
    gzipped = gzip.compress(body, compresslevel=9, mtime=0)
    return StaticFile(
        body=body,
        gzipped=gzipped if len(gzipped) < len(body) else None,
        media_type=mimetypes.guess_type(path)[0] or "text/plain",
        etag=f'"{digest[:20]}"',
        gzipped_etag=f'"{digest[:20]}-gzip"',
    )


def read_snapshot(directory: Path, taken: Fingerprint) -> Snapshot:
    """Read and compress every file the fingerprint lists, and bundle each page's script with what it imports."""
    files = {}
    version = hashlib.sha256()
    for path, _, _ in taken:
        body = (directory / path).read_bytes()
        digest = hashlib.sha256(body).hexdigest()
        version.update(f"{path}\0{digest}\0".encode())
        files[path] = _static_file(path, body, digest)
    scripts = {path: file.body.decode() for path, file in files.items() if path.endswith(".js")}
    imported: set[str] = set()
    for path, text in scripts.items():
        with contextlib.suppress(bundles.NotBundled):  # bundling the module that has it says what is wrong
            imported.update(bundles.imports(path, text))
    bundled = {}
    for path, text in scripts.items():
        made = BUNDLES + path
        # a page's script is a module no other module imports: only those are bundled, once each
        if path in imported or "import" not in text or made in files:
            continue
        try:
            body = bundles.bundle(path, scripts.__getitem__).encode()
        except bundles.NotBundled as exc:
            log.warning("%s is served as separate modules: %s", path, exc)
            continue
        files[made] = _static_file(made, body, hashlib.sha256(body).hexdigest())
        bundled[path] = made
    return Snapshot(fingerprint=taken, files=files, version=version.hexdigest()[:12], bundled=bundled)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (a q of 0 refuses it)."""
    for item in accept_encoding.split(","):
        coding, _, parameters = item.partition(";")
        if coding.strip().lower() == "gzip":
            name, _, value = parameters.partition("=")
            if name.strip().lower() != "q":
                return True
            try:
                return float(value) > 0
            except ValueError:
                return False
    return False


class StaticFolder:
    """The files of one folder, read into memory on first use and read again after one changes on disk.

    The check for changes (a stat of every file, about 0.2 ms) runs at most once per `recheck_every` seconds, on
    a page render or a file request, as Jinja checks its templates: an edit in a checkout shows on the next
    reload, and an installed release, whose files do not change, never reads them twice.
    """

    def __init__(
        self, directory: Path, *, recheck_every: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.directory = directory
        self.recheck_every = recheck_every
        self.clock = clock
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0

    def current(self) -> Snapshot:
        """The files as they are now (as of at most recheck_every seconds ago)."""
        now = self.clock()
        if self._snapshot is None or now - self._checked_at >= self.recheck_every:
            self._checked_at = now
            taken = fingerprint(self.directory)
            if self._snapshot is None or taken != self._snapshot.fingerprint:
                self._snapshot = read_snapshot(self.directory, taken)
        return self._snapshot

    def url(self, path: str) -> str:
        """The versioned URL of a file in the folder, e.g. url("css/app.css")."""
        return f"/static/{self.current().version}/{path}"

    def data_url(self, path: str) -> str:
        """A small file written into the page itself as a data: URL: one request fewer for a device new to the site."""
        snapshot = self.current()
        found = snapshot.inline.get(path)
        if found is None:
            file = snapshot.files[path]
            found = snapshot.inline[path] = f"data:{file.media_type},{quote(file.body.decode())}"
        return found

    def module_url(self, path: str) -> str:
        """The versioned URL of a page's module script: the bundle of it and its imports where there is one."""
        snapshot = self.current()
        return f"/static/{snapshot.version}/{snapshot.bundled.get(path, path)}"

    async def serve(self, request: Request) -> Response:
        """A file, gzipped if the browser takes that; for a year in its cache if the URL has the current version."""
        response = self.respond(request.path_params["path"], request.headers)
        if response is None:
            raise HTTPException(status_code=404)
        return response

    def respond(self, path: str, headers: Mapping[str, str]) -> Response | None:
        """The response to a GET of a path under /static/ with these request headers; None for no such file."""
        snapshot = self.current()
        cache = CACHE_CHECK_FIRST
        version, _, rest = path.partition("/")
        if rest and VERSION.fullmatch(version):
            path = rest
            if version == snapshot.version:
                cache = CACHE_A_YEAR
        file = snapshot.files.get(path)
        if file is None:
            return None
        body, etag, encoding = file.body, file.etag, ""
        if file.gzipped is not None and accepts_gzip(headers.get("accept-encoding", "")):
            body, etag, encoding = file.gzipped, file.gzipped_etag, "gzip"
        sent = {"cache-control": cache, "etag": etag}
        if file.gzipped is not None:
            sent["vary"] = "accept-encoding"
        if etag in headers.get("if-none-match", ""):
            return Response(status_code=304, headers=sent)
        if encoding:
            sent["content-encoding"] = encoding
        return Response(body, headers=sent, media_type=file.media_type)


static = StaticFolder(ROOT / "static")
