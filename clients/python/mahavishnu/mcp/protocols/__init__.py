"""Protocols the guide's code imports: `message_bus`."""
