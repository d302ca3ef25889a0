"""Push: drain the outbox to the backoffice's receivers (plan, map, judge)."""
