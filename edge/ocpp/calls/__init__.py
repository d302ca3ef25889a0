"""What we call chargers: CALLs from the central system, one in flight per charger."""
