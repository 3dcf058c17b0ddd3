"""The public site: the challenge list and one challenge's page, composed from the challenge and question domains."""
