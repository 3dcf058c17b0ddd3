"""Changes to a published challenge: formal corrections and deadline extensions."""
