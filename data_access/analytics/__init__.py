"""Read models for the dashboards: count rollups and officer-weeks kept in step by every write, special-group snapshots, KPI counts, map and report queries. Aggregates in the database."""
