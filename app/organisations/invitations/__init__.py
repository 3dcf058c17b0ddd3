"""Invitations to join an organisation."""
