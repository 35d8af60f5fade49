"""Input and output: the OSM reader and the result writers."""
