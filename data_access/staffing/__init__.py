"""Staff roster, officer presence and monthly joint meetings (issue 14, seeds 002 and 004)."""
