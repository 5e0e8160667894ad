"""Builds the one skill object shared by Lambda, the webservice, the simulator and the tests."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import RequestEnvelope

from skill import interceptors
from skill.handlers import answers, errors, info, launch, navigation, settings
from skill.persistence import ResilientPersistence

log = logging.getLogger(__name__)
logging.getLogger("skill").setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())


def build_skill(
    persistence_adapter: AbstractPersistenceAdapter | None = None, skill_id: str | None = None
) -> CustomSkill:
    """The skill: handlers, interceptors, and an optional persistence adapter (None = session only), always used
    through ResilientPersistence (TTL stamped, Decimal handled, faults logged by code and survived).
    With skill_id set, the SDK refuses requests for any other skill."""
    persist = persistence_adapter is not None
    if persistence_adapter is not None and not isinstance(persistence_adapter, ResilientPersistence):
        persistence_adapter = ResilientPersistence(persistence_adapter)  # storage faults never break a turn
    sb = CustomSkillBuilder(persistence_adapter=persistence_adapter)  # type: ignore[arg-type]  # Optional in fact
    sb.skill_id = skill_id  # type: ignore[assignment]  # the SDK annotates it as None only
    for handler in (
        launch.LaunchHandler(),
        answers.YesHandler(),
        answers.NoHandler(),
        answers.DontKnowHandler(),
        answers.DurationHandler(),
        answers.ChoiceHandler(),
        answers.VolunteerSymptomHandler(),
        navigation.RepeatHandler(),
        navigation.PreviousHandler(),
        navigation.StartOverHandler(),
        navigation.HelpHandler(),
        navigation.StopHandler(),
        navigation.FallbackHandler(),
        info.ExplainCauseHandler(),
        info.HearAboutCauseHandler(),
        info.WarningSignsHandler(),
        info.WhenToSeeDoctorHandler(),
        info.LastResultHandler(),
        settings.SpeechRateHandler(),
        settings.ForSomeoneElseHandler(),
        settings.DeleteDataHandler(),
        errors.SessionEndedHandler(),
        errors.SystemExceptionHandler(),
        errors.UnknownRequestHandler(),  # last: catches whatever is left
    ):
        sb.add_request_handler(handler)
    sb.add_exception_handler(errors.CatchAllExceptionHandler())
    sb.add_global_request_interceptor(interceptors.LogRequestInterceptor())
    sb.add_global_request_interceptor(interceptors.LocaleInterceptor())
    sb.add_global_request_interceptor(interceptors.LoadInterceptor(persist))
    sb.add_global_request_interceptor(interceptors.TurnInterceptor())
    sb.add_global_response_interceptor(interceptors.RepeatCacheInterceptor())
    sb.add_global_response_interceptor(interceptors.SpeechRateInterceptor())
    sb.add_global_response_interceptor(interceptors.SaveInterceptor(persist))
    return sb.create()


def invoke(skill: CustomSkill, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Run one Alexa request (a JSON dict) through the skill, as Lambda does. A request the SDK cannot read
    (a request type newer than the SDK, or not an Alexa envelope) gets an empty response, never a crash."""
    try:
        envelope = skill.serializer.deserialize(payload=json.dumps(event), obj_type=RequestEnvelope)
    except (SerializationException, TypeError, ValueError):
        log.warning("request.unreadable")
        # hand the session back unchanged: Alexa returns only what the last reply carried
        session = event.get("session") if isinstance(event, dict) else None
        attributes = session.get("attributes") if isinstance(session, dict) else None
        reply: dict[str, Any] = {"version": "1.0", "response": {}}
        if isinstance(attributes, dict) and attributes:
            reply["sessionAttributes"] = attributes
        return reply
    response = skill.invoke(request_envelope=envelope, context=context)
    serialized = skill.serializer.serialize(response)
    assert isinstance(serialized, dict)
    return serialized
