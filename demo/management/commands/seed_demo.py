from django.core.management.base import BaseCommand

from demo.seed import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create the demo tenants and one login per role (safe to run repeatedly)."

    def handle(self, *args, **options):
        logins = demo_seed()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is ready. Logins (password {DEMO_PASSWORD}):")
        )
        width = max(len(login.who) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.who:<{width}}  {login.email:<28}  {login.url}")
