"""What the platforms app announces, so that the apps standing on it act without platforms importing them.

Both are sent inside the transaction of the change: a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

# A platform's staff member was switched off. Arguments: ``member`` (the user), ``by`` (the manager).
staff_deactivated = Signal()

# A webhook endpoint was deactivated: nothing more may be sent to it. Argument: ``endpoint``.
webhook_deactivated = Signal()
