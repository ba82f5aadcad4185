"""`crewbot reminders list|add|cancel` on the real database, as a coordinator types them."""

from __future__ import annotations

from bot.config import Config
from tests.test_cli_apps import CREATE, Crewbot, created, crewbot, follow, with_service

__all__ = ["crewbot"]  # the fixture, shared with the application commands' tests


def test_add_reads_back_schedules_lists_and_cancels(crewbot: Crewbot, config: Config
                                                    ) -> None:
    reference, code = created(crewbot(*CREATE))
    for external in ("crew-1", "crew-2"):
        with_service(config, lambda s, e=external: follow(s, "telegram", e, reference, code))
    added = crewbot("reminders", "add", reference, "tomorrow", "8:00", "Bring", "the",
                    "permit", "--yes", "--zone", "Europe/Paris")
    assert added.code == 0, added.err
    assert f"to: {reference} (2 linked chats now)" in added.out
    assert "8:00" in added.out and "France" in added.out
    assert "text: Bring the permit" in added.out and "scheduled: reminder #1" in added.out
    listed = crewbot("reminders", "list")
    assert listed.code == 0 and "#1" in listed.out and "Bring the permit" in listed.out
    assert "delivered 0, not delivered 0, waiting 0" in listed.out
    assert crewbot("reminders", "cancel", "1").code == 0
    assert "no upcoming reminders" in crewbot("reminders", "list").out
    gone = crewbot("reminders", "cancel", "1")
    assert gone.code == 1 and "no upcoming reminder #1" in gone.err


def test_bad_input_is_a_usage_error_and_schedules_nothing(crewbot: Crewbot) -> None:
    reference, _code = created(crewbot(*CREATE))
    wrong_time = crewbot("reminders", "add", reference, "tomorrow", "25:00", "x", "--yes")
    assert wrong_time.code == 2 and "WHEN is not a time" in wrong_time.err
    assert "in 2 minutes" in wrong_time.err  # the examples
    past = crewbot("reminders", "add", reference, "2020-01-01", "09:00", "x", "--yes")
    assert past.code == 2 and "already passed" in past.err
    zone = crewbot("reminders", "add", reference, "in", "2", "days", "x", "--zone", "Mars")
    assert zone.code == 2 and "unknown time zone 'Mars'" in zone.err
    unknown = crewbot("reminders", "add", "VN-FP-2026-0999", "in", "2", "days", "x", "--yes")
    assert unknown.code == 1 and "no application VN-FP-2026-0999" in unknown.err
    unconfirmed = crewbot("reminders", "add", reference, "in", "2", "days", "x")
    assert unconfirmed.code == 2 and "--yes" in unconfirmed.err  # stdin is no terminal
    assert "no upcoming reminders" in crewbot("reminders", "list").out
    assert crewbot("reminders").code == 2
