"""The triage of propositions without a challenge by coordinators."""
