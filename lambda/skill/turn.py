"""One request's view of the conversation, computed once and shared by the handlers and the interceptors.

    turn = Turn.of(handler_input)
    turn.state        the interview, checked once; one the engine cannot read is reduced to its red flags
    turn.step         the open question or the result, computed once per state
    turn.question     the open question, or None
    turn.offer        the yes/no offer waiting for an answer (skill.offers), or None
    turn.update(s)    the interview after an engine operation (answer, undo, restart, ...)
    turn.replace(s)   another interview takes over (resume, a stored one): every red flag heard comes along

Handlers never read or write the ``interview`` and ``pending`` session attributes themselves.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from ask_sdk_core.handler_input import HandlerInput

from skill import state as st
from skill.locale import Strings
from triage import engine
from triage.engine import Ask, Step
from triage.knowledge import Knowledge, Question

log = logging.getLogger(__name__)


class Offer(StrEnum):
    """A yes/no question outside the interview. What yes and no do: skill.offers.OFFERS (one entry each)."""

    RESUME = "resume"  # "Shall we carry on where you left off?"
    DELETE = "delete"  # "Do you want me to delete everything I've kept about you?"
    CAUSES = "causes"  # "Would you like to hear the likely causes?" (a session open from before the causes were spoken
    #                    with the advice, in its second breath; still answered)
    SIGNS = "result"  # "Would you like to hear the warning signs?" (stored value kept from earlier releases)
    ANYTHING = "anything"  # "Anything else?"
    EMERGENCY = "emergency"  # "Should I repeat that?" after the emergency instruction
    REMEMBER = "remember"  # "Before you go: shall I remember this advice?" (consent, asked once per person)
    START = "start"  # "Would you like to go through my questions now?" (after information, before any answer)
    CORRECT = "correct"  # "Just to be sure: you have not lost control of your bladder or bowels?" (a red flag)
    NARROW = "narrow"  # "Okay. And is there a burning feeling?" after "no rash" to "a rash, burning, both, or neither?"
    CLARIFY = "clarify"  # "Is that numbness between your legs, or right around your bottom ...?" after "my bum is numb"


class Turn:
    def __init__(self, handler_input: HandlerInput) -> None:
        self.handler_input = handler_input
        self.t: Strings = st.strings(handler_input)
        self.kb: Knowledge = st.kb()
        self.attrs: dict[str, Any] = st.session(handler_input)
        self.notice: str | None = None  # a strings key to say once in this turn's response
        self.welcomed = False  # this turn's speech already has the welcome and the disclaimer
        self.urgent_first = False  # this turn's speech starts with an emergency instruction: nothing goes before it
        self.salvaged = False  # the interview was unreadable and started again: this turn's reply answers nothing
        raw = self.attrs.get("interview")
        if raw is None:
            self._state = engine.new_state(self.kb)
        else:
            try:
                self._state = engine.check_state(raw, self.kb)
            except engine.StateError:
                # another knowledge version (a deploy mid-session) or a malformed event: keep its red flags
                self._state = engine.salvage(raw, self.kb)
                self.attrs["interview"] = self._state
                self.salvaged = True
                self.notice = "state_salvaged_carried" if self._state["carried"] else "state_salvaged"
                log.info("interview.salvaged red_flags=%d", len(self._state["carried"]))
        self._step: Step | None = None

    @classmethod
    def of(cls, handler_input: HandlerInput) -> Turn:
        """The request's turn, built on first use."""
        request_attributes = handler_input.attributes_manager.request_attributes
        turn = request_attributes.get("turn")
        if not isinstance(turn, Turn):
            turn = cls(handler_input)
            request_attributes["turn"] = turn
        return turn

    # --- the interview -------------------------------------------------------------------------------------------

    @property
    def state(self) -> dict[str, Any]:
        return self._state

    @property
    def other(self) -> bool:
        """Asking for someone else ("it's for my dad"): third-person wording for the rest of the session."""
        return self.attrs.get("person") == "other"

    @property
    def started(self) -> bool:
        """An interview exists in this session (even one with no answer yet)."""
        return "interview" in self.attrs

    @property
    def step(self) -> Step:
        if self._step is None:
            self._step = engine.next_step(self._state, self.kb)
        return self._step

    @property
    def question(self) -> Question | None:
        step = self.step
        return step.question if isinstance(step, Ask) else None

    @property
    def red_flags(self) -> tuple[str, ...]:
        return engine.red_flags_heard(self._state, self.kb)

    def update(self, state: dict[str, Any]) -> None:
        if state is not self._state:
            self._state = state
            self._step = None
        self.attrs["interview"] = state

    def replace(self, state: dict[str, Any]) -> None:
        """Another interview takes over; every red flag heard in this one is carried into it."""
        self.update(engine.with_red_flags(state, self.kb, self.red_flags))

    # --- the offer waiting for a yes or no -----------------------------------------------------------------------

    @property
    def offer(self) -> Offer | None:
        value = self.attrs.get("pending")
        try:
            return Offer(value) if isinstance(value, str) else None
        except ValueError:
            return None

    @offer.setter
    def offer(self, value: Offer | None) -> None:
        if value is None:
            self.attrs.pop("pending", None)
        else:
            self.attrs["pending"] = value.value

    # --- memory (consent) ------------------------------------------------------------------------------------------

    @property
    def consent(self) -> bool | None:
        """Has the person said yes (True) or no (False) to being remembered; None if never asked."""
        value = self.attrs.get("consent")
        return value if isinstance(value, bool) else None

    @property
    def new_session(self) -> bool:
        session = self.handler_input.request_envelope.session
        return session is None or bool(session.new)

    @property
    def persists(self) -> bool:
        """A store is configured and the person has not deleted their data in this session."""
        request_attributes = self.handler_input.attributes_manager.request_attributes
        return bool(request_attributes.get("persist")) and not self.attrs.get("no_store")

    def take_notice(self) -> str | None:
        notice, self.notice = self.notice, None
        return notice
