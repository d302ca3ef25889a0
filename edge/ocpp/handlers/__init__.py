"""What chargers call us: their CALLs, validated, answered by version."""
