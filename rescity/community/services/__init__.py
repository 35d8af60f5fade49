"""Use cases of the community module; each takes a unit of work and commits once."""
