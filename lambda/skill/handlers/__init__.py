"""Request handlers, one concern per module, registered in order by skill.builder."""
