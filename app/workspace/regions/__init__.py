"""Coordinators tag a challenge with regional teams."""
