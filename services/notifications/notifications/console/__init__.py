"""The operator console: HTML pages over the ops figures, for operators signed in with `shared.weblogin`."""
from notifications.console.pages import install_console

__all__ = ["install_console"]
