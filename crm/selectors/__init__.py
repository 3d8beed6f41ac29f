"""Reads of the crm domain, one module per area; import from here."""

from crm.selectors.agency import *  # noqa: F403
from crm.selectors.credentials import *  # noqa: F403
from crm.selectors.progress import *  # noqa: F403
from crm.selectors.students import *  # noqa: F403
from crm.selectors.tutors import *  # noqa: F403
