"""The HTTP API the mobile app calls: device tokens and notification preferences."""
