"""What the public may learn of a challenge's decisions: the coordinator's choice to publish winners' names."""
