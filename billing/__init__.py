"""Money: plans and their prices, payments, the ledger, Stripe, refunds, payment anomalies,
overage accounts, provider statements and metered usage.

Below ``trade`` in the layers: billing never imports the orders it is paid for. Where money
must move an order it publishes an event (``billing.events``) that the shell wires to trade.
Every query is in ``billing.repository``.
"""
