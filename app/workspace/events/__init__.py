"""The coordinators' market-dialogue pages: publish and change a challenge's events, the attendees and waiting
list (with a CSV download), cancel or mark held, the summary. The use cases are in ``app.challenges.events``."""
