"""The circuit breaker: a send pauses when the relay, not the readers, refuses it.

A reader's own failures (a mailbox that is gone or full) say nothing about
the send. But when message after message fails for the same reason that is
not the reader's (a policy refusal, a blocklist, a quota, a refused login, no
connection: transport.RELAY and CONNECTION), every further attempt would fail
the same way and wear out each reader's retries. So the send pauses as
*blocked* (pausing.pause): the rows stay due, the attempts they just spent
are given back, and the edition's admin page shows the server's reply and
what to check until someone resumes it there or with
`manage.py send_edition --resume ID`.

Two checks, both settings: NEWSLETTER_BREAKER_RUN failures in a row for the
same reason (carried from one batch to the next on the edition), or more than
half of the last NEWSLETTER_BREAKER_WINDOW messages of one sending loop
failing for the same reason (a relay refusing most, not all). 0 turns a check off.
"""

from collections import Counter, deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsletter.transport import Failure


class Breaker:
    def __init__(self, *, run: int, window: int, streak: int = 0, reason: str = ""):
        self.run = max(run, 0)
        self.window = max(window, 0)
        self.streak = streak  # failures in a row for `reason`
        self.reason = reason if streak else ""
        self.recent = deque(maxlen=max(window, 1))  # a reason, or None
        self.tripped = ""  # which check tripped, in words

    def delivered(self) -> None:
        self.streak, self.reason = 0, ""
        self.recent.append(None)

    def readers_failure(self) -> None:
        """A reader's own failure: neither ends a run nor adds to it."""
        self.recent.append(None)

    def failed(self, failure: "Failure") -> bool:
        """Count a failure that is not the reader's; True once the breaker trips."""
        reason = failure.reason
        if reason == self.reason:
            self.streak += 1
        else:
            self.streak, self.reason = 1, reason
        self.recent.append(reason)
        what = (
            "could not reach the relay"
            if reason == "connection"
            else (f"were refused with {reason}")
        )
        if self.run and self.streak >= self.run:
            self.tripped = f"{self.streak} messages in a row {what}."
        elif self.window:
            same = Counter(r for r in self.recent if r is not None).get(reason, 0)
            if same * 2 > self.window:
                self.tripped = f"{same} of the last {len(self.recent)} messages {what}."
        return bool(self.tripped)


# What to check, by what the server said. Each: (title, what to look at).
CHECKS = {
    "credentials": (
        "Relay credentials and access",
        "The user name and password in BULK_EMAIL_URL, and that the relay lets "
        "that account (or this server's IP address) send mail onwards: "
        "“relaying denied” and “authentication required” mean it does not.",
    ),
    "blocklist": (
        "IP blocklists",
        "Whether the IP address mail leaves from (this server's or the relay's) "
        "is on a blocklist such as Spamhaus; the reply often names it. The "
        "relay's provider can confirm it and ask for delisting.",
    ),
    "domain": (
        "Sender domain: SPF, DKIM and DMARC",
        "The From address's domain must publish an SPF record and DKIM keys "
        "that cover the relay, and a DMARC policy that mail from it passes.",
    ),
    "quota": (
        "Sending quota",
        "The relay's hourly or daily limit for your account: wait for it to "
        "reset or raise it, and lower NEWSLETTER_RATE_LIMIT_PER_SECOND.",
    ),
    "size": (
        "Message size",
        "The edition is larger than the relay accepts: fewer or smaller images, "
        "or fewer briefs. A new edition is needed; this one is frozen.",
    ),
    "connection": (
        "Reaching the relay",
        "The host, port and TLS settings in BULK_EMAIL_URL, that the relay is "
        "up, and that no firewall stands between this server and it.",
    ),
    "sender": (
        "The sender address",
        "The newsletter’s “Sender” (or else DEFAULT_FROM_EMAIL) must be a "
        "valid address that the relay lets you send from.",
    ),
}
LIKELY = [
    # (words in the reply or reason, the check they point to)
    (("sender",), "sender"),
    (("connection", "timed out", "refused", "unreachable"), "connection"),
    (("5.3.4", "5.2.3", "too big", "too large", "size"), "size"),
    (("spf", "dkim", "dmarc", "5.7.23", "5.7.25", "5.7.26", "5.7.27"), "domain"),
    (("block", "listed", "spamhaus", "reputation"), "blocklist"),
    (("quota", "limit", "rate", "too many", "5.4.5"), "quota"),
    (("relay", "auth", "5.7.0", "5.7.8", "530", "535"), "credentials"),
]
ALWAYS = ["credentials", "blocklist", "domain", "quota"]


def checks(reason: str, reply: str) -> list[tuple[str, str]]:
    """What to check for a pause, the likeliest first, then the usual suspects."""
    said = f"{reason} {reply}".lower()
    first = [check for words, check in LIKELY if any(w in said for w in words)]
    order = dict.fromkeys([*first, *ALWAYS])  # ordered, without repeats
    return [CHECKS[key] for key in order]
