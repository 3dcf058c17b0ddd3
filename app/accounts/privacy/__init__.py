"""The account's own part of privacy: its data as the owner may read it, and anonymising it on deletion."""
