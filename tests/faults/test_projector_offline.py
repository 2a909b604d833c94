"""A projector that drops off the network for 30 seconds gets exactly what it missed when it comes back, in order."""

import asyncio
import time
from collections import defaultdict

from tests.faults.conftest import LivePhone, Room, phone_url, projector_url, shown, until

OFFLINE_S = 30
ANSWERS = 1_000
PHONES = 50


def test_a_projector_offline_for_30_seconds_gets_exactly_the_1000_answers_it_missed_in_order(room: Room) -> None:
    cookies = room.phone_cookies(PHONES)

    async def scenario() -> None:
        facilitator = await room.facilitator()
        await facilitator.step("1")
        projector = await LivePhone.open(projector_url(room))
        phones = [await LivePhone.open(phone_url(room), headers) for headers in cookies]
        try:
            await until(lambda: projector.frames and all(p.frames for p in phones), "every screen's snapshot")
            before = await phones[0].answer("voor de storing")
            assert before["type"] == "ack"
            await until(lambda: shown(projector.frames) == ["voor de storing"], "the projector shows the first answer")
            seq = projector.frames[-1]["seq"]
            wid = projector.frames[0]["workshop"]["id"]
            projector.vanish()
            gone = time.monotonic()

            # the room goes on: 1,000 answers spread over the time the projector is away
            sent: dict[int, list[str]] = defaultdict(list)

            async def answer_from(n: int, phone: LivePhone) -> None:
                for k in range(ANSWERS // PHONES):
                    await asyncio.sleep((OFFLINE_S - 5) / (ANSWERS // PHONES) * (0.5 + (n % 5) / 10))
                    text = f"telefoon {n} antwoord {k}"
                    reply = await phone.answer(text)
                    assert reply["type"] == "ack", reply
                    sent[n].append(text)

            await asyncio.gather(*(answer_from(n, phone) for n, phone in enumerate(phones)))
            assert time.monotonic() - gone < OFFLINE_S, "the answers took longer than the projector was away"
            await asyncio.sleep(OFFLINE_S - (time.monotonic() - gone))

            back = await LivePhone.open(projector_url(room, since=seq, wid=wid))
            await until(lambda: any(f.get("type") == "synced" for f in back.frames), "the projector's catch-up")
            caught_up = back.frames[: next(i for i, f in enumerate(back.frames) if f.get("type") == "synced") + 1]
            assert all(f.get("type") != "snapshot" for f in caught_up), "the projector got a snapshot, not its gap"
            received = shown(caught_up)
            # exactly those answers: every one once, nothing from before the gap
            assert sorted(received) == sorted(text for texts in sent.values() for text in texts)
            assert len(received) == ANSWERS
            # in order: the log's order, which for each phone is the order it sent in
            seqs = [f["seq"] for f in caught_up if f.get("type") == "event"]
            assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) and seqs[0] > seq
            for n, texts in sent.items():
                assert [text for text in received if text.startswith(f"telefoon {n} ")] == texts
            await back.close()
        finally:
            await asyncio.gather(*(phone.close() for phone in phones), return_exceptions=True)
            await facilitator.close()

    asyncio.run(asyncio.wait_for(scenario(), 120))
    assert "Traceback" not in room.log.read_text()
