import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflective.settings")

# Imported once the settings module is known: it imports the API's error types.
from reflective.lib.charset import text_charsets_only

application = text_charsets_only(get_wsgi_application())
