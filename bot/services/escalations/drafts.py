"""Turning a staff answer into a draft article, so the next crew gets it from the bot.

Drafts go to `knowledge/drafts/`, which the loader and `crewbot kb check` do not read:
a person reviews the facts and sources, completes the header and the other languages,
and moves the file to `knowledge/articles/`.
"""

from __future__ import annotations

from pathlib import Path

from bot.storage.models import Escalation, EscalationMessage


def write(root: Path, escalation: Escalation, messages: list[EscalationMessage]) -> Path:
    folder = root / "drafts"
    folder.mkdir(parents=True, exist_ok=True)
    question = escalation.question or next(
        (m.text for m in messages if m.direction == "crew"), "")
    answers = [m.text for m in messages if m.direction == "staff"]
    path = folder / f"escalation-{escalation.id}.md"
    lines = [
        "---",
        f"# Draft from escalation #{escalation.id} ({escalation.opened_at:%Y-%m-%d}). Review",
        "# the facts against a primary source, add the header fields of",
        "# knowledge/README.md and the other languages, then move it to articles/.",
        f"language: {escalation.language}",
        f"best_guess: {escalation.best_article or '-'}",
        "---",
        "",
        "## Question",
        "",
        question,
        "",
        "## Staff answer",
        "",
        *("\n\n".join(answers) or "(no answer recorded)").splitlines(),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
