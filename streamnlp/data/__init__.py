"""The data passes: shards found and streamed, the vocabulary counted, tokens encoded into the block cache,
the pair stream. Knows no model."""
