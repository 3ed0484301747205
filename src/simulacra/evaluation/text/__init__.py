"""Free-text metrics: length, n-grams, sentence-embedding detection and MMD, text-to-row consistency,
long-span replay (see docs/text.md). Each judges every free-text column and reports their mean."""
