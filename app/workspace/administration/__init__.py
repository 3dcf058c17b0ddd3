"""Administrators' part of challenge management: coordinators per challenge and the taxonomy lists."""
