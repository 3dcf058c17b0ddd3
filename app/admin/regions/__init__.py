"""Administrators keep the regional teams: names, provinces, retirement, and which coordinators belong."""
