"""Grades and choices: one response per participant per step, replaced when sent again."""
