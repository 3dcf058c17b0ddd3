"""Four eyes on a staff member's second factor: one administrator asks for its reset, a second one approves it."""
