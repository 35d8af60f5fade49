"""Pedestrian network as arrays: CSR graph, snapping, the compiled reach kernel."""
