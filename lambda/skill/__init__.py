"""Thin Alexa adapters over the triage core: one concern per module."""

from skill.builder import build_skill, invoke

__all__ = ["build_skill", "invoke"]
