"""Definition files loaded with the web's rules: new drafts, draft edits, publication and corrections."""
