"""Renderers: a lowered Kernel -> source text for one backend (C with OpenMP in part 1)."""
