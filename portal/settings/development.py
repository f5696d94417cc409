"""Development on a laptop: the defaults of ``base.py`` as they are (SQLite, tasks run inline, console e-mail,
DEBUG on, demo logins shown). Local changes belong in ``.env``, not here."""

from .base import *  # noqa: F403
