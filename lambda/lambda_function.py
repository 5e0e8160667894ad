"""AWS Lambda entry point: build the skill once per container, expose ``lambda_handler``."""

import os
from typing import Any

from skill import build_skill, invoke
from skill.persistence import adapter_from_env

skill = build_skill(persistence_adapter=adapter_from_env(), skill_id=os.environ.get("SKILL_ID") or None)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return invoke(skill, event, context)
