"""The counsellors' web forms served by referrals (pages, forms, languages, charts)."""
from referrals.web.pages import install_web

__all__ = ["install_web"]
