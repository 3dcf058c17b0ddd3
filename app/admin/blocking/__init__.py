"""Administrators block and unblock accounts; a blocked account's sessions end at once."""
