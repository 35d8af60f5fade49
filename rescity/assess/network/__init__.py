"""Pedestrian network as arrays: CSR graph, snapping, the numba reach kernel."""
