"""The administrators' view of the audit trail: filtered, paged, and exported as CSV."""
