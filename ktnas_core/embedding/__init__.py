"""Architecture embeddings: one shared vector space per search space.

Embedders (scikit-learn transformers over architectures) and
:func:`embed_space`, which embeds a whole finite space once and caches it.
"""

from .base import Embedder, as_architectures, embed_space
from .cache import cache_dir, cache_key

__all__ = ["Embedder", "as_architectures", "cache_dir", "cache_key", "embed_space"]
