"""After the award: the coordinators' follow-up record of an awarded, released proposal (contract route and
reference, start date, milestones), read-only for the awarded organisation's members."""
