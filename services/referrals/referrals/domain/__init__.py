"""The referral's pure domain core: no Flask, no SQLAlchemy, tested alone."""
