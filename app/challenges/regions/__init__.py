"""Regions a challenge is tagged with (ODIN's regional teams that carry it)."""
