"""The image library: stored ISOs, resumable downloads from the orchestrator, hashing."""
