"""Blameless wording: phrases that blame people, found in a section's text, each with a
system-focused suggestion. A hint, never a block (decision 0044)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ownit.domain.postmortems.model import SECTIONS

_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), suggestion)
    for pattern, suggestion in (
        (
            r"\bhuman[- ]errors?\b",
            "describe what in the system let the mistake through (a missing check, "
            "an unclear step, a risky default)",
        ),
        (
            r"\b[\w.-]+(?:'s|’s)\s+fault\b",
            "name the condition or the gap that made the outcome possible, not a person",
        ),
        (r"\bfault of\b", "name the condition that made the outcome possible, not a person"),
        (r"\bcareless(?:ly|ness)?\b", "say what made the step easy to get wrong"),
        (
            r"\bshould(?:n't| not)? have (?:known|noticed|caught|seen)\b",
            "say what information was missing or hard to find at the time",
        ),
        (r"\bnegligen(?:t|ce)\b", "say which safeguard was missing"),
        (r"\bsloppy\b", "say what made the work error-prone"),
        (r"\bincompeten(?:t|ce)\b", "say what knowledge or tooling was missing"),
        (r"\b(?:to )?blame[sd]?\b", "describe contributing factors instead of assigning blame"),
        (r"\bforgot to\b", "say what would have reminded or checked (automation, a checklist)"),
        (r"\bfailed to\b", "say what made the step hard to do in the moment"),
        (r"\bobviously\b", "say why it was not obvious at the time"),
    )
)


@dataclass(frozen=True, slots=True)
class WordingHint:
    section: str
    phrase: str
    suggestion: str

    def as_dict(self) -> dict[str, str]:
        return {"section": self.section, "phrase": self.phrase, "suggestion": self.suggestion}


def hints_in(section: str, text: str) -> list[WordingHint]:
    """The hints for one section's text, in the order the phrases appear."""
    found: list[tuple[int, WordingHint]] = []
    for pattern, suggestion in _RULES:
        for match in pattern.finditer(text):
            found.append((match.start(), WordingHint(section, match.group(0), suggestion)))
    found.sort(key=lambda pair: pair[0])
    return [hint for _, hint in found]


def wording_hints(sections: dict[str, str]) -> list[WordingHint]:
    """The hints of every section, in section order."""
    out: list[WordingHint] = []
    for name in SECTIONS:
        out += hints_in(name, sections.get(name, ""))
    return out
