"""Delivery: claimed outbox rows → Expo tickets → recorded outcomes, receipts, workers."""
