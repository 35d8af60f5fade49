"""Pure types and rules of the community module: no I/O."""
