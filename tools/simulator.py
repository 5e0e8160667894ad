"""Talk to the skill from a terminal, as an Echo would: ``python -m tools.simulator`` (or ``bin/simulate``).

Each line you type goes through the local NLU (``tools.nlu``, hassil over the generated interaction model), becomes
a current Alexa request envelope (session, context.System, request), and is sent to the skill: in-process by
default (the same ``build_skill`` the Lambda uses, with the embedded SQLite persistence), or POSTed to a running
webservice with ``--url``. What Alexa would say (SSML as plain text), the reprompt and the card are printed.

An empty line is silence: the first one plays the reprompt, the second ends the session with a
SessionEndedRequest (EXCEEDED_MAX_REPROMPTS), like a device. "exit" ends it with USER_INITIATED.
Script mode (``--script FILE``, or stdin that is not a terminal) reads one utterance a line (``#`` starts a
comment) and prints a transcript: ``> utterance``, ``Alexa: ...``, ``(reprompt) ...``, ``[card] ...``,
``(session ended)``. The exit code is 0.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TextIO

from hosting.sqlite_persistence import SqlitePersistenceAdapter
from tools import alexa_requests as requests
from tools.alexa_requests import DEFAULT_SKILL_ID, DEFAULT_USER_ID, Caller
from tools.nlu import LAUNCH, LOCALES, SESSION_ENDED, LocalNlu, Understanding

ROOT: Final = Path(__file__).resolve().parents[1]
ESPEAK_VOICES: Final = {"en-US": "en-us", "en-CA": "en-us", "en-GB": "en-gb", "en-IN": "en-gb", "en-AU": "en-gb"}
SKILL_PROBLEM: Final = "There was a problem with the requested skill's response."
_TAG: Final = re.compile(r"<[^>]*>")
_SPACE: Final = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT: Final = re.compile(r"\s+([,.;:!?])")

Transport = Callable[[dict[str, Any]], dict[str, Any]]


class SkillCallError(Exception):
    """The skill (or the webservice) did not give a usable response."""


# -- envelopes (built by tools.alexa_requests, the one request builder) -----------------------------------------
Device = Caller  # who is talking, to which skill, from which device


@dataclass
class Session(requests.Session):
    """One open skill session, as Alexa keeps it between turns, and what the simulated device remembers of it."""

    reprompt_ssml: str | None = None
    silences: int = 0
    dialog_intent: str | None = None  # intent a Dialog.* directive is running


def launch_request(locale: str) -> dict[str, Any]:
    return requests.launch(locale)


def intent_request(locale: str, understanding: Understanding, dialog_state: str) -> dict[str, Any]:
    return requests.intent(understanding.intent or "AMAZON.FallbackIntent", understanding.slots, locale, dialog_state)


def session_ended_request(locale: str, reason: str) -> dict[str, Any]:
    return requests.session_ended(reason, locale)


def envelope(request: dict[str, Any], session: Session, device: Device) -> dict[str, Any]:
    return requests.envelope(request, device, session)


# -- rendering ----------------------------------------------------------------------------------------------------
def ssml_to_text(ssml: str) -> str:
    """What a listener hears, as text: tags stripped, entities decoded, whitespace tidied."""
    text = html.unescape(_TAG.sub(" ", ssml))
    return _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACE.sub(" ", text)).strip()


def speech_text(speech: dict[str, Any] | None) -> str:
    if not speech:
        return ""
    if speech.get("type") == "SSML":
        return ssml_to_text(str(speech.get("ssml", "")))
    return str(speech.get("text", "")).strip()


def card_text(card: dict[str, Any]) -> str:
    kind = card.get("type")
    if kind == "LinkAccount":
        return "(link your account in the Alexa app)"
    if kind == "AskForPermissionsConsent":
        return "(grant permissions: " + ", ".join(card.get("permissions", [])) + ")"
    title = str(card.get("title") or "").strip()
    body = str(card.get("content") or card.get("text") or "").strip()
    return f"{title}: {body}" if title and body else title or body


def render(response: dict[str, Any]) -> list[str]:
    """Transcript lines for one response: speech, reprompt, card, directives."""
    lines: list[str] = []
    speech = speech_text(response.get("outputSpeech"))
    if speech:
        lines.append(f"Alexa: {speech}")
    reprompt = speech_text((response.get("reprompt") or {}).get("outputSpeech"))
    if reprompt:
        lines.append(f"(reprompt) {reprompt}")
    if response.get("card"):
        lines.append(f"[card] {card_text(response['card'])}")
    lines.extend(f"[directive] {d.get('type')}" for d in response.get("directives") or [])
    return lines


# -- transports ---------------------------------------------------------------------------------------------------
def in_process_transport(persistence_adapter: Any, skill_id: str | None) -> Transport:
    """Calls the project's skill the way Lambda does."""
    from skill import build_skill, invoke

    skill = build_skill(persistence_adapter=persistence_adapter, skill_id=skill_id)

    def call(event: dict[str, Any]) -> dict[str, Any]:
        try:
            return invoke(skill, event)
        except Exception as exc:  # the device only says "there was a problem"; we also show why
            raise SkillCallError(f"{type(exc).__name__}: {exc}") from exc

    return call


def http_transport(url: str, timeout: float = 10.0) -> Transport:
    """POSTs envelopes to a running webservice (start it with --no-verify: the simulator cannot sign)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"--url must be http(s): {url!r}")

    def call(event: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(event).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        req = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 - http(s) only
        try:
            with urllib.request.urlopen(req, timeout=timeout) as reply:  # noqa: S310 - http(s) only
                data: dict[str, Any] = json.loads(reply.read().decode("utf-8"))
                return data
        except urllib.error.HTTPError as exc:
            raise SkillCallError(f"HTTP {exc.code} from {url}: {exc.read()[:200].decode('utf-8', 'replace')}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SkillCallError(f"cannot reach {url}: {exc}") from exc

    return call


def default_persistence(db: str | None) -> SqlitePersistenceAdapter:
    """The embedded SQLite store: --db PATH, else $SKILL_DB_PATH, else the user's data directory."""

    return SqlitePersistenceAdapter(path=db)


class Speaker:
    """Reads SSML aloud with espeak-ng when it is installed; silently does nothing otherwise."""

    def __init__(self, enabled: bool, locale: str) -> None:
        self.program = shutil.which("espeak-ng") if enabled else None
        self.voice = ESPEAK_VOICES.get(locale, "en")

    def speak(self, speech: dict[str, Any] | None) -> None:
        if self.program is None or not speech:
            return
        ssml = speech.get("type") == "SSML"
        text = str(speech.get("ssml" if ssml else "text", ""))
        args = [self.program, *(["-m"] if ssml else []), "-v", self.voice, text]
        subprocess.run(args, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


# -- the conversation ---------------------------------------------------------------------------------------------
class Simulator:
    """Turns typed utterances and silences into Alexa requests and renders the skill's answers."""

    def __init__(
        self,
        nlu: LocalNlu,
        transport: Transport,
        device: Device,
        show_json: bool = False,
        speaker: Speaker | None = None,
    ) -> None:
        self.nlu = nlu
        self.transport = transport
        self.device = device
        self.show_json = show_json
        self.speaker = speaker
        self.session: Session | None = None

    def hear(self, utterance: str) -> list[str]:
        """One line from the user: an utterance, or silence if blank."""
        if not utterance.strip():
            return self.silence()
        understanding = self.nlu.understand(utterance)
        if understanding.request_type == SESSION_ENDED:
            return self._end("USER_INITIATED") if self.session else ["(no open session)"]
        notes: list[str] = []
        if understanding.new_session or self.session is None:
            if not understanding.new_session:
                notes.append(f'(no open session: as if "ask {self.nlu.invocation_name} {understanding.text}")')
            self.session = Session()
        self.session.silences = 0
        if understanding.request_type == LAUNCH:
            return notes + self._send(launch_request(self.device.locale))
        notes.append(f"[intent] {understanding.intent}{_slot_summary(understanding)}")
        return notes + self._send(intent_request(self.device.locale, understanding, self._dialog_state(understanding)))

    def silence(self) -> list[str]:
        """The user says nothing: reprompt once, then close the session as a device does."""
        if self.session is None:
            return []
        self.session.silences += 1
        if self.session.silences == 1 and self.session.reprompt_ssml:
            self._speak({"type": "SSML", "ssml": self.session.reprompt_ssml})
            return [f"Alexa: {ssml_to_text(self.session.reprompt_ssml)}"]
        return self._end("EXCEEDED_MAX_REPROMPTS")

    def _dialog_state(self, understanding: Understanding) -> str:
        """STARTED/IN_PROGRESS for intents with a dialog model; COMPLETED for the others (nothing to collect)."""
        assert self.session is not None
        if understanding.intent not in self.nlu.dialog_intents:
            return "COMPLETED"
        return "IN_PROGRESS" if self.session.dialog_intent == understanding.intent else "STARTED"

    def _send(self, request: dict[str, Any]) -> list[str]:
        assert self.session is not None
        event = envelope(request, self.session, self.device)
        lines = self._json("request", event)
        try:
            reply = self.transport(event)
        except SkillCallError as exc:
            self._close_after_error()
            return [*lines, f"Alexa: {SKILL_PROBLEM}", f"[error] {exc}", "(session ended)"]
        lines += self._json("response", reply)
        response: dict[str, Any] = reply.get("response") or {}
        self._remember(reply, response)
        self._speak(response.get("outputSpeech"))
        lines += render(response)
        if response.get("shouldEndSession") is True:
            self.session = None
            lines.append("(session ended)")
        return lines

    def _remember(self, reply: dict[str, Any], response: dict[str, Any]) -> None:
        assert self.session is not None
        self.session.new = False
        self.session.attributes = dict(reply.get("sessionAttributes") or {})
        reprompt = (response.get("reprompt") or {}).get("outputSpeech") or {}
        self.session.reprompt_ssml = _as_ssml(reprompt) if reprompt else None
        dialog = [d for d in response.get("directives") or [] if str(d.get("type", "")).startswith("Dialog.")]
        updated = (dialog[0].get("updatedIntent") or {}) if dialog else {}
        self.session.dialog_intent = updated.get("name") if dialog else None

    def _end(self, reason: str) -> list[str]:
        """Sends SessionEndedRequest (Alexa ignores any answer to it) and closes the session."""
        assert self.session is not None
        event = envelope(session_ended_request(self.device.locale, reason), self.session, self.device)
        self.session = None
        lines = self._json("request", event)
        try:
            lines += self._json("response", self.transport(event))
        except SkillCallError as exc:
            lines.append(f"[error] {exc}")
        return [*lines, "(session ended)"]

    def _close_after_error(self) -> None:
        """After a failed turn a device ends the session with SessionEndedRequest ERROR; its fate is ignored."""
        assert self.session is not None
        event = envelope(session_ended_request(self.device.locale, "ERROR"), self.session, self.device)
        self.session = None
        with contextlib.suppress(SkillCallError):
            self.transport(event)

    def _json(self, label: str, document: dict[str, Any]) -> list[str]:
        return [f"--- {label}", json.dumps(document, indent=2, sort_keys=True)] if self.show_json else []

    def _speak(self, speech: dict[str, Any] | None) -> None:
        if self.speaker is not None:
            self.speaker.speak(speech)


def _as_ssml(speech: dict[str, Any]) -> str:
    if speech.get("type") == "SSML":
        return str(speech.get("ssml", ""))
    return f"<speak>{html.escape(str(speech.get('text', '')))}</speak>"


def _slot_summary(understanding: Understanding) -> str:
    filled = []
    for name, slot in understanding.slots.items():
        if "value" not in slot:
            continue
        ids = requests.resolved_ids(slot)
        filled.append(f"{name}={slot['value']}" + (f" -> {'|'.join(ids)}" if ids else ""))
    return f" ({', '.join(filled)})" if filled else ""


# -- command line -------------------------------------------------------------------------------------------------
def script_lines(stream: Iterable[str]) -> Iterable[str]:
    """Utterances from a script: comments dropped, blank lines kept (silence)."""
    for raw in stream:
        line = raw.strip()
        if not line.startswith("#"):
            yield line


def run_script(sim: Simulator, stream: Iterable[str], out: TextIO) -> None:
    for line in script_lines(stream):
        if not line and sim.session is None:
            continue  # a blank line between conversations is not silence
        out.write(f"> {line or '(silence)'}\n")
        for rendered in sim.hear(line):
            out.write(rendered + "\n")
    out.flush()


def run_interactive(sim: Simulator, out: TextIO) -> None:
    with contextlib.suppress(ImportError):  # line editing and history for input(), where available
        import readline  # noqa: F401
    name = sim.nlu.invocation_name
    out.write(
        f'Alexa simulator ({sim.device.locale}). Say "open {name}". An empty line is silence; exit or Ctrl-D quits.\n'
    )
    while True:
        try:
            line = input("> ")
        except (EOFError, KeyboardInterrupt):
            out.write("\n")
            return
        for rendered in sim.hear(line):
            out.write(rendered + "\n")
        if line.strip().lower() in {"exit", "quit"} and sim.session is None:
            return


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="simulate", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--locale", choices=LOCALES, default="en-US")
    p.add_argument("--script", metavar="FILE", help="read utterances from FILE ('-' = stdin) and print a transcript")
    p.add_argument("--url", help="POST envelopes to this webservice (e.g. http://127.0.0.1:5000/) instead")
    p.add_argument("--speak", action="store_true", help="read answers aloud with espeak-ng, if installed")
    p.add_argument("--user-id", default=DEFAULT_USER_ID, help="Alexa user id (stable default: persistence works)")
    p.add_argument("--skill-id", default=os.environ.get("SKILL_ID") or DEFAULT_SKILL_ID)
    store = p.add_mutually_exclusive_group()
    store.add_argument("--db", metavar="PATH", help="SQLite file for persistent attributes (default: per user)")
    store.add_argument("--no-persist", action="store_true", help="no persistence: session attributes only")
    p.add_argument("--json", action="store_true", help="also print request and response envelopes")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    args = parse_args(argv)
    store = None if args.url or args.no_persist else default_persistence(args.db)
    try:
        transport = http_transport(args.url) if args.url else in_process_transport(store, args.skill_id)
        converse(args, transport, stdin or sys.stdin, stdout or sys.stdout)
    finally:
        if store is not None:
            store.close()
    return 0


def converse(args: argparse.Namespace, transport: Transport, stdin: TextIO, stdout: TextIO) -> None:
    """Interactive at a terminal; a transcript for --script FILE, --script - or piped stdin."""
    device = Device(locale=args.locale, user_id=args.user_id, skill_id=args.skill_id)
    nlu = LocalNlu.for_locale(args.locale, skill_id=args.skill_id)
    sim = Simulator(nlu, transport, device, show_json=args.json, speaker=Speaker(args.speak, args.locale))
    if args.script and args.script != "-":
        with open(args.script, encoding="utf-8") as script:
            run_script(sim, script, stdout)
    elif args.script == "-" or not stdin.isatty():
        run_script(sim, stdin, stdout)
    else:
        run_interactive(sim, stdout)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. piped into head: stop quietly, still exit 0
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
