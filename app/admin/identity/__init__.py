"""Administrators and who organisations are: the queue of unverified organisations and open disputes."""
