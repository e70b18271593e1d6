"""msgpack encoders for the agent's v0.4 and v0.5 trace APIs (filled in with the writer)."""
