"""Managing a challenge: the dashboard, the definition form, publishing and the lifecycle."""
