"""Whole-corpus runs of a text model: batched streams, per-unit statistics, concept tracks, the census,
windows from checkpoints, find by pattern, and a disk cache (see cells/README.md, "A corpus at once")."""

from cells.corpus.cache import Cache, model_digest
from cells.corpus.census import Finding
from cells.corpus.match import Match, Matches
from cells.corpus.run import CorpusRun, run_corpus
from cells.corpus.stats import UnitStats
from cells.corpus.stream import MAX_CHARACTERS, Stopped
from cells.corpus.tracks import BUILT_IN, GRADED, LABELS, ON_OFF, Track, tracks

__all__ = ["BUILT_IN", "GRADED", "LABELS", "MAX_CHARACTERS", "ON_OFF", "Cache", "CorpusRun", "Finding", "Match",
           "Matches", "Stopped", "Track", "UnitStats", "model_digest", "run_corpus", "tracks"]
