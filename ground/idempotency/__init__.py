"""Idempotent writes: an ``Idempotency-Key`` header with Stripe's semantics (see ``route``)."""
