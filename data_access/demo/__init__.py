"""The demo city: a seeded, deterministic generator of a plausible city (scale S/M/L), its names and the demo logins."""
