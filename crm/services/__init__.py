"""Writes of the crm domain, one module per area; import from here."""

from crm.services.agency import *  # noqa: F403
from crm.services.credentials import *  # noqa: F403
from crm.services.progress import *  # noqa: F403
from crm.services.students import *  # noqa: F403
from crm.services.tutors import *  # noqa: F403
