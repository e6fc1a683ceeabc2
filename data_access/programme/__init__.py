"""The programme's plan: the indicator registry, phases, targets and milestones of the five plans (reference data from the seeds)."""
