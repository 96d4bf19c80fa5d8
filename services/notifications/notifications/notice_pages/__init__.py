"""People's notices as web pages: the list with unread markers, marking read, the email settings form."""
from notifications.notice_pages.pages import install_notice_pages

__all__ = ["install_notice_pages"]
