"""Archives: a submitted version as one ZIP for its company, a stage's submissions for its coordinators."""
