"""The benchmark in its smoke form: a small room, nothing lost or duplicated, every figure present."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.bench.runner import FIELDS, Round, Side, alternate_rounds, cpu_seconds, summarise
from app.cli import main


def test_bench_smoke_run_loses_and_duplicates_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    main(["bench", "--phones", "100", "--rate", "20", "--seconds", "1", "--rounds", "2", "--json"])

    output = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(output[-1])
    assert figures["phones"] == 100
    assert figures["join_failures"] == 0
    assert figures["lost"] == 0
    assert figures["duplicated"] == 0
    assert figures["burst_errors"] == figures["sustained_errors"] == 0
    assert figures["burst_not_on_projector"] == figures["burst_not_on_board"] == 0
    assert figures["step_missed"] == 0
    for name in FIELDS:
        assert isinstance(figures[name], int | float), name
        assert figures[name] >= 0, name
    assert figures["server_rss_mb"] > 0
    # two bursts and two step changes per server, each with its own CPU figure; the board's websocket is open
    # beside the projector's, and both receive every answer and every step
    assert len(figures["server_cpu_us_per_delivery_rounds"]) == len(figures["baseline_cpu_us_per_delivery_rounds"]) == 2
    assert figures["server_deliveries"] == figures["baseline_deliveries"] == 2 * (3 * 100 + 100 + 2)
    assert figures["answers_per_s"] > 0
    # how much CPU the host took away during each round, for the reader to judge the figures by
    assert len(figures["server_steal_s_rounds"]) == 2 and min(figures["server_steal_s_rounds"]) >= 0
    # the headline figures are one named round's: its CPU, the baseline's beside it, their ratio and latencies
    assert len(figures["ratio_rounds"]) == 2
    chosen = figures["headline_round"] - 1
    assert figures["headline_by"] == "ratio"
    assert figures["ratio_vs_baseline"] == figures["ratio_rounds"][chosen] == max(figures["ratio_rounds"])
    assert figures["server_cpu_us_per_delivery"] == figures["server_cpu_us_per_delivery_rounds"][chosen]
    assert figures["baseline_cpu_us_per_delivery"] == figures["baseline_cpu_us_per_delivery_rounds"][chosen]
    assert figures["ack_p99_ms"] == figures["ack_p99_ms_rounds"][chosen]
    assert f"round {figures['headline_round']} of 2" in "\n".join(output)
    # joining as a phone does (pages, files, form, websocket), timed per join and in server CPU, beside the bare connect
    for side in ("", "baseline_"):
        assert figures[f"{side}join_failures"] == 0
        assert 0 < figures[f"{side}join_p50_ms"] <= figures[f"{side}join_p99_ms"] <= figures[f"{side}join_max_ms"]
        assert figures[f"{side}connect_s"] > 0
    assert figures["server_cpu_ms_per_join"] > 0 and figures["baseline_cpu_ms_per_join"] > 0
    assert figures["load_generator_cpu_ms_per_join"] > 0 and figures["baseline_load_generator_cpu_ms_per_join"] > 0
    # the mixed scenario: half as many phones again join while a quarter, already in, keep answering
    assert (figures["mixed_in_room"], figures["mixed_joining"]) == (25, 50)
    assert figures["mixed_join_failures"] == figures["mixed_lost"] == figures["mixed_errors"] == 0
    assert figures["mixed_answers"] > 0 and 0 < figures["mixed_ack_p50_ms"] <= figures["mixed_ack_p99_ms"]


async def test_rounds_alternate_between_the_servers() -> None:
    played: list[tuple[str, int]] = []

    class Recording(Side):
        def __init__(self, name: str) -> None:
            self.name = name

        async def measure_round(self, number: int) -> Round:  # type: ignore[override]
            played.append((self.name, number))
            return None  # type: ignore[return-value]

    await alternate_rounds([Recording("ours"), Recording("baseline")], 3)
    assert played == [("ours", 0), ("baseline", 0), ("ours", 1), ("baseline", 1), ("ours", 2), ("baseline", 2)]


def measured_round(cpu_us: float, frames: int = 1000, ack_p99_ms: float = 50.0) -> Round:
    """A round whose server spent cpu_us per delivered frame, all of it in the burst."""
    burst = {"ack_p50_ms": ack_p99_ms / 2, "ack_p99_ms": ack_p99_ms, "burst_lost": 0}
    return Round(burst, {"step_missed": 0}, cpu_us * frames / 1e6, frames, 0.0, 0)


def test_each_rounds_ratio_is_taken_against_the_baseline_round_beside_it() -> None:
    ours = [measured_round(us) for us in (120.0, 90.0, 150.0)]
    theirs = [measured_round(us) for us in (60.0, 75.0, 100.0)]
    figures = summarise(ours, [1], baseline_rounds=theirs, baseline_pids=[2])
    assert figures["ratio_rounds"] == [2.0, 1.2, 1.5]
    assert figures["ratio_vs_baseline"] == 1.5
    assert figures["headline_round"] == 3


def test_the_headline_is_one_round_and_of_two_the_dearer() -> None:
    # the run: rounds of 1.83 and 3.25 printed as a ratio of 1.83 beside CPU figures of different rounds
    ours = [measured_round(365.0, ack_p99_ms=40.0), measured_round(432.0, ack_p99_ms=90.0)]
    theirs = [measured_round(199.5), measured_round(133.0)]
    figures = summarise(ours, [1], baseline_rounds=theirs, baseline_pids=[2])
    assert figures["ratio_rounds"] == [1.83, 3.25]
    assert figures["headline_round"] == 2
    assert (figures["server_cpu_us_per_delivery"], figures["baseline_cpu_us_per_delivery"]) == (432.0, 133.0)
    assert figures["ratio_vs_baseline"] == 3.25
    assert (figures["ack_p50_ms"], figures["ack_p99_ms"], figures["ack_p99_ms_rounds"]) == (45.0, 90.0, [40.0, 90.0])


def test_without_a_baseline_the_headline_is_the_median_round_by_cpu() -> None:
    figures = summarise([measured_round(us) for us in (300.0, 100.0, 200.0, 400.0, 250.0)], [1])
    assert (figures["headline_round"], figures["headline_by"]) == (5, "server CPU per delivery")
    assert figures["server_cpu_us_per_delivery"] == 250.0
    assert figures["ratio_vs_baseline"] is None


def test_the_servers_cpu_is_read_to_the_nanosecond_with_its_ended_threads() -> None:
    # a server whose thread burns 50 ms of CPU and ends, then reports its own CPU clock and waits
    script = (
        "import threading, time\n"
        "def burn():\n"
        "    while time.thread_time() < 0.05: pass\n"
        "worker = threading.Thread(target=burn)\n"
        "worker.start(); worker.join()\n"
        "print(time.process_time_ns(), flush=True)\n"
        "input()\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        own_reading = int(server.stdout.readline()) / 1e9
        # its own reading is to the nanosecond: a clock of 10 ms ticks would, nearly always, read less
        assert cpu_seconds([server.pid]) >= own_reading >= 0.05
    finally:
        server.communicate("\n", timeout=10)


@pytest.mark.parametrize("rounds", ["0", "-1", "drie"])
def test_bench_refuses_a_round_count_below_one(rounds: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["bench", "--rounds", rounds])
    assert stopped.value.code == 2
    assert f"expected a whole number of at least 1, got {rounds!r}" in capsys.readouterr().err


def test_the_load_generator_collects_its_garbage_only_between_rounds() -> None:
    import gc

    from app.bench.runner import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_join_phases_gives_the_servers_cpu_for_each_request_of_a_join() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).parents[1] / "scripts" / "join_phases.py"),
            "--phones",
            "20",
            "--rounds",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["round 1", "round 2"]
    for line in lines:
        phases, total = line.split(": ", 1)[1].split(" | per join ")
        figures = dict(part.rsplit(" ", 1) for part in phases.strip().split("  "))
        assert list(figures) == ["join page", "its files", "form", "phone page", "websocket"]
        # every phase costs the server something, and the sum is the figure per join
        assert all(float(ms) > 0 for ms in figures.values())
        assert abs(sum(float(ms) for ms in figures.values()) - float(total.removesuffix(" ms"))) < 0.01


def test_the_mail_bench_sends_every_reminder_it_seeded(capsys: pytest.CaptureFixture[str]) -> None:
    """The reminders reach the SMTP server, so the times are those of sending them (it once queued none)."""
    main(["bench", "mail", "--reminders", "12", "--connections", "2", "--json"])
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["queued"] == figures["sent"] == figures["server_received"] == 12
    assert figures["failed"] == 0
