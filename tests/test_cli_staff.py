"""`crewbot staff add|list|disable|passwd` on the real database, as an admin types them;
the password never reaches the database file or the logs in clear."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from tests.test_cli_apps import Crewbot, crewbot

__all__ = ["crewbot"]

PASSWORD = "correct horse battery 7"


def test_add_list_disable_passwd(crewbot: Crewbot, monkeypatch: pytest.MonkeyPatch,
                                 db_url: str, tmp_path: Path,
                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    added = crewbot("staff", "add", "Lan@Cuc.gov.vn", "--role", "coordinator",
                    "--password-stdin")
    assert added.code == 0, added.err
    assert "lan@cuc.gov.vn added (role coordinator)" in added.out
    listed = crewbot("staff", "list")
    assert listed.code == 0 and "lan@cuc.gov.vn\tcoordinator\tactive" in listed.out
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    again = crewbot("staff", "add", "lan@cuc.gov.vn", "--role", "staff", "--password-stdin")
    assert again.code == 1 and "already exists" in again.err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    weak = crewbot("staff", "passwd", "lan@cuc.gov.vn", "--password-stdin")
    assert weak.code == 1 and "at least 10 characters" in weak.err
    monkeypatch.setattr("sys.stdin", io.StringIO("another long secret 8\n"))
    assert crewbot("staff", "passwd", "lan@cuc.gov.vn", "--password-stdin").code == 0
    assert crewbot("staff", "disable", "lan@cuc.gov.vn").code == 0
    assert "lan@cuc.gov.vn\tcoordinator\tdisabled" in crewbot("staff", "list").out
    gone = crewbot("staff", "disable", "nobody@cuc.gov.vn")
    assert gone.code == 1 and "no account for nobody@cuc.gov.vn" in gone.err
    assert crewbot("staff").code == 2
    logged = caplog.text + added.out + added.err
    assert PASSWORD not in logged and "another long secret" not in logged
    if db_url.startswith("sqlite"):
        for path in tmp_path.rglob("*.db*"):
            data = path.read_bytes()
            assert PASSWORD.encode() not in data and b"another long secret" not in data


def test_prompted_password_must_match(crewbot: Crewbot, monkeypatch: pytest.MonkeyPatch
                                      ) -> None:
    answers = iter(["first password 1", "second password 2"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    differ = crewbot("staff", "add", "a@b.vn", "--role", "staff")
    assert differ.code == 1 and "differ" in differ.err
    assert "no accounts" in crewbot("staff", "list").out
