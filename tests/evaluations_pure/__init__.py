"""Pure evaluation arithmetic: scoring, assignment, procurement route, exports (no database, no web)."""
