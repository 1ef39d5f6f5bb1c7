"""Kernel ladders: each rung checked against float64, then timed beside the vendor baseline."""
