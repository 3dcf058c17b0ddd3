"""Administration: staff roles and the operator's user commands."""
