"""ODIN's regional teams: which provinces each covers, the province an organisation is in (from its postcode or
chosen), and the coordinators who belong to a team."""
