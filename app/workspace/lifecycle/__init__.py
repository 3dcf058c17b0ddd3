"""The lifecycle of a challenge after its definition: to evaluation, cancelled, decided, archived."""
