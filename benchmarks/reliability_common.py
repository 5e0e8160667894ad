"""Shared by the reliability harness (reliability_load.py, reliability_faults.py): households of speakers holding
conversations at once, every answer checked, and the store checked afterwards.

A household is one Alexa account with four speakers, all talking at the same time: two unrecognised speakers on
two devices (one record for the account: shared rate and last result, an interview per device) and two
recognised people (records of their own), one on each device. Each speaker holds several sessions, chosen by a
seeded random generator: answer a few questions "no" and be cut off or say stop; or say "yes" to the first red
flag (an emergency) and stop; sometimes ask for the speech rate or last time's advice first. Each speaker says
"remember me" in their first session (nothing about health is kept without consent).

What counts:
- wrong answer: a reply without speech, an HTTP error, a question other than the one due, a resume offered to a
  speaker with nothing stored, a resume at a question the store cannot hold (older than the last answer the skill
  acknowledged as stored, or newer than any answer given), last time's advice told to a speaker whose record never
  had one (another person's);
- dropped red flag: the emergency instruction missing from the turn the emergency is said in, or from the goodbye;
- lost record: after the run (faults off, late writes landed), a field older in the store than what the skill
  acknowledged storing (the interview of each speaker's device; the last result of each record);
- resume missed: an acknowledged interview not offered at launch (expected under read faults; 0 without faults).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "lambda", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from benchmarks.alexa_client import Speaker, Transport, slot  # noqa: E402
from skill.persistence import fingerprint  # noqa: E402

# the questions asked, in order, when every answer is "no" (an "is that new?" check only follows a yes; a question
# with ask_if only after some answer)
_ALL = json.loads((ROOT / "knowledge" / "compiled.json").read_text())["questions"]
QUESTIONS = [q for q in _ALL if not q.get("follows") and not q.get("ask_if")]
CHECKS = {q["text"] for q in _ALL if q.get("follows")}
ORDER = [q["id"] for q in QUESTIONS]
TEXT = [q["text"] for q in QUESTIONS]
MAX_NO = 4  # answers per session: the first questions come in order for "no" answers
RESUME = "carry on"
EMERGENCY = "911"


def question_index(said: str) -> int | None:
    found = [i for i, text in enumerate(TEXT) if text in said]
    return found[0] if len(found) == 1 else None


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    turns: list[float] = field(default_factory=list)
    sessions: int = 0
    wrong: list[str] = field(default_factory=list)
    dropped_red_flags: int = 0
    red_flags_said: int = 0
    resume_missed: int = 0
    resumed: int = 0
    lost: list[str] = field(default_factory=list)
    errors: int = 0

    def turn(self, seconds: float) -> None:
        with self.lock:
            self.turns.append(seconds)

    def bad(self, what: str) -> None:
        with self.lock:
            self.wrong.append(what)


@dataclass
class Track:
    """One speaker (owner + device) and what the skill acknowledged storing for it."""

    name: str
    owner: str
    device: str
    speaker: Speaker
    # What the store may hold for this device's interview (answers; None = nothing): the interview the skill last
    # acknowledged as stored, or any written after it (a save the skill thought failed may have been applied).
    valid: set[int | None] = field(default_factory=lambda: {None})
    seen: dict[str, int] = field(default_factory=dict)  # this session: fingerprint of each state -> answers
    consented: bool = False


@dataclass
class Owner:
    key: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_ack_stamp: int = 0  # the newest stamp at which the skill acknowledged storing a last result
    had_emergency: bool = False


def _timed(stats: Stats, call: Callable[[], str]) -> str:
    start = time.monotonic()
    try:
        return call()
    finally:
        stats.turn(time.monotonic() - start)


def _observe(track: Track, owner: Owner, before: dict[str, Any]) -> None:
    """After each reply: remember interview states seen, and acknowledgements of stored fields."""
    attrs = track.speaker.attributes
    for key in ("interview", "stored"):
        state = attrs.get(key)
        if isinstance(state, dict):
            track.seen[fingerprint(state)] = len(state.get("events") or [])
    if "stored_fp" not in before:  # a launch: what it read is not something this session wrote
        return
    old = (before.get("stored_fp") or {}).get("last")
    new = (attrs.get("stored_fp") or {}).get("last")
    if new not in (None, "-") and new != old and isinstance(attrs.get("stamp"), int):
        with owner.lock:
            owner.last_ack_stamp = max(owner.last_ack_stamp, attrs["stamp"])


def run_session(track: Track, owner: Owner, rng: random.Random, stats: Stats) -> None:
    sp = track.speaker
    label = f"{track.name}"

    def step(call: Callable[[], str]) -> str:
        before = dict(sp.attributes)
        try:
            said = _timed(stats, call)
        except Exception as exc:  # the transport failed: an error, never expected
            with stats.lock:
                stats.errors += 1
            raise RuntimeError(f"{label}: {type(exc).__name__}") from None
        if "http_status" in sp.last_reply:
            with stats.lock:
                stats.errors += 1
            raise RuntimeError(f"{label}: HTTP {sp.last_reply['http_status']}")
        _observe(track, owner, before)
        return said

    with stats.lock:
        stats.sessions += 1
    track.seen.clear()
    sp.attributes = {}  # a new session: nothing carried over (and nothing "acknowledged" by the launch's read)
    said = step(sp.launch)
    read_belief = (sp.attributes.get("stored_fp") or {}).get("interview")
    current = 0
    stored_options = sorted(c for c in track.valid if c)
    if RESUME in said:
        if not stored_options:
            stats.bad(f"{label}: resume offered with nothing stored")
        said = step(sp.yes)
        index = question_index(said)
        if index is None or index not in track.valid:
            stats.bad(f"{label}: resumed at question {index}, the store may hold {stored_options}")
            index = index if index is not None else 0
        current = index
        with stats.lock:
            stats.resumed += 1
    elif question_index(said) != 0:
        stats.bad(f"{label}: launch said neither the first question nor a resume offer")
    elif None not in track.valid:
        with stats.lock:
            stats.resume_missed += 1
    if not track.consented:  # "remember me" (issue 12: nothing about health is kept without it)
        said = step(lambda: sp.intent("RememberMeIntent"))
        if question_index(said) not in (None, current):
            stats.bad(f"{label}: 'remember me' moved the interview")
        track.consented = "remember" in said.lower()
    plan = rng.random()
    if plan < 0.15:
        said = step(lambda: sp.intent("LastResultIntent"))
        if "my advice was" in said and not owner.had_emergency:
            stats.bad(f"{label}: last time's advice of a record that never had one")
        if question_index(said) is None:  # it ends with an offer to go through the questions: yes
            said = step(sp.yes)
        if question_index(said) != current:
            stats.bad(f"{label}: after last time's advice expected question {current}, got {question_index(said)}")
    elif plan < 0.25:
        step(lambda: sp.intent("SpeechRateIntent", {"rate": slot("rate", "slower", "slower")}))
    if current == 0 and rng.random() < 0.25:
        with owner.lock:
            owner.had_emergency = True
        with stats.lock:
            stats.red_flags_said += 1
        said = step(sp.yes)  # the emergency instruction comes in this turn, with "is that new?"
        if EMERGENCY in said and any(text in said for text in CHECKS):
            step(sp.yes)  # new: the emergency result (the interview is finished, nothing left to resume)
        goodbye = step(lambda: sp.intent("AMAZON.StopIntent"))
        if EMERGENCY not in said or EMERGENCY not in goodbye:
            with stats.lock:
                stats.dropped_red_flags += 1
        removed = True
    else:
        removed = False
        for _ in range(rng.randint(1, MAX_NO - min(current, MAX_NO - 1))):
            said = step(sp.no)
            if question_index(said) != current + 1:
                stats.bad(f"{label}: after {current + 1} answers expected question {current + 1}, got "
                          f"{question_index(said)}")
                break
            current += 1
        if rng.random() < 0.5:
            step(lambda: sp.intent("AMAZON.StopIntent"))
        else:
            step(sp.end)
    # Within a session answers only grow; every session is newer than the ones before it on this device.
    written: set[int | None] = {c for c in track.seen.values() if c} | ({None} if removed else set())
    believed = (sp.attributes.get("stored_fp") or {}).get("interview")
    if believed is not None and believed != read_belief:  # a write of this session was acknowledged: older
        # writes still in flight can no longer win (their stamps are older)
        acked = None if believed == "-" else track.seen.get(believed)
        track.valid = {c for c in written if c is not None and acked is not None and c >= acked} | {acked}
    else:  # only read (or nothing): what was read, earlier writes still in flight, whatever this one tried
        if believed is not None:
            track.valid |= {None if believed == "-" else track.seen.get(believed)}
        track.valid |= written


def households(n: int, transport: Transport) -> tuple[list[Track], dict[str, Owner]]:
    tracks: list[Track] = []
    owners: dict[str, Owner] = {}
    for h in range(n):
        account = f"amzn1.ask.account.HARNESS-{h:04d}"
        devices = [f"amzn1.ask.device.HARNESS-{h:04d}-{d}" for d in ("KITCHEN", "BEDROOM")]
        people = [f"amzn1.ask.person.HARNESS-{h:04d}-{p}" for p in ("ALICE", "BOB")]
        for name, device, person in (("guest-kitchen", devices[0], None), ("guest-bedroom", devices[1], None),
                                     ("alice", devices[0], people[0]), ("bob", devices[1], people[1])):
            owner = person or account
            owners.setdefault(owner, Owner(owner))
            tracks.append(Track(f"h{h}-{name}", owner, device, Speaker(transport, account, device, person)))
    return tracks, owners


def run_all(tracks: list[Track], owners: dict[str, Owner], sessions: int, seed: int) -> Stats:
    stats = Stats()

    def speaker_thread(i: int) -> None:
        rng = random.Random(seed * 100_003 + i)
        track = tracks[i]
        for _ in range(sessions):
            try:
                run_session(track, owners[track.owner], rng, stats)
            except RuntimeError:
                track.speaker.ended = True

    with ThreadPoolExecutor(max_workers=len(tracks)) as pool:
        list(pool.map(speaker_thread, range(len(tracks))))
    return stats


def check_records(tracks: list[Track], owners: dict[str, Owner], read: Callable[[str], dict[str, Any]],
                  stats: Stats) -> None:
    """``read(owner)`` -> {stored field name: (value, stamp)} after the run."""
    from skill.persistence import device_key

    for track in tracks:
        record = read(track.owner)
        value, _ = record.get(f"interview.{device_key(_envelope(track))}", (None, 0))
        stored = len(value.get("events") or []) if isinstance(value, dict) else None
        if stored not in track.valid:
            stats.lost.append(f"{track.name}: interview with {stored} answers stored, expected one of "
                              f"{sorted(track.valid, key=lambda c: -1 if c is None else c)}")
    for owner in owners.values():
        if owner.last_ack_stamp:
            value, stamp = read(owner.key).get("last", (None, 0))
            if value is None or stamp < owner.last_ack_stamp:
                stats.lost.append(f"{owner.key[-12:]}: last result older than acknowledged ({stamp} < "
                                  f"{owner.last_ack_stamp})")


def _envelope(track: Track) -> Any:
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope

    event = track.speaker.event({"type": "LaunchRequest"})
    return DefaultSerializer().deserialize(json.dumps(event), RequestEnvelope)


def report(title: str, stats: Stats, extra: dict[str, str] | None = None) -> list[str]:
    turns = sorted(stats.turns)

    def pct(q: float) -> float:
        return turns[max(0, min(len(turns) - 1, round(q / 100 * len(turns) + 0.5) - 1))] if turns else 0.0

    rows = [
        ("conversations (sessions)", str(stats.sessions)),
        ("turns", str(len(turns))),
        ("errors (HTTP errors, exceptions)", str(stats.errors)),
        ("wrong answers", str(len(stats.wrong))),
        ("red flags said / dropped", f"{stats.red_flags_said} / {stats.dropped_red_flags}"),
        ("lost records", str(len(stats.lost))),
        ("resumed / resume offers missed", f"{stats.resumed} / {stats.resume_missed}"),
        ("turn p50 / p99 / worst", f"{statistics.median(turns) * 1000 if turns else 0:.0f} ms / "
                                   f"{pct(99) * 1000:.0f} ms / {(turns[-1] if turns else 0):.2f} s"),
    ]
    rows += list((extra or {}).items())
    lines = [f"### {title}", "", "| Figure | Value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    for what in (stats.wrong[:5] + stats.lost[:5]):
        lines.append(f"- {what}")
    return lines
