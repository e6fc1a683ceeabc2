"""Assisted persons (帮扶对象, seed 004): the one-person-one-file register, visits, counselling and alerts."""
