"""The archive law: documents of closed challenges are removed once their retention period has passed."""
