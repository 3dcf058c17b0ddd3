"""The coordinators' read-only proposal pages, after the deadline."""
