"""What the public learns after decisions: the outcome per released stage, and the archive of closed challenges."""
