"""Frames are encoded as the standard library would, only faster."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from app.store.events import encode


@dataclass
class Tally:
    dots: int


def test_frames_read_exactly_as_json_would_write_them() -> None:
    frame = {
        "type": "event",
        "text": 'Eén "citaat", een \\ en\tregels\n\u2028 \U0001f600',
        "allocation": {12: 3, 7: 0},  # integer keys, as dot allocations have
        "held_on": date(2026, 11, 22),
        "at": datetime(2026, 11, 22, 21, 5, tzinfo=UTC),
        "client_id": UUID("5f0c3c1e-6a39-4d5e-9a55-111111111111"),
        "mean": 6.5,
        "none": None,
        "flags": [True, False],
        "nested": [{"a": ()}],
        "amount": Decimal("1.50"),
        "tally": Tally(3),
    }
    standard = json.dumps(frame, ensure_ascii=False, separators=(",", ":"), default=str)
    assert encode(frame) == standard
