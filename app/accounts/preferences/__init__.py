"""A user's own settings: the language of their e-mails."""
