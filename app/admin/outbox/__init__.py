"""The administrators' view of the e-mail outbox: status, attempts, last error, and a retry for failed messages."""
