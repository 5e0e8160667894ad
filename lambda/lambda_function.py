"""AWS Lambda entry point: build the skill once per container, expose ``lambda_handler``."""

from skill import build_skill

skill = build_skill()
lambda_handler = skill.lambda_handler()
