"""The guide's `mahavishnu.mcp` package: the message bus lives in `mahavishnu.mcp.protocols.message_bus`."""
