"""The fault harness's short version (benchmarks/faults/run.py), on SQLite.

`crewbot run` as a child process against the fake Telegram in its own process: a burst
of 10 chats x 3 messages, compared reply by reply with a clean run, with the bot killed
(SIGKILL) half-way and restarted, stopped (SIGTERM) during a burst twice, and a storm
of 502s. The full version, PostgreSQL included: `python benchmarks/faults/run.py`.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchmarks.faults.run import SHORT, Harness, Result, table

SCENARIOS = ["clean", "sigkill-mid", "sigterm", "502-storm"]
# The bound on how long a chat may wait for its replies after a restart.
WAIT_AFTER_RESTART = 30.0


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    logs = Path(tmp_path_factory.mktemp("faults"))
    done = Harness(SHORT, logs).run(SCENARIOS, ["sqlite"])
    print(table(done))
    return {r.scenario: r for r in done}


def explain(result: Result) -> str:
    lines = [table([result]), *result.details[:12], f"logs: {result.log_dir}"]
    return "\n".join(lines)


def check_replies(result: Result, duplicates_allowed: int = 0) -> None:
    assert not result.failed, explain(result)
    assert result.messages > 0, explain(result)
    assert result.lost == 0, explain(result)
    assert result.out_of_order == 0, explain(result)
    assert result.unexpected == 0, explain(result)
    assert result.duplicated <= duplicates_allowed, explain(result)


def test_clean_burst_gets_the_clean_replies(results: dict[str, Result]) -> None:
    check_replies(results["clean"])


def test_sigkill_mid_burst_loses_nothing(results: dict[str, Result]) -> None:
    result = results["sigkill-mid"]
    # Only a send whose outcome the killed process never wrote (its row still claimed)
    # may go out twice: the one documented duplicate window.
    check_replies(result, duplicates_allowed=result.claimed_at_kill)
    assert result.longest_wait is not None, explain(result)
    assert result.longest_wait <= WAIT_AFTER_RESTART, explain(result)


def test_sigterm_mid_burst_exits_in_time_and_loses_nothing(results: dict[str, Result]
                                                           ) -> None:
    result = results["sigterm"]
    check_replies(result)
    assert len(result.exits) == SHORT.term_cycles, explain(result)
    assert all(code == 0 for code in result.exit_codes), explain(result)
    assert max(result.exits) <= result.limit, explain(result)
    assert result.longest_wait is not None and not math.isinf(result.longest_wait), \
        explain(result)


def test_502_storm_loses_nothing(results: dict[str, Result]) -> None:
    check_replies(results["502-storm"])


def test_the_order_check_skips_duplicates_wherever_they_fall() -> None:
    """A chat that asked one question twice: an early duplicate of the first answer is a
    duplicate, not the second answer come too soon."""
    from benchmarks.faults.run import compare

    menu, answer, sources = ("text", "menu"), ("text", "answer"), ("text", "sources")
    expected = [menu, answer, sources, answer, sources]
    twice = compare(expected, [(i, 0.0) for i in [menu, answer, answer, sources, answer,
                                                  sources]])
    assert twice.out_of_order == 0 and twice.duplicated == [answer]
    swapped = compare(expected, [(i, 0.0) for i in [menu, sources, answer, answer, sources]])
    assert swapped.out_of_order == 1
