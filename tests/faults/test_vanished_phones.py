"""Phones that vanish without a close frame cost the others nothing: every remaining phone gets every step."""

import asyncio
import random
from functools import partial

from app.bench.runner import raise_file_limit
from tests.faults.conftest import LivePhone, Room, phone_url, until


def at_step(phones: list[LivePhone], step: int) -> bool:
    """Whether every one of the phones has been told of this step last."""
    return all(phone.steps()[-1:] == [step] for phone in phones)


PHONES = 1_000
VANISHING = 200
# the doorbraak format's steps after the obstacle round, up to the contributions (2: cluster, 3: vote, 4: contributions)
STEPS = [2, 3, 4]


def test_200_of_1000_phones_vanishing_without_a_close_frame_leave_the_other_800_every_step_change(
    room: Room,
) -> None:
    raise_file_limit()  # a thousand sockets on this side
    cookies = room.phone_cookies(PHONES)

    async def scenario() -> None:
        facilitator = await room.facilitator()
        await facilitator.step("1")
        gate = asyncio.Semaphore(50)

        async def open_phone(headers: dict[str, str]) -> LivePhone:
            async with gate:
                return await LivePhone.open(phone_url(room), headers)

        phones = await asyncio.gather(*(open_phone(headers) for headers in cookies))
        try:
            await until(lambda: all(p.frames for p in phones), "every phone's snapshot", seconds=60)
            vanishing = set(random.Random(16).sample(range(PHONES), VANISHING))
            for n in sorted(vanishing):
                phones[n].vanish()
            staying = [phone for n, phone in enumerate(phones) if n not in vanishing]
            # the remaining phones answer as before: the server is not stuck on the dead sockets
            replies = await asyncio.gather(
                *(phone.answer(f"nog hier {n}", step="obstacles") for n, phone in enumerate(staying[:50]))
            )
            assert {reply["type"] for reply in replies} == {"ack"}, replies[0]
            # the step changes come while the server may still be finding out that the 200 are gone
            for step in STEPS:
                await facilitator.step(str(step))
                await until(partial(at_step, staying, step), f"every remaining phone at step {step}")
            assert all(phone.steps() == STEPS for phone in staying)
        finally:
            await asyncio.gather(*(phone.close() for phone in phones), return_exceptions=True)
            await facilitator.close()

    asyncio.run(asyncio.wait_for(scenario(), 180))
    assert "Traceback" not in room.log.read_text()
