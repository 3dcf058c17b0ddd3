"""Propositions without a challenge (the front door): a company offers an effect, coordinators triage it."""
