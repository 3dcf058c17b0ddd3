"""A change of e-mail address, confirmed from the new address, with the old one told."""
