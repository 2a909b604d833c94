"""Running a workshop: creating it from a format, moving through its steps, what each screen shows, and its pages."""
