"""``sparring mcp``: Sparring's read API for AI assistants, as a Model Context Protocol server (docs/mcp.md)."""
