"""Whole-corpus runs of a text model: batched streaming, per-unit statistics, concept tracks, the census."""
