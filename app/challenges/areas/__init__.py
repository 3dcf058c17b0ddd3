"""The NLD-gebieden administrators give a coordinator (focus areas): they triage the propositions in them."""
