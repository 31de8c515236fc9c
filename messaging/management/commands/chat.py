"""Talk to the concierge from a terminal, through the same pipeline as the bots.

python manage.py chat                      # interactive, as the user "terminal"
python manage.py chat --user ketut.a       # as an existing user
python manage.py chat -m "beach club in Canggu" -m "book it tomorrow 7pm for 2"
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from messaging import router


class Command(BaseCommand):
    help = "Chat with the AGNT concierge in the terminal (web channel, same router, LLM gateway and tools)."

    def add_arguments(self, parser):
        parser.add_argument("--user", default="terminal", help="Username to chat as (created if it does not exist).")
        parser.add_argument(
            "-m",
            "--message",
            action="append",
            default=[],
            help="Send this message and print the reply instead of starting an interactive session; repeatable.",
        )
        parser.add_argument("--tools", action="store_true", help="Also print which tools each turn called.")

    def handle(self, *args, user: str, message: list[str], tools: bool, **options):
        User = get_user_model()
        account = User.objects.filter(username=user).first()
        if account is None:
            if user != "terminal":
                raise CommandError(f"no user called {user!r}; omit --user to chat as 'terminal'")
            account = User(username="terminal", display_name="Terminal")
            account.set_unusable_password()
            account.save()
        if message:
            for text in message:
                self._turn(account, text, tools)
            return
        self.stdout.write(
            f"Chatting as {account.get_username()} — /help for ideas, /reset to start afresh, Ctrl-D to leave."
        )
        while True:
            try:
                text = input("you › ").strip()
            except (EOFError, KeyboardInterrupt):
                self.stdout.write("")
                return
            if text:
                self._turn(account, text, tools)

    def _turn(self, account, text: str, tools: bool) -> None:
        interaction, _ = router.web_message_accept(user=account, text=text)
        try:
            router.channel_drain(channel_id=interaction.channel_id, wait_seconds=60)
        except router.ChannelBusy:
            self.stderr.write("The concierge is still busy with a previous message; try again.")
            return
        for reply in router.replies_to(interaction):
            if tools and reply.payload.get("tools"):
                calls = ", ".join(f"{t['name']}{' (error)' if t['is_error'] else ''}" for t in reply.payload["tools"])
                self.stdout.write(self.style.HTTP_INFO(f"  [tools: {calls}]"))
            self.stdout.write(f"agnt › {reply.text}")
