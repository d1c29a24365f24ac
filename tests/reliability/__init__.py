"""Chaos and fuzz tests: crashes, reloads, retries and generated requests against the real add-on."""
