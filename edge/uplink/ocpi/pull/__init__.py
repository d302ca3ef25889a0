"""Pull: the eMSP's tokens into the cache, and real-time authorization."""
