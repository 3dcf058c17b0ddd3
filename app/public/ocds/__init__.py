"""Open data in the Open Contracting Data Standard (OCDS 1.1): release packages of the public challenges."""
