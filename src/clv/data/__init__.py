"""Read, map, clean, validate and summarise transaction data."""
