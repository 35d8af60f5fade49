"""Use cases: the assessment pipeline and the steps it is made of."""
