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
from skill.edge import check_request, refusal
from skill.handlers import answers, errors, info, launch, navigation, questions_back, settings, understanding
from skill.persistence import ResilientPersistence

log = logging.getLogger(__name__)
logging.getLogger("skill").setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())


def build_skill(
    persistence_adapter: AbstractPersistenceAdapter | None = None, skill_id: str | None = None
) -> CustomSkill:
    """The skill: handlers, interceptors, and an optional persistence adapter (None = session only), always used
    through ResilientPersistence (TTL stamped, Decimal handled, faults logged by code and survived).
    With skill_id set, the SDK refuses requests for any other skill."""
    store: ResilientPersistence | None = None
    if persistence_adapter is not None:  # storage faults never break a turn
        store = persistence_adapter if isinstance(persistence_adapter, ResilientPersistence) else (
            ResilientPersistence(persistence_adapter))
    sb = CustomSkillBuilder(persistence_adapter=store)  # type: ignore[arg-type]  # Optional in fact
    sb.skill_id = skill_id  # type: ignore[assignment]  # the SDK annotates it as None only
    for handler in (
        launch.LaunchHandler(),
        answers.YesNoHandler(yes=True),
        answers.YesNoHandler(yes=False),
        answers.DontKnowHandler(),
        answers.DurationHandler(),
        answers.ChoiceHandler(),
        answers.VolunteerSymptomHandler(),
        understanding.PartialAnswerHandler(),
        understanding.NegatedSymptomHandler(),
        understanding.NewOrLongStandingHandler(new=True),
        understanding.NewOrLongStandingHandler(new=False),
        understanding.DateHandler(),
        questions_back.ExplainQuestionHandler(),
        questions_back.WhyAskHandler(),
        questions_back.HowManyMoreHandler(),
        questions_back.IsItCauseHandler(),
        questions_back.WhereToGoHandler(),
        questions_back.WhatToDoHandler(),
        questions_back.PrivacyQuestionHandler(),
        navigation.RepeatHandler(),
        navigation.PreviousHandler(),
        navigation.StartOverHandler(),
        navigation.HelpHandler(),
        navigation.StopHandler(),
        navigation.FallbackHandler(),
        navigation.SkipHandler(),
        navigation.ResumeHandler(),
        navigation.MoreHandler(),
        navigation.ReportNumbnessHandler(),
        info.ExplainCauseHandler(),
        info.HearAboutCauseHandler(),
        info.WarningSignsHandler(),
        info.WhenToSeeDoctorHandler(),
        info.LastResultHandler(),
        settings.SpeechRateHandler(),
        settings.ForSomeoneElseHandler(),
        settings.ForMyselfHandler(),
        settings.DeleteDataHandler(),
        settings.RememberMeHandler(),
        settings.StopRememberingHandler(),
        errors.SessionEndedHandler(),
        errors.SystemExceptionHandler(),
        errors.UnknownRequestHandler(),  # last: catches whatever is left
    ):
        sb.add_request_handler(handler)
    sb.add_exception_handler(errors.CatchAllExceptionHandler())
    sb.add_global_request_interceptor(interceptors.LogRequestInterceptor())
    sb.add_global_request_interceptor(interceptors.LocaleInterceptor())
    sb.add_global_request_interceptor(interceptors.LoadInterceptor(store))
    sb.add_global_request_interceptor(interceptors.RepeatCacheGuardInterceptor())
    sb.add_global_request_interceptor(interceptors.MissCountInterceptor())
    sb.add_global_request_interceptor(interceptors.TurnInterceptor())
    sb.add_global_response_interceptor(interceptors.RepeatCacheInterceptor())
    sb.add_global_response_interceptor(interceptors.SpeechRateInterceptor())
    sb.add_global_response_interceptor(interceptors.SaveInterceptor(store))
    return sb.create()


def invoke(skill: CustomSkill, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Run one Alexa request (a JSON dict) through the skill, as Lambda does. A request out of bounds (too deep,
    too large, wrong types: ``skill.edge.check_request``) gets safe spoken words; one the SDK cannot read (a
    request type newer than the SDK, or not an Alexa envelope) an empty response; never a crash."""
    problem = check_request(event)
    if problem is not None:
        log.warning("request.refused code=%s", problem)
        return refusal(event)
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
