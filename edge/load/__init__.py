"""Load management: keep every phase of every circuit within its fuse (issue 14)."""
